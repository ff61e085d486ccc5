"""Finding the service repositories of a fleet and reading what they were generated with."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from generator.errors import PavedError

ANSWERS_FILE = ".copier-answers.yml"
# Folders that never hold a service repository of their own, and can be huge.
SKIPPED_FOLDERS = frozenset({".git", "node_modules", ".terraform"})


@dataclass(frozen=True)
class ServiceRepo:
    """A generated repository: where it is and the answers it was generated with."""

    path: Path
    answers: Mapping[str, Any]

    @property
    def commit(self) -> str | None:
        value = self.answers.get("_commit")
        return str(value) if value is not None else None

    @property
    def source(self) -> str | None:
        value = self.answers.get("_src_path")
        return str(value) if value is not None else None

    def answer(self, key: str) -> str | None:
        value = self.answers.get(key)
        return str(value) if value is not None else None

    @property
    def tier(self) -> int | None:
        value = self.answers.get("tier")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def data(self) -> dict[str, Any]:
        """The answers as Copier takes them back: without its own ``_`` metadata."""
        return {key: value for key, value in self.answers.items() if not key.startswith("_")}


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
    answers_path = path / ANSWERS_FILE
    try:
        data = YAML(typ="safe", pure=True).load(answers_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PavedError(f"{ANSWERS_FILE}: cannot be read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise PavedError(f"{ANSWERS_FILE}: not UTF-8 text") from error
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PavedError(f"{ANSWERS_FILE}: not valid YAML ({where}{error.problem})") from error
    except YAMLError as error:
        raise PavedError(f"{ANSWERS_FILE}: not valid YAML") from error
    if not isinstance(data, Mapping) or not data:
        raise PavedError(f"{ANSWERS_FILE}: not a mapping of answers")
    return ServiceRepo(path, {str(key): value for key, value in data.items()})
