"""Template versions, the CHANGELOG's upgrade notes, and template sources."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from generator import changelog
from generator.template_source import git_url
from generator.versions import is_behind, is_release, latest_release, parse_version, release_tags
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("v0.2.0", "0.2.0"),
        ("0.2.0", "0.2.0"),
        ("v0.2.0-3-gabc1234", "0.2.0.post3"),
        ("v1.0.0rc1", "1.0.0rc1"),
        ("abc1234", None),
        ("main", None),
    ],
)
def test_parse_version(ref: str, expected: str | None) -> None:
    assert parse_version(ref) == (Version(expected) if expected else None)


def test_releases_sort_by_version_not_by_name() -> None:
    tags = ["v0.10.0", "v0.9.0", "v0.2.0", "v1.0.0rc1", "deploy/prod/42", "v0.2.0-1-gabc1234"]
    assert release_tags(tags) == ["v0.2.0", "v0.9.0", "v0.10.0"]
    assert latest_release(tags) == "v0.10.0"
    assert latest_release(tags, prereleases=True) == "v1.0.0rc1"
    assert latest_release(["main"]) is None
    assert is_release("v0.2.0")
    assert not is_release("v0.2.0-3-gabc1234")


def test_is_behind() -> None:
    assert is_behind("v0.1.0", "v0.2.0")
    assert is_behind("v0.1.0-4-gabc1234", "v0.2.0")
    assert not is_behind("v0.2.0-4-gabc1234", "v0.2.0")
    assert not is_behind("v0.2.0", "v0.2.0")
    assert not is_behind("abc1234", "v0.2.0"), "unknown: not claimed to be behind"


CHANGELOG = """# Changelog

## Unreleased

### Upgrade notes

- Something on main.

## [0.3.0] - 2025-03-01

### Added

- A thing.

### Upgrade notes

- Check values-prod.yaml.
- Second note.

## v0.2.0

### Upgrade notes

- Renamed `cost_center`.

### Fixed

- Not a note.

## 0.1.0

### Added

- First.
"""


def test_parse_changelog() -> None:
    releases = changelog.parse(CHANGELOG)
    assert [r.name for r in releases] == ["Unreleased", "0.3.0", "v0.2.0", "0.1.0"]
    assert releases[1].upgrade_notes == "- Check values-prod.yaml.\n- Second note."
    assert releases[2].upgrade_notes == "- Renamed `cost_center`."
    assert releases[3].upgrade_notes == ""


def test_notes_between_are_the_versions_an_update_crosses() -> None:
    releases = changelog.parse(CHANGELOG)
    crossed = changelog.notes_between(releases, Version("0.1.0"), Version("0.3.0"))
    assert [r.name for r in crossed] == ["v0.2.0", "0.3.0"]
    assert [
        r.name for r in changelog.notes_between(releases, Version("0.2.0"), Version("0.2.0"))
    ] == []
    past_release = changelog.notes_between(
        releases, Version("0.2.0.post2"), Version("0.3.0.post1"), include_unreleased=True
    )
    assert [r.name for r in past_release] == ["0.3.0", "Unreleased"]


def test_this_changelog_has_upgrade_notes_for_every_release() -> None:
    releases = changelog.parse((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert releases[0].name == "Unreleased"
    versions = [r.version for r in releases[1:] if r.version is not None]
    assert len(versions) == len(releases) - 1, [r.name for r in releases]
    assert versions == sorted(versions, reverse=True), "newest release first"
    for release in releases[1:]:
        assert release.upgrade_notes, f"## {release.name} has no ### Upgrade notes"


def _project_version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


def test_the_toolkit_version_is_the_newest_release() -> None:
    """A release tag serves the template and the `paved` toolkit of the same commit."""
    newest = changelog.parse((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))[1]
    assert newest.version == Version(_project_version())


def test_the_toolkit_says_the_version_of_pyproject() -> None:
    """One version number: pyproject.toml's, as the installed distribution records it (after
    a change to it, `make install` reinstalls). `paved --version` and the fleet view's
    toolkit column read generator.__version__."""
    from click.testing import CliRunner

    import generator
    from generator.cli import cli

    assert generator.__version__ == _project_version()
    result = CliRunner().invoke(cli, ["--version"])
    assert result.stdout == f"paved, version {_project_version()}\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("gh:acme/paved-road", "https://github.com/acme/paved-road.git"),
        ("gl:acme/platform/paved-road.git", "https://gitlab.com/acme/platform/paved-road.git"),
        ("git+https://git.acme.example/paved-road", "https://git.acme.example/paved-road"),
        ("https://git.acme.example/paved-road.git", "https://git.acme.example/paved-road.git"),
        ("git@github.com:acme/paved-road.git", "git@github.com:acme/paved-road.git"),
        ("/srv/templates/paved-road", "/srv/templates/paved-road"),
    ],
)
def test_git_url(source: str, expected: str) -> None:
    assert git_url(source, Path("/repos/service")) == expected


def test_git_url_takes_a_relative_template_from_the_repository(tmp_path: Path) -> None:
    assert git_url("../paved-road", tmp_path / "service") == str(tmp_path / "paved-road")
