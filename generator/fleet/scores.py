"""Readiness scores of the fleet, cached per repository tree.

A score is stored under ``<cache>/readiness/<key>.json``. The key is a digest of everything
the score depends on: every file of the repository (path, executable bit, content; the
``.git`` and ``.terraform`` folders left out, as readiness never reads them), the toolkit
that scores it (every file of the ``generator`` package and the policy it reads) and the
function that scored it. A repository that changes in any file gets a new key, so it is
scored again and never served a stale result; a repository that has not changed costs a
walk of its files instead of a readiness run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import generator
from generator.cache import file_digests, read_entry, write_entry
from generator.policy import policy_path

SKIPPED = {".git", ".terraform"}


def tree_digest(repo: Path) -> str:
    """A digest of the repository's files as readiness reads them."""
    return file_digests(repo, SKIPPED).hexdigest()


@lru_cache(maxsize=1)
def toolkit_digest() -> str:
    """A digest of the toolkit that scores: the generator package and its policy file."""
    digest = file_digests(Path(generator.__file__).parent, {"__pycache__"})
    policy = policy_path()
    if policy.is_file():
        digest.update(hashlib.sha256(policy.read_bytes()).digest())
    return digest.hexdigest()


def score_key(repo: Path, scorer: Callable[[Path], int | None]) -> str:
    """The cache key of ``repo``'s score by ``scorer``."""
    name = f"{scorer.__module__}.{scorer.__qualname__}"
    parts = f"{toolkit_digest()} {name} {tree_digest(repo)}"
    return hashlib.sha256(parts.encode()).hexdigest()


def _path(cache: Path, key: str) -> Path:
    return cache / "readiness" / f"{key}.json"


def cached_score(cache: Path, key: str) -> tuple[bool, int | None]:
    """(found, score) for ``key``; a score of None (not assessable) is cached too."""
    data = read_entry(_path(cache, key))
    if data is None:
        return False, None
    score = data.get("score")
    return True, score if isinstance(score, int) else None


def store_score(cache: Path, key: str, score: int | None) -> None:
    """Write the score for ``key``; written whole or not at all (a rename)."""
    write_entry(_path(cache, key), {"score": score})
