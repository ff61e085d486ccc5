"""The answers contract as Copier's questionnaire declares it.

Copier validates every answer against the rules in copier.yml; this module adds the one
check Copier leaves out of a data file: keys that are not questions (a misspelt key would
otherwise be ignored and its default used).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generator.errors import AnswersError


@dataclass(frozen=True)
class Question:
    """One question of the template's questionnaire."""

    name: str
    type: str


def load_questions(template: Path) -> dict[str, Question]:
    """Read the questions (keys not starting with ``_``) of ``template/copier.yml``."""
    config_path = template / "copier.yml"
    data = _load_yaml(config_path)
    if not isinstance(data, Mapping):
        raise AnswersError(f"{config_path}: not a mapping of questions")
    questions: dict[str, Question] = {}
    for name, spec in data.items():
        if str(name).startswith("_") or not isinstance(spec, Mapping):
            continue
        questions[str(name)] = Question(
            name=str(name),
            type=str(spec.get("type", "str")),
        )
    return questions


def load_answers(path: Path) -> dict[str, Any]:
    """Read an answers file: a YAML mapping of question names to answers."""
    if not path.is_file():
        raise AnswersError(f"{path}: answers file not found")
    data = _load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise AnswersError(f"{path}: must be a YAML mapping of question names to answers")
    return {str(key): value for key, value in data.items()}


def check_answers(answers: Mapping[str, Any], questions: Mapping[str, Question]) -> None:
    """Refuse keys that are not questions: Copier would ignore a misspelt answer silently."""
    for key in answers:
        if key.startswith("_"):
            continue  # Copier's own metadata (_commit, _src_path) in a replayed answers file.
        if key not in questions:
            known = ", ".join(sorted(questions))
            raise AnswersError(
                f"unknown question {key!r}: the answers contract has no such key (known: {known})"
            )


def _load_yaml(path: Path) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except YAMLError as error:
        raise AnswersError(f"{path}: not valid YAML: {error}") from error
    except UnicodeDecodeError as error:
        raise AnswersError(f"{path}: not UTF-8 text: {error}") from error
