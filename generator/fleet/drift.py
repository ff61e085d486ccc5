"""Drift: template-managed files of a repository that differ from a pristine render.

The pristine render is what Copier produces for the repository's own answers at its own
template version, rendered the way `paved new` renders. A file is drift when the pristine
render has it and the repository's copy differs or is missing; files the team added are
not drift. The answers file is not compared: it is the input of the render, not an output.

Renders are cached under ``$PAVED_CACHE/renders/`` (default ``~/.cache/paved/renders/``),
one folder per render key: the template source, the version and a hash of the answers.
A render is written to a temporary folder and renamed into place, so concurrent runs
never see half a render; when two render the same key at once, the first rename wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.answers import ANSWERS_FILE
from generator.errors import PavedError
from generator.new import copy_template

# Files compared by nothing but their presence in the answers: see the module docstring.
NOT_COMPARED = frozenset({ANSWERS_FILE})


class RenderError(PavedError):
    """The template cannot be rendered at a repository's version (unknown commit, ...)."""


@dataclass(frozen=True)
class RenderKey:
    """What a pristine render depends on: template source, version and answers."""

    source: str
    version: str
    data: Mapping[str, Any] = field(compare=False, hash=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        canonical = json.dumps(
            {"source": self.source, "version": self.version, "answers": self.data},
            sort_keys=True,
            default=str,
        )
        object.__setattr__(self, "digest", hashlib.sha256(canonical.encode()).hexdigest()[:32])


def render_path(key: RenderKey, cache: Path) -> Path:
    """Where the pristine render of ``key`` lives once rendered (its files are in ``tree/``)."""
    return cache / "renders" / key.digest


def cached_render(key: RenderKey, cache: Path) -> Path | None:
    """The pristine tree of ``key`` when the cache has it."""
    tree = render_path(key, cache) / "tree"
    return tree if tree.is_dir() else None


def ensure_render(key: RenderKey, cache: Path) -> Path:
    """The pristine tree of ``key``: from the cache, or rendered now and cached.

    Safe to call from several processes at once. Copier changes the working directory
    while it renders, so call this from one thread per process (a process pool), never
    from threads that share a process.
    """
    if (tree := cached_render(key, cache)) is not None:
        return tree
    final = render_path(key, cache)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{key.digest}-", dir=final.parent))
    try:
        try:
            copy_template(key.source, staging / "tree", key.data, key.version)
        except (PavedError, ValueError, OSError) as error:
            raise RenderError(
                f"cannot render the template {key.source} at {key.version}: {_reason(error)}"
            ) from error
        record = {"source": key.source, "version": key.version, "answers": key.data}
        (staging / "key.json").write_text(
            json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        try:
            staging.rename(final)
        except OSError:
            if cached_render(key, cache) is None:
                raise
            # Another run rendered the same key first; theirs is as good as ours.
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final / "tree"


def drift(repo: Path, pristine: Path) -> list[str]:
    """Repository-relative paths of the pristine files that differ or are missing in ``repo``."""
    changed = []
    for folder, _, files in os.walk(pristine):
        for name in files:
            expected = Path(folder) / name
            relative = expected.relative_to(pristine).as_posix()
            if relative in NOT_COMPARED:
                continue
            actual = repo / relative
            if not actual.is_file() or not _same_content(expected, actual):
                changed.append(relative)
    return sorted(changed)


def _same_content(left: Path, right: Path) -> bool:
    if left.stat().st_size != right.stat().st_size:
        return False
    return left.read_bytes() == right.read_bytes()


def _reason(error: Exception) -> str:
    """One line saying why: git's last words for a failed git command, else the message."""
    stderr = getattr(error, "stderr", None)
    if isinstance(stderr, str) and stderr.strip():
        return stderr.strip().splitlines()[-1].strip()
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
