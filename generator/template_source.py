"""A template's git repository, read without checking it out: tags, refs, files at a ref."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.git import GitError, git

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/@:]+@[^/:]+:)", re.IGNORECASE)


def git_url(src_path: str, base: Path) -> str:
    """What git can clone for a Copier template source (``_src_path``).

    Copier's shortcuts ``gh:owner/name`` and ``gl:owner/name`` become HTTPS URLs, a
    ``git+`` prefix is dropped, and a relative local path is taken from ``base`` (where
    ``copier update`` runs: the generated repository).
    """
    for prefix, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
        if src_path.startswith(prefix):
            url = host + src_path[len(prefix) :]
            return url if url.endswith(".git") else f"{url}.git"
    if src_path.startswith("git+"):
        return src_path[4:]
    if _URL.match(src_path):
        return src_path
    local = Path(src_path).expanduser()
    return str(local if local.is_absolute() else (base / local).resolve())


class TemplateRepo:
    """A bare clone of the template, for reading tags and files at any ref."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    @contextmanager
    def clone(cls, url: str) -> Iterator[TemplateRepo]:
        """Clone ``url`` into a temporary directory for the duration of the block."""
        with tempfile.TemporaryDirectory(prefix="paved-template-") as scratch:
            target = Path(scratch) / "template.git"
            git(Path(scratch), "clone", "--quiet", "--bare", "--", url, str(target))
            yield cls(target)

    def tags(self) -> list[str]:
        return git(self.path, "tag", "--list").split()

    def resolve(self, ref: str) -> str | None:
        """The full commit hash ``ref`` names, or ``None`` when the template has no such ref."""
        if ref.startswith("-"):
            return None
        try:
            return git(self.path, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except GitError:
            return None

    def describe(self, commit: str) -> str:
        """What Copier records as ``_commit`` for ``commit``: its tag, or ``git describe``."""
        return git(self.path, "describe", "--tags", "--always", commit).strip()

    def read(self, commit: str, path: str) -> str | None:
        """The text of ``path`` at ``commit``, or ``None`` when it does not exist there."""
        try:
            return git(self.path, "show", f"{commit}:{path}")
        except GitError:
            return None
