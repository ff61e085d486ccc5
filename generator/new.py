"""`paved new`: render a service repository from an answers file through Copier."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import copier
from copier.errors import CopierError

from generator.answers import check_answers, load_answers, load_questions
from generator.errors import AnswersError, PavedError, TemplateNotFoundError

# Copier's own messages for an answer it refuses (validator, choice, required question).
_ANSWER_ERROR = re.compile(
    r"^(Validation error for question |Invalid choice for |Question \"|Invalid answer )"
)


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
) -> Path:
    """Copy the template into ``destination`` with the answers of ``answers_file``.

    Answers are checked before anything is written; a refused answer raises
    :class:`AnswersError` and leaves ``destination`` untouched.
    """
    source = template or str(default_template())
    if destination.exists() and any(destination.iterdir()):
        raise PavedError(f"{destination}: exists and is not empty; choose a new directory")
    answers = load_answers(answers_file)
    local_source = Path(source)
    if (local_source / "copier.yml").is_file():
        check_answers(answers, load_questions(local_source))
    copy_template(source, destination, answers, vcs_ref)
    return destination


def copy_template(
    source: str, destination: Path, answers: Mapping[str, Any], vcs_ref: str | None
) -> None:
    """Run Copier as a team does: the answers given, defaults for the rest, tasks trusted.

    Copier's own ``_`` metadata in ``answers`` (a replayed answers file) is left out.
    """
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    try:
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
