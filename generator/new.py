"""`paved new`: render a service repository from an answers file through Copier."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import copier
from copier.errors import CopierError, DirtyLocalWarning

from generator import git
from generator.answers import check_answers, load_answers, load_questions, read_answers
from generator.errors import AnswersError, PavedError, TemplateNotFoundError
from generator.template_source import latest_release, list_tags

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
    warn: Callable[[str], None] = lambda _: None,
) -> Path:
    """Copy the template into ``destination`` with the answers of ``answers_file``, and
    ``data`` over them (text, read by each question's type as `copier copy --data` does).

    Answers are checked before anything is written; a refused answer raises
    :class:`AnswersError` and leaves ``destination`` untouched. A local template is
    recorded by its absolute path, so that `copier update` and `paved fleet status` find it
    from the repository; ``warn`` hears when the recorded version cannot be found in it.
    """
    source = local_path(template or str(default_template()))
    if destination.exists() and any(destination.iterdir()):
        raise PavedError(f"{destination}: exists and is not empty; choose a new directory")
    answers = {**load_answers(answers_file), **(data or {})}
    local_source = Path(source)
    if (local_source / "copier.yml").is_file():
        check_answers(answers, load_questions(local_source))
    ref = vcs_ref or _default_ref(source)
    copy_template(source, destination, answers, ref)
    unfindable = _unfindable_version(source, ref, _recorded(destination, "_commit"))
    if unfindable is not None:
        warn(unfindable)
    return destination


def local_path(source: str) -> str:
    """``source`` as Copier should record it: a local template by its absolute path (a
    relative one would be read from the generated repository later), a URL as it is."""
    path = Path(source).expanduser()
    return str(path.resolve()) if path.is_dir() else source


def _unfindable_version(source: str, ref: str | None, commit: str) -> str | None:
    """Why the ``commit`` that a render of local ``source`` at ``ref`` recorded will not be
    found in the template, or None when it will be."""
    path = Path(source)
    if not path.is_dir():
        return None
    if git.toplevel(path) is None:
        return (
            f"the template {source} is not a git repository: the new repository records no "
            "template version (_commit), so `copier update` and `paved fleet status` cannot "
            "use it; render from a git checkout of the template for a repository to keep"
        )
    changes = git.status(path) if ref == "HEAD" else []
    if not changes:
        return None
    return (
        f"the template {source} has {len(changes)} uncommitted change(s) (first: "
        f"{changes[0][1]}): rendered as they are on disk, and "
        f"the recorded template version (_commit: {commit}) is a commit Copier made in a "
        "scratch copy, which is not in the template, so `copier update` and `paved fleet "
        "status` cannot use it; commit the changes and render again for a repository to keep"
    )


def _recorded(destination: Path, key: str) -> str:
    """A value of the new repository's answers file, as text (``-`` when it is not there)."""
    try:
        value = read_answers(destination).text(key)
    except AnswersError:
        return "-"
    return "-" if value is None else value


def _default_ref(source: str) -> str:
    """``HEAD`` for a local template, so it renders as it is on disk; the latest release
    (else ``HEAD``) for a remote one.

    Without a ref Copier renders a git template at its latest release tag, which for a
    checkout being worked on is old content. ``HEAD`` makes Copier take the checkout with
    its uncommitted changes (and record ``git describe`` of it as ``_commit``). A remote
    template renders at its latest release, as Copier picks it, listed here through the
    toolkit's git (:func:`generator.template_source.list_tags`) rather than Copier's: a
    template that asks for credentials fails at once instead of waiting on a prompt.
    """
    if Path(source).expanduser().is_dir():
        return "HEAD"
    return latest_release(list_tags(source)) or "HEAD"


def copy_template(
    source: str, destination: Path, answers: Mapping[str, Any], vcs_ref: str | None
) -> None:
    """Run Copier as a team does: the answers given, defaults for the rest, tasks trusted.

    Copier's own ``_`` metadata in ``answers`` (a replayed answers file) is left out.
    """
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    try:
        with warnings.catch_warnings():
            # A local template's uncommitted changes are rendered on purpose (_default_ref).
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
