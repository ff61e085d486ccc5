"""Template versions: release tags, the ``_commit`` Copier records, and their order.

A release is a git tag ``v<semver>`` (``0.1.0`` without the ``v`` works too). Copier records
the template version a repository was rendered from as ``_commit``: the tag itself, or
``git describe`` output (``v0.2.0-3-gabc1234``: three commits after v0.2.0) when it was
rendered from between releases. Versions are compared as Copier and Renovate's copier
manager compare them: PEP 440, where ``0.2.0`` < ``0.2.0.post3`` < ``0.3.0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

_DESCRIBE = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]{4,40})$")


def parse_version(ref: str) -> Version | None:
    """The version of a release tag or a ``git describe`` string; ``None`` for anything else."""
    match = _DESCRIBE.match(ref)
    tag, count = (match["tag"], int(match["count"])) if match else (ref, 0)
    try:
        version = Version(tag)
    except InvalidVersion:
        return None
    if count:
        return Version(f"{version.base_version}.post{count}")
    return version


def is_release(ref: str) -> bool:
    """Whether ``ref`` names a release (a version tag), not a commit between releases."""
    return _DESCRIBE.match(ref) is None and parse_version(ref) is not None


def release_tags(tags: Iterable[str], prereleases: bool = False) -> list[str]:
    """The tags that are releases, oldest first (pre-releases only when asked for)."""
    releases = []
    for tag in tags:
        version = parse_version(tag) if is_release(tag) else None
        if version is None or (version.is_prerelease and not prereleases):
            continue
        releases.append((version, tag))
    return [tag for _, tag in sorted(releases)]


def latest_release(tags: Iterable[str], prereleases: bool = False) -> str | None:
    """The newest release tag, as Copier picks it when no ref is given; ``None`` without one."""
    releases = release_tags(tags, prereleases)
    return releases[-1] if releases else None


def is_behind(current: str, target: str) -> bool:
    """Whether the repository's ``_commit`` ``current`` is older than ``target``.

    ``False`` when either is not a version (a bare commit hash): then nothing can be said.
    """
    current_version, target_version = parse_version(current), parse_version(target)
    if current_version is None or target_version is None:
        return False
    return current_version < target_version
