"""`paved new`: render a service repository from an answers file through Copier."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import copier
from copier.errors import CopierError, DirtyLocalWarning

from generator.answers import check_answers, load_answers, load_questions
from generator.errors import AnswersError, PavedError, TemplateNotFoundError

# Copier's own messages for an answer it refuses (validator, choice, required question).
_ANSWER_ERROR = re.compile(
    r"^(Validation error for question |Invalid choice for |Question \"|Invalid answer )"
)


def parse_data(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` answers as `copier copy --data` takes them; the value is text until the
    question's type reads it."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AnswersError(f"--data {pair!r}: the rule is KEY=VALUE, such as tier=1")
        data[key.strip()] = value
    return data


def default_template() -> Path:
    """The template to render when none is given: ``$PAVED_TEMPLATE`` or this checkout."""
    configured = os.environ.get("PAVED_TEMPLATE")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "copier.yml").is_file():
        return checkout
    raise TemplateNotFoundError(
        "no template given: pass --template (a path or git URL) or set PAVED_TEMPLATE"
    )


def render(
    answers_file: Path,
    destination: Path,
    template: str | None = None,
    vcs_ref: str | None = None,
    data: Mapping[str, str] | None = None,
) -> Path:
    """Copy the template into ``destination`` with the answers of ``answers_file``, and
    ``data`` over them (text, read by each question's type as `copier copy --data` does).

    Answers are checked before anything is written; a refused answer raises
    :class:`AnswersError` and leaves ``destination`` untouched.
    """
    source = template or str(default_template())
    if destination.exists() and any(destination.iterdir()):
        raise PavedError(f"{destination}: exists and is not empty; choose a new directory")
    answers = {**load_answers(answers_file), **(data or {})}
    local_source = Path(source)
    if (local_source / "copier.yml").is_file():
        check_answers(answers, load_questions(local_source))
    copy_template(source, destination, answers, vcs_ref or _working_tree_ref(source))
    return destination


def _working_tree_ref(source: str) -> str | None:
    """``HEAD`` for a local template, so it renders as it is on disk.

    Without a ref Copier renders a git template at its latest release tag, which for a
    checkout being worked on is old content. ``HEAD`` makes Copier take the checkout with
    its uncommitted changes (and record ``git describe`` of it as ``_commit``). Remote
    templates keep Copier's default: the latest release.
    """
    return "HEAD" if Path(source).expanduser().is_dir() else None


def copy_template(
    source: str, destination: Path, answers: Mapping[str, Any], vcs_ref: str | None
) -> None:
    """Run Copier as a team does: the answers given, defaults for the rest, tasks trusted.

    Copier's own ``_`` metadata in ``answers`` (a replayed answers file) is left out.
    """
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    try:
        with warnings.catch_warnings():
            # A local template's uncommitted changes are rendered on purpose (_working_tree_ref).
            warnings.simplefilter("ignore", DirtyLocalWarning)
            copier.run_copy(
                source,
                destination,
                data=data,
                defaults=True,
                unsafe=True,
                vcs_ref=vcs_ref,
                quiet=True,
            )
    except (ValueError, TypeError, CopierError) as error:
        message = str(error).strip()
        if _ANSWER_ERROR.match(message):
            raise AnswersError(message) from error
        if isinstance(error, CopierError):
            raise PavedError(f"copier: {message}") from error
        raise
