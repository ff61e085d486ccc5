"""A template with a release history and a fleet of service repositories generated from it.

Shared by the fleet tests and ``benchmarks/fleet_status.py``. Copier runs once per
(version, answers) pair; the rest of a fleet are copies of those repositories, so a fleet
of fifty costs a handful of renders.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import copy_template, git

# The releases of the test template, oldest first; each changes what a repository gets.
RELEASES = ("v1.0.0", "v1.1.0", "v2.0.0", "v2.1.0", "v2.1.1")
LATEST = RELEASES[-1]
# A commit between v1.1.0 and v2.0.0 that was never released.
UNRELEASED = "unreleased"


def template_repo(snapshot: Path, destination: Path) -> dict[str, str]:
    """The template ``snapshot`` as a git repository with a history of releases.

    Returns the ref to render for each release and for ``UNRELEASED`` (a commit hash).
    """
    shutil.copytree(snapshot, destination)
    git(destination, "init", "-q")
    readme = destination / "templates" / "README.md.jinja"
    refs: dict[str, str] = {}
    for release in RELEASES:
        if release != RELEASES[0]:
            with readme.open("a", encoding="utf-8") as handle:
                handle.write(f"\nChanged in template {release}.\n")
        if release == "v2.0.0":
            upgrading = destination / "templates" / "docs" / "UPGRADING.md"
            upgrading.write_text("# Upgrading\n\nRun `copier update --trust`.\n")
        git(destination, "add", "-A")
        git(destination, "commit", "-q", "-m", f"release {release}")
        git(destination, "tag", release)
        refs[release] = release
        if release == "v1.1.0":
            with readme.open("a", encoding="utf-8") as handle:
                handle.write("\nNot released yet.\n")
            git(destination, "commit", "-q", "-am", "work in progress")
            refs[UNRELEASED] = git(destination, "rev-parse", "HEAD")
    return refs


def described(template: Path, ref: str) -> str:
    """The version Copier records for ``ref``: `git describe --tags`."""
    return git(template, "describe", "--tags", "--always", ref)


def generate(template: Path, ref: str, answers: Mapping[str, Any], destination: Path) -> Path:
    """`copier copy` of ``template`` at ``ref``, committed as a team's first commit."""
    copy_template(template, destination, answers, vcs_ref=ref)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "generated")
    return destination


@dataclass(frozen=True)
class Original:
    """One rendered repository that fleet members are copied from."""

    name: str
    release: str
    path: Path


def originals(
    template: Path,
    refs: Mapping[str, str],
    answer_sets: Mapping[str, Mapping[str, Any]],
    pairs: Sequence[tuple[str, str]],
    base: Path,
) -> list[Original]:
    """Render each (answers name, release) pair of ``pairs`` once under ``base``."""
    rendered = []
    for name, release in pairs:
        path = generate(template, refs[release], answer_sets[name], base / f"{name}-{release}")
        rendered.append(Original(name, release, path))
    return rendered


def duplicate(original: Original, destination: Path) -> Path:
    """A copy of ``original`` (git history included) in another folder."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(original.path, destination, symlinks=True)
    return destination


def drift_file(repo: Path, relative: str) -> None:
    """A team's edit to a template-managed file."""
    target = repo / relative
    target.write_text(target.read_text(encoding="utf-8") + "\n# edited by the team\n")


def team_file(repo: Path, relative: str) -> None:
    """A file the team added: not drift."""
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("team-owned\n", encoding="utf-8")


def set_commit(repo: Path, commit: str) -> None:
    """Point the answers file at another template version."""
    answers = repo / ".copier-answers.yml"
    lines = [
        f"_commit: {commit}" if line.startswith("_commit:") else line
        for line in answers.read_text(encoding="utf-8").splitlines()
    ]
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")


# The rendered repositories a fleet is copied from: four answer sets (every tier and
# ownership model) at versions from the oldest release to the latest.
PAIRS = (
    ("catalog-api", "v1.0.0"),
    ("docs-portal", "v1.1.0"),
    ("payments-api", UNRELEASED),
    ("inventory-sync", "v2.0.0"),
    ("catalog-api", "v2.1.0"),
    ("docs-portal", LATEST),
    ("inventory-sync", LATEST),
)
# Ways to break a repository, and what its row's error says.
BROKEN = {
    "unreadable-answers": "not valid YAML",
    "unknown-release": "template version v9.9.9 does not exist",
    "unknown-commit": "commit deadbee is not in the template",
}


@dataclass(frozen=True)
class Member:
    """A repository of a test fleet and what `paved fleet status` must say about it."""

    path: Path
    original: Original
    drift: tuple[str, ...] = ()
    broken: str | None = None


def build_fleet(
    template: Path,
    refs: Mapping[str, str],
    answer_sets: Mapping[str, Mapping[str, Any]],
    work: Path,
    count: int = 50,
) -> tuple[Path, list[Member]]:
    """A fleet of ``count`` repositories under ``work/fleet``: mixed versions, some drift,
    some team files, three broken (one per :data:`BROKEN` kind), and folders a scan skips.
    """
    sources = originals(template, refs, answer_sets, PAIRS, work / "originals")
    root = work / "fleet"
    members = []
    healthy = count - len(BROKEN)
    for index in range(healthy):
        original = sources[index % len(sources)]
        path = duplicate(original, root / f"team-{index % 4}" / f"{original.name}-{index:02d}")
        changed: list[str] = []
        if index % 9 == 4:
            drift_file(path, "README.md")
            changed.append("README.md")
        if index % 13 == 6:
            (path / "docs" / "runbooks" / "README.md").unlink()
            drift_file(path, "observability/slos.yaml")
            changed += ["docs/runbooks/README.md", "observability/slos.yaml"]
        if index % 5 == 2:
            team_file(path, "src/app.py")
            team_file(path, "docs/team-notes.md")
        members.append(Member(path, original, tuple(sorted(changed))))
    for offset, kind in enumerate(BROKEN):
        original = sources[offset]
        path = duplicate(original, root / "broken" / kind)
        if kind == "unreadable-answers":
            (path / ".copier-answers.yml").write_text("_commit: [v1.0.0\n", encoding="utf-8")
        elif kind == "unknown-release":
            set_commit(path, "v9.9.9")
        else:
            set_commit(path, "v1.0.0-2-gdeadbee")
        members.append(Member(path, original, broken=kind))
    # Answers files a scan must not report: inside node_modules, .terraform, or a
    # repository already found.
    decoys = (
        root / "node_modules" / "pkg",
        root / "team-0" / ".terraform" / "modules" / "x",
        members[0].path / "vendor" / "inner",
    )
    for folder in decoys:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sources[0].path / ".copier-answers.yml", folder / ".copier-answers.yml")
    return root, members
