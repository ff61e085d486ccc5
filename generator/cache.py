"""Where the toolkit keeps what it can compute again, and the digests that key it.

Everything under the cache root can be deleted at any time: it is only ever read back under
a key that is a digest of every input, so a changed input misses and is computed afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Set
from pathlib import Path
from typing import Any

CACHE_ENV = "PAVED_CACHE"


def cache_root() -> Path:
    """``$PAVED_CACHE``, else ``$XDG_CACHE_HOME/paved``, else ``~/.cache/paved``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "paved"


def file_digests(root: Path, skip: Set[str]) -> hashlib._Hash:
    """A running digest of every file under ``root`` (path, executable bit, content; a
    symlink by its target), in a fixed order; folders named in ``skip`` are left out."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                digest.update(f"L {relative} -> {os.readlink(path)}\n".encode())
                continue
            executable = os.access(path, os.X_OK)
            digest.update(f"F {relative} {int(executable)} ".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
            digest.update(b"\n")
    return digest


def read_entry(path: Path) -> dict[str, Any] | None:
    """A cache entry (a JSON object), or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_entry(path: Path, data: dict[str, Any]) -> None:
    """Write a cache entry whole or not at all (a rename), so a reader never sees half of
    one. Raises :class:`OSError` when the cache cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(temporary, path)
