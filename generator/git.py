"""Running git for the toolkit: one place for the environment, timeouts and errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from generator.errors import PavedError

# Never wait for a password prompt: a template that needs credentials fails fast instead.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "LC_ALL": "C"}


class GitError(PavedError):
    """A git command failed; the message carries git's own last words."""

    exit_code = 2


def git(cwd: Path, *args: str, timeout: float = 300) -> str:
    """Run ``git args`` in ``cwd`` and return its stdout; :class:`GitError` when it fails."""
    try:
        process = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **_ENV},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise GitError(f"git {args[0]} did not finish within {timeout:.0f} seconds") from error
    except FileNotFoundError as error:
        raise GitError("git is not installed (not found on PATH)") from error
    if process.returncode != 0:
        raise GitError(f"git {args[0]}: {_reason(process.stderr, process.returncode)}")
    return process.stdout


def _reason(stderr: str, returncode: int) -> str:
    """Git's own words for a failure: its first ``fatal:`` or ``error:`` line, else its last.

    Git often follows the reason with advice (``Please make sure you have the correct
    access rights / and the repository exists.``), whose last line alone says nothing.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line.removeprefix(prefix)
    return lines[-1] if lines else f"exit code {returncode}"


def toplevel(path: Path) -> Path | None:
    """The root of the git working tree that holds ``path``, or ``None`` outside git."""
    try:
        return Path(git(path, "rev-parse", "--show-toplevel").strip())
    except GitError:
        return None


def has_commit(repo: Path) -> bool:
    """Whether ``repo`` has a ``HEAD`` commit (a fresh ``git init`` has none)."""
    try:
        git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        return False
    return True


def status(repo: Path, *paths: str) -> list[tuple[str, str]]:
    """``git status`` entries as (two-letter code, path from the working tree's root)."""
    out = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    entries: list[tuple[str, str]] = []
    fields = iter(out.split("\0"))
    for field in fields:
        if not field:
            continue
        code, path = field[:2], field[3:]
        if code[0] in "RC":
            next(fields, None)  # a rename or copy is followed by its source path
        entries.append((code, path))
    return entries
