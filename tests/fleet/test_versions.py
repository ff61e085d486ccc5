"""Template versions: release tags, recorded versions and how far behind they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import PavedError
from generator.fleet.versions import (
    Release,
    behind,
    latest_release,
    list_tags,
    parse_release,
    parse_version,
    resolve_source,
)
from tests.conftest import JsonHandler, git, serve_locally


@pytest.mark.parametrize(
    ("commit", "release", "commits"),
    [
        ("v1.2.0", Release(1, 2, 0), 0),
        ("1.2.0", Release(1, 2, 0), 0),
        ("v1.2.0-3-gabc1234", Release(1, 2, 0), 3),
        ("v10.0.12-120-g0123456789ab", Release(10, 0, 12), 120),
    ],
)
def test_recorded_versions_are_read_as_release_plus_commits(
    commit: str, release: Release, commits: int
) -> None:
    version = parse_version(commit)
    assert version is not None
    assert (version.release, version.commits) == (release, commits)


@pytest.mark.parametrize("commit", ["abc1234", "v2.0.0-rc.1", "main", "v1.2", "v1.2.0-dirty"])
def test_what_is_no_release_is_not_read_as_one(commit: str) -> None:
    assert parse_version(commit) is None


def test_latest_release_compares_numbers_and_ignores_other_tags() -> None:
    tags = ["v1.9.0", "v1.10.0", "v2.0.0-rc.1", "nightly", "v1.10.0-hotfix"]
    assert latest_release(tags) == "v1.10.0"
    assert latest_release(["nightly"]) is None
    assert parse_release("release-1") is None


@pytest.mark.parametrize(
    ("version", "latest", "expected"),
    [
        ("v2.1.1", "v2.1.1", "none"),
        ("v2.1.0", "v2.1.1", "patch"),
        ("v2.0.5", "v2.1.1", "minor"),
        ("v1.9.9", "v2.0.0", "major"),
        # Commits past a tag count as that release: not yet the next one ...
        ("v2.1.0-4-gabc1234", "v2.1.1", "patch"),
        ("v1.1.0-1-gabc1234", "v2.0.0", "major"),
        # ... and commits past the latest release are not behind it.
        ("v2.1.1-2-gabc1234", "v2.1.1", "none"),
        # A repository ahead of the latest release of the source asked about.
        ("v3.0.0", "v2.1.1", "none"),
    ],
)
def test_behind_by_the_first_number_that_differs(version: str, latest: str, expected: str) -> None:
    parsed = parse_version(version)
    assert parsed is not None
    assert behind(parsed, latest).value == expected


def test_sources_are_made_independent_of_the_working_directory(tmp_path: Path) -> None:
    # (How a source becomes a git URL is tested with generator.template_source.git_url.)
    assert resolve_source("gh:acme/paved-road", tmp_path) == "gh:acme/paved-road"
    assert (
        resolve_source("https://git.acme.example/paved.git", tmp_path)
        == "https://git.acme.example/paved.git"
    )
    assert resolve_source("../template", tmp_path / "repo") == str(tmp_path / "template")
    assert resolve_source(str(tmp_path), Path("/elsewhere")) == str(tmp_path)


def test_tags_are_listed_from_the_source(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "tag", "v1.0.0")
    git(tmp_path, "tag", "-a", "v1.1.0", "-m", "annotated")
    assert sorted(list_tags(str(tmp_path))) == ["v1.0.0", "v1.1.0"]


def test_a_source_without_a_repository_is_a_clean_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(PavedError) as raised:
        list_tags(str(missing))
    # git's reason, not the last line of its advice ("and the repository exists.").
    assert str(raised.value) == (
        f"cannot list the tags of the template {missing}: "
        f"'{missing}' does not appear to be a git repository"
    )


class _AskForPassword(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib names them
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="templates"')
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_template_that_wants_credentials_fails_instead_of_prompting() -> None:
    with serve_locally(_AskForPassword) as url, pytest.raises(PavedError) as raised:
        list_tags(f"{url}/acme/paved-road.git")
    assert "terminal prompts disabled" in str(raised.value)
