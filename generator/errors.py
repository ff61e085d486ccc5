"""User-facing errors.

Everything a person can fix (a bad answer, a missing file, a path that is not a generated
repo) is a :class:`PavedError` with a message written for people. The CLI turns these into a
one-line message and an exit code in one place; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class PavedError(Exception):
    """Base class of errors a user can act on."""

    exit_code = 1


class AnswersError(PavedError):
    """An answers file, or an answer in it, breaks the answers contract."""

    exit_code = 2


class TemplateNotFoundError(PavedError):
    """No template source was given and none could be found."""

    exit_code = 2


class RepositoryError(PavedError):
    """A path that is not a generated repository, or a file in it that cannot be read."""

    exit_code = 2
