"""The CHANGELOG's upgrade notes, and the toolkit's version as the newest release."""

from __future__ import annotations

import tomllib

from packaging.version import Version

from generator import changelog
from tests.conftest import ROOT

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
