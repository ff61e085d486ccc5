"""A template's git repository: where it is, its tags and their order, refs, files at a ref.

**Sources.** A template source is what Copier is given (and records as ``_src_path``): a
git URL, Copier's shortcuts ``gh:owner/name`` and ``gl:owner/name``, a ``git+`` URL, or a
local path (:func:`git_url`, :func:`resolve_source`).

**Tags.** Every listing of a template's tags goes through :func:`generator.git.git`
(:func:`list_tags` without a clone, :meth:`TemplateRepo.tags` in one): git never waits on a
credential prompt, so a template that asks for a password fails at once with git's reason.

**Versions.** A release is a git tag that is a PEP 440 version, with or without a ``v``
(``v1.2.0``, ``1.2.0``). Tags are ordered as Copier orders them when it picks the latest
release: by PEP 440 (``v0.10.0`` after ``v0.9.0``; ``v1.3`` is ``1.3.0``, the same release;
``1.4.0.post1`` after ``1.4.0``). Pre-releases (``v2.0.0-rc.1``, ``2.0.0rc1``,
``2.0.0.dev1``) are never the latest release unless asked for. Other tags
(``deploy/prod/42``, ``v1.2.0-hotfix``) are no release. Copier records the version a
repository was rendered at as ``_commit``: the tag, or ``git describe --tags`` output
(``v1.2.0-3-gabc1234``, three commits past v1.2.0), which orders after its tag and before
any later release, as Copier orders it (``1.2.0.post3``).

**Behind** (:func:`behind`): how far a version is from the latest release, by release
numbers X.Y.Z, the first three numbers of the version (``v1.3`` is 1.3.0). A post release
(``1.4.0.post1``) and commits past a tag (``v1.4.0-3-gabc1234``) count as their release,
1.4.0: the same numbers with fixes to what was released, or not released yet. Against
the latest release it is ``none`` when the numbers are the same or higher, otherwise
``major``, ``minor`` or ``patch`` by the first number that differs. A pre-release of the
latest release's numbers (``2.0.0rc1`` against ``2.0.0``) is ``patch``: it lacks the
release itself, and the step is the smallest there is.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator.errors import PavedError
from generator.git import GitError, git

# --- sources ----------------------------------------------------------------------------

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/@:]+@[^/:]+:)", re.IGNORECASE)
_SHORTCUTS = (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/"))


def git_url(src_path: str, base: Path) -> str:
    """What git can clone for a Copier template source (``_src_path``).

    Copier's shortcuts ``gh:owner/name`` and ``gl:owner/name`` become HTTPS URLs, a
    ``git+`` prefix is dropped, and a relative local path is taken from ``base`` (where
    ``copier update`` runs: the generated repository).
    """
    for prefix, host in _SHORTCUTS:
        if src_path.startswith(prefix):
            url = host + src_path[len(prefix) :]
            return url if url.endswith(".git") else f"{url}.git"
    if src_path.startswith("git+"):
        return src_path[4:]
    if is_remote(src_path):
        return src_path
    local = Path(src_path).expanduser()
    return str(local if local.is_absolute() else (base / local).resolve())


def is_remote(source: str) -> bool:
    """A git URL (or Copier shortcut) rather than a local path."""
    return source.startswith(("gh:", "gl:", "git+")) or _URL.match(source) is not None


def resolve_source(source: str, base: Path) -> str:
    """A template source made independent of the working directory.

    A relative local path is taken relative to ``base`` (the repository, where `copier
    update` runs); URLs and shortcuts are kept as they are.
    """
    if is_remote(source):
        return source
    path = Path(source).expanduser()
    return str((base / path).resolve() if not path.is_absolute() else path)


# --- tags -------------------------------------------------------------------------------


def list_tags(source: str, timeout: float = 120) -> list[str]:
    """The tags of a template source, local or remote, without cloning it.

    A relative local path is taken from the working directory. :class:`PavedError` naming
    the source and git's reason when it cannot be read (no repository, credentials wanted).
    """
    url = git_url(source, Path.cwd())
    try:
        out = git(Path.cwd(), "ls-remote", "--tags", "--refs", "--", url, timeout=timeout)
    except GitError as error:
        reason = str(error).removeprefix("git ls-remote: ")
        raise PavedError(f"cannot list the tags of the template {source}: {reason}") from error
    tags = []
    for line in out.splitlines():
        _, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/"):
            tags.append(ref.removeprefix("refs/tags/"))
    return tags


class TemplateRepo:
    """A template's git repository (a bare clone, or a local checkout), read at any ref."""

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


# --- versions ---------------------------------------------------------------------------

_DESCRIBED = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]{4,64})$")
# What `git describe --tags --always` gives for a commit when no tag is reachable from it.
_BARE_COMMIT = re.compile(r"^[0-9a-f]{4,64}$")
# Seven or more hex digits alone: an abbreviated commit hash, even when all of them are
# digits (one hash in 27 is), so it is never read as a version; a tag of seven digits or
# more alone is taken for a commit too.
_ABBREVIATED = re.compile(r"^[0-9a-f]{7,64}$")


def _tag_version(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def parse_version(ref: str) -> Version | None:
    """The PEP 440 version of a release tag or of a recorded ``_commit``; ``None`` for
    anything else (a bare commit hash, a branch, a tag that is no version).

    ``git describe`` output (``v1.2.0-3-gabc1234``) is the tag's version with the commits
    past it as a post release (``1.2.0.post3``), as Copier reads it; past a tag that is a
    post or dev release itself, as a local version (``1.4.0.post1+git.3``), which also
    orders after the tag and before the next release.
    """
    text = ref.strip()
    if _ABBREVIATED.match(text):
        return None
    match = _DESCRIBED.match(text)
    version = _tag_version(match["tag"] if match else text)
    if version is None or not match:
        return version
    count = int(match["count"])
    if version.post is None and version.dev is None:
        return Version(f"{version.public}.post{count}")
    return Version(f"{version.public}+git.{count}")


def recorded_tag(commit: str) -> str | None:
    """The tag a recorded ``_commit`` is at or past (``v1.2.0`` in ``v1.2.0-3-gabc1234``);
    ``None`` for a bare commit or anything that is no version."""
    text = commit.strip()
    match = _DESCRIBED.match(text)
    tag = match["tag"] if match else text
    return tag if parse_version(text) is not None else None


def recorded_commit(commit: str) -> str | None:
    """The commit hash a recorded ``_commit`` names (``abc1234`` in ``v1.2.0-3-gabc1234``, or
    a bare hash); ``None`` when it is a tag."""
    text = commit.strip()
    match = _DESCRIBED.match(text)
    if match:
        return match["hash"]
    return text if _BARE_COMMIT.match(text) and parse_version(text) is None else None


def is_release(ref: str) -> bool:
    """Whether ``ref`` names a release (a version tag), not a commit between releases."""
    return _DESCRIBED.match(ref.strip()) is None and parse_version(ref) is not None


def release_tags(tags: Iterable[str], prereleases: bool = False) -> list[str]:
    """The tags that are releases, oldest first (pre-releases only when asked for)."""
    releases = []
    for tag in tags:
        version = _tag_version(tag) if _DESCRIBED.match(tag) is None else None
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


class Behind(StrEnum):
    """How far a repository's template version is from the latest release."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


def behind(current: str, latest: str) -> Behind:
    """How far the recorded version ``current`` is from the release ``latest`` (rule: the
    module docstring). :class:`ValueError` when either is no version."""
    have, want = parse_version(current), parse_version(latest)
    if have is None or want is None:
        raise ValueError(f"{current!r} or {latest!r} is not a version")
    width = max(len(have.release), len(want.release), 3)
    ours, theirs = (v.release + (0,) * (width - len(v.release)) for v in (have, want))
    if ours == theirs:
        return Behind.PATCH if have.is_prerelease and have < want else Behind.NONE
    if ours > theirs:
        return Behind.NONE
    differs = next(index for index, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
    return (Behind.MAJOR, Behind.MINOR)[differs] if differs < 2 else Behind.PATCH
