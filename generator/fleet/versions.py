"""Template versions: release tags, the ``_commit`` a repository records, and how far behind it is.

A template version is a git tag ``vX.Y.Z`` (the ``v`` is optional). Copier records the
version a repository was rendered at as ``git describe --tags`` gives it: ``v1.2.0`` on a
tag, ``v1.2.0-3-gabc1234`` three commits past it. Pre-release tags (``v2.0.0-rc.1``) and
other tags are never the latest release.

How far behind (see :func:`behind`): a version ``vX.Y.Z-N-gSHA`` counts as release X.Y.Z,
since it has everything X.Y.Z has and none of the next release. Against the latest release
L it is ``none`` when X.Y.Z >= L (on L, or on commits past it that are not released yet),
else ``major``, ``minor`` or ``patch`` by the first of the three numbers that differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from generator.errors import PavedError
from generator.git import GitError, git
from generator.template_source import git_url

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_DESCRIBED = re.compile(
    r"^(?P<tag>v?\d+\.\d+\.\d+)(?:-(?P<commits>\d+)-g(?P<sha>[0-9a-f]{4,64}))?$"
)
# What `git describe --tags --always` gives for a commit when no tag is reachable from it.
_BARE_COMMIT = re.compile(r"^[0-9a-f]{4,64}$")


class Behind(StrEnum):
    """How far a repository's template version is from the latest release."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True, order=True)
class Release:
    """A release number, X.Y.Z."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Version:
    """A recorded template version: a release, plus commits past it when not on the tag."""

    text: str
    tag: str
    release: Release
    commits: int = 0


def parse_release(tag: str) -> Release | None:
    """The release a tag names (``v1.2.0`` or ``1.2.0``); None for any other tag."""
    match = _RELEASE.match(tag)
    if not match:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return Release(major, minor, patch)


def parse_version(commit: str) -> Version | None:
    """Read ``_commit`` as ``git describe --tags`` writes it; None for a bare commit hash."""
    match = _DESCRIBED.match(commit.strip())
    if not match:
        return None
    release = parse_release(match["tag"])
    assert release is not None  # the pattern only matches release tags
    return Version(commit.strip(), match["tag"], release, int(match["commits"] or 0))


def recorded_commit(commit: str) -> str | None:
    """The commit hash a recorded ``_commit`` names (``abc1234`` in ``v1.2.0-3-gabc1234``, or
    a bare hash); None when it is a tag."""
    text = commit.strip()
    match = _DESCRIBED.match(text)
    if match:
        return match["sha"]
    return text if _BARE_COMMIT.match(text) else None


def latest_release(tags: list[str]) -> str | None:
    """The tag of the highest release among ``tags``; None when none is a release."""
    releases = [(release, tag) for tag in tags if (release := parse_release(tag)) is not None]
    return max(releases)[1] if releases else None


def behind(version: Version, latest: str) -> Behind:
    """How far ``version`` is from the release tagged ``latest`` (see the module docstring)."""
    target = parse_release(latest)
    if target is None:
        raise ValueError(f"{latest!r} is not a release tag")
    current = version.release
    if current >= target:
        return Behind.NONE
    if current.major != target.major:
        return Behind.MAJOR
    if current.minor != target.minor:
        return Behind.MINOR
    return Behind.PATCH


def is_remote(source: str) -> bool:
    """A git URL (or Copier shorthand) rather than a local path."""
    return "://" in source or source.startswith(("gh:", "gl:", "git@", "git+"))


def resolve_source(source: str, base: Path) -> str:
    """A template source made independent of the working directory.

    A relative local path is taken relative to ``base`` (the repository, where `copier
    update` runs); URLs are kept as they are.
    """
    if is_remote(source):
        return source
    path = Path(source).expanduser()
    return str((base / path).resolve() if not path.is_absolute() else path)


def list_tags(source: str) -> list[str]:
    """The tags of a template source, local or remote, without cloning it.

    Through :func:`generator.git.git`: a template that asks for credentials fails at once
    instead of waiting on a prompt.
    """
    url = git_url(source, Path.cwd())
    try:
        out = git(Path.cwd(), "ls-remote", "--tags", "--refs", "--", url, timeout=120)
    except GitError as error:
        reason = str(error).removeprefix("git ls-remote: ")
        raise PavedError(f"cannot list the tags of the template {source}: {reason}") from error
    tags = []
    for line in out.splitlines():
        _, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/"):
            tags.append(ref.removeprefix("refs/tags/"))
    return tags
