"""Finding the service repositories of a fleet and reading what they were generated with."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.answers import ANSWERS_FILE, Answers, read_answers
from generator.errors import PavedError

# Folders that never hold a service repository of their own, and can be huge.
SKIPPED_FOLDERS = frozenset({".git", "node_modules", ".terraform"})


@dataclass(frozen=True)
class ServiceRepo:
    """A generated repository: where it is and the answers it was generated with."""

    path: Path
    answers: Answers


def find_repos(paths: Iterable[Path]) -> list[Path]:
    """Every folder with a Copier answers file under ``paths``, in path order.

    The walk skips ``.git``, ``node_modules`` and ``.terraform`` and does not descend into
    a repository it found: a generated repository is one service.
    """
    found: dict[Path, Path] = {}
    for root in paths:
        if not root.is_dir():
            raise PavedError(f"{root}: not a directory")
        for folder, subfolders, files in os.walk(root):
            if ANSWERS_FILE in files:
                found.setdefault(Path(folder).resolve(), Path(folder))
                subfolders.clear()
                continue
            subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS)
    return [found[key] for key in sorted(found)]


def read_repo(path: Path) -> ServiceRepo:
    """The repository at ``path`` with its answers; a one-line user error when unreadable."""
    return ServiceRepo(path, read_answers(path))
