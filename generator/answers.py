"""Answers: the contract Copier's questionnaire declares, and what a repository recorded.

Copier validates every answer against the rules in copier.yml; this module adds the one
check Copier leaves out of a data file: keys that are not questions (a misspelt key would
otherwise be ignored and its default used).

A generated repository's answers file (:data:`ANSWERS_FILE`) is read here for every command
(`paved upgrade`, `paved fleet`, `paved readiness`) as one model, :class:`Answers`: the
template it came from (``_src_path``), its version (``_commit``), and the answers. An answer
missing from a hand-edited file reads as its default in :func:`answer_defaults`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from generator.errors import AnswersError
from generator.policy import Policy, load_policy


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


ANSWERS_FILE = ".copier-answers.yml"

# What an answer missing from a hand-edited answers file is taken to be: the questionnaire's
# defaults for them. (``repository`` defaults to ``<org>/<service_name>``, as in copier.yml.)
# The org profile's keys that are question defaults (policy.yml: org).
_ORG_DEFAULTS = {
    "org": "slug",
    "org_domain": "domain",
    "sre_team": "sre_team",
    "platform_team": "platform_team",
    "ownership_model": "ownership_model",
    "ci_provider": "ci_provider",
    "oncall_provider": "oncall_provider",
}


def answer_defaults(policy: Policy | None = None) -> Mapping[str, Any]:
    """The defaults of answers a hand-edited file may lack: the org profile's (of the
    toolkit's own template unless ``policy`` is given) and copier.yml's constant ones."""
    if policy is None:
        return _bundled_defaults()
    org = policy.org
    return {
        "tier": 2,
        "team": "",
        **{answer: org[key] for answer, key in _ORG_DEFAULTS.items()},
        "datastores": (),
        "environments": ("dev", "staging", "prod"),
        "deploy_strategy": "rolling",
    }


@lru_cache(maxsize=1)
def _bundled_defaults() -> Mapping[str, Any]:
    return answer_defaults(load_policy())


@dataclass(frozen=True)
class Answers:
    """What a generated repository's answers file records: the template, its version and the
    answers. ``data`` is the file as read, Copier's ``_`` metadata included (a round-trip
    mapping when read with lines, for :meth:`line`)."""

    data: Mapping[str, Any]
    path: Path | None = None

    @property
    def src_path(self) -> str | None:
        """The template as Copier was given it (URL, gh:/gl: shortcut or local path)."""
        return self.text("_src_path")

    @property
    def commit(self) -> str | None:
        """The template version: a release tag or `git describe` output."""
        return self.text("_commit")

    @property
    def answers(self) -> dict[str, Any]:
        """The answers as Copier takes them back: without its own ``_`` metadata."""
        return {key: value for key, value in self.data.items() if not key.startswith("_")}

    def text(self, key: str) -> str | None:
        """The recorded value of ``key`` as text; ``None`` when the file does not have it."""
        value = self.data.get(key)
        return None if value is None else str(value)

    @property
    def recorded_tier(self) -> int | None:
        """The tier the file records; ``None`` when it records none or not a number."""
        value = self.data.get("tier")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def get(self, key: str, default: Any = None) -> Any:
        """The answer, else its default in :func:`answer_defaults`, else ``default``."""
        value = self.data.get(key)
        if value is not None:
            return value
        return answer_defaults().get(key, default)

    def line(self, key: str) -> int | None:
        """The 1-based line of ``key`` in the file (read with lines), for file:line."""
        # Imported here: the readiness reader imports this module for the answers.
        from generator.readiness.sources.repo import key_line

        return key_line(self.data, key)

    @property
    def service(self) -> str:
        return str(self.data["service_name"])

    @property
    def tier(self) -> int:
        return int(self.get("tier"))

    @property
    def team(self) -> str:
        return str(self.get("team"))

    @property
    def org(self) -> str:
        return str(self.get("org"))

    @property
    def org_domain(self) -> str:
        return str(self.get("org_domain"))

    @property
    def sre_team(self) -> str:
        return str(self.get("sre_team"))

    @property
    def platform_team(self) -> str:
        return str(self.get("platform_team"))

    @property
    def ownership_model(self) -> str:
        return str(self.get("ownership_model"))

    @property
    def ci_provider(self) -> str:
        return str(self.get("ci_provider"))

    @property
    def oncall_provider(self) -> str:
        return str(self.get("oncall_provider"))

    @property
    def datastores(self) -> list[str]:
        return [str(d) for d in self.get("datastores") or []]

    @property
    def environments(self) -> list[str]:
        return [str(e) for e in self.get("environments") or []]

    @property
    def deploy_strategy(self) -> str:
        return str(self.get("deploy_strategy"))

    @property
    def repository(self) -> str:
        return str(self.get("repository", f"{self.org}/{self.service}"))


def parse_answers(text: str, lines: bool = False) -> Answers:
    """An answers file's text as :class:`Answers` (``lines``: keep line numbers).

    :class:`AnswersError` naming :data:`ANSWERS_FILE` and the reason when it is not YAML
    or not a mapping of answers.
    """
    try:
        data = YAML(typ="rt" if lines else "safe", pure=True).load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise AnswersError(f"{ANSWERS_FILE}: not valid YAML ({where}{error.problem})") from error
    except YAMLError as error:
        raise AnswersError(f"{ANSWERS_FILE}: not valid YAML") from error
    if not isinstance(data, Mapping) or not data:
        raise AnswersError(f"{ANSWERS_FILE}: not a mapping of answers")
    if not lines:
        data = {str(key): value for key, value in data.items()}
    return Answers(data)


def read_answers(repo: Path, lines: bool = False) -> Answers:
    """The answers file of the repository at ``repo`` (``lines``: keep line numbers).

    :class:`AnswersError` naming :data:`ANSWERS_FILE` (messages are relative to the
    repository) when it is missing, unreadable, not YAML or not a mapping of answers.
    """
    path = repo / ANSWERS_FILE
    if not path.is_file():
        raise AnswersError(f"{ANSWERS_FILE}: not found; the repository was not generated by Copier")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AnswersError(f"{ANSWERS_FILE}: cannot be read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise AnswersError(f"{ANSWERS_FILE}: not UTF-8 text") from error
    return replace(parse_answers(text, lines), path=path)
