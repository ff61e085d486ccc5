"""A template's git repository: URL rules, tag listing, and the order of its versions."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from packaging.version import Version

from generator.errors import PavedError
from generator.template_source import (
    Behind,
    behind,
    git_url,
    is_behind,
    is_release,
    latest_release,
    list_tags,
    parse_version,
    recorded_commit,
    recorded_tag,
    release_tags,
    resolve_source,
)
from tests.conftest import JsonHandler, git, serve_locally

# --- sources ------------------------------------------------------------------------------


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


def test_sources_are_made_independent_of_the_working_directory(tmp_path: Path) -> None:
    assert resolve_source("gh:acme/paved-road", tmp_path) == "gh:acme/paved-road"
    assert (
        resolve_source("https://git.acme.example/paved.git", tmp_path)
        == "https://git.acme.example/paved.git"
    )
    assert resolve_source("git@github.com:acme/p.git", tmp_path) == "git@github.com:acme/p.git"
    assert resolve_source("../template", tmp_path / "repo") == str(tmp_path / "template")
    assert resolve_source(str(tmp_path), Path("/elsewhere")) == str(tmp_path)


# --- versions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("v0.2.0", "0.2.0"),
        ("0.2.0", "0.2.0"),
        ("v1.3", "1.3.0"),
        ("1.4.0.post1", "1.4.0.post1"),
        ("v0.2.0-3-gabc1234", "0.2.0.post3"),
        ("v10.0.12-120-g0123456789ab", "10.0.12.post120"),
        ("v1.0.0rc1", "1.0.0rc1"),
        ("v2.0.0-rc.1", "2.0.0rc1"),
        # Commits past a pre-release stay before the release.
        ("v2.0.0-rc.1-2-gabc1234", "2.0.0rc1.post2"),
        # Commits past a post release: after it, before the next one.
        ("1.4.0.post1-3-gabc1234", "1.4.0.post1+git.3"),
        ("abc1234", None),
        # An abbreviated commit hash of digits only is a commit, not version 1234567.
        ("1234567", None),
        ("main", None),
        ("v1.2.0-dirty", None),
    ],
)
def test_parse_version(ref: str, expected: str | None) -> None:
    assert parse_version(ref) == (Version(expected) if expected else None)


def test_versions_past_a_tag_order_after_it_and_before_the_next_release() -> None:
    ordered = [
        "v2.0.0rc1",
        "v2.0.0rc1-2-gabc1234",
        "v2.0.0",
        "2.0.0.post1",
        "2.0.0.post1-1-gabc1234",
    ]
    parsed = [parse_version(ref) for ref in ordered]
    assert all(version is not None for version in parsed)
    assert parsed == sorted(parsed, key=lambda version: version or Version("0"))
    assert len(set(parsed)) == len(parsed)


def test_recorded_tag_and_commit() -> None:
    assert recorded_tag("v1.2.0-3-gabc1234") == "v1.2.0"
    assert recorded_tag("v1.3") == "v1.3"
    assert recorded_tag("abc1234") is None
    assert recorded_commit("v1.2.0-3-gabc1234") == "abc1234"
    assert recorded_commit("1234567") == "1234567"
    assert recorded_commit("v1.2.0") is None


def test_releases_sort_by_version_not_by_name() -> None:
    tags = ["v0.10.0", "v0.9.0", "v0.2.0", "v1.0.0rc1", "deploy/prod/42", "v0.2.0-1-gabc1234"]
    assert release_tags(tags) == ["v0.2.0", "v0.9.0", "v0.10.0"]
    assert latest_release(tags) == "v0.10.0"
    assert latest_release(tags, prereleases=True) == "v1.0.0rc1"
    assert latest_release(["main"]) is None
    assert latest_release(["v1.9.0", "v1.10.0", "v2.0.0-rc.1", "nightly", "v1.10.0-hotfix"]) == (
        "v1.10.0"
    )
    assert is_release("v0.2.0")
    assert not is_release("v0.2.0-3-gabc1234")


def test_two_part_and_post_release_tags_are_releases() -> None:
    """PEP 440 as Copier orders tags: v1.3 is release 1.3.0, 1.4.0.post1 comes after 1.4.0."""
    tags = ["v1.2.0", "v1.3", "1.4.0.post1"]
    assert release_tags(tags) == ["v1.2.0", "v1.3", "1.4.0.post1"]
    assert latest_release(tags) == "1.4.0.post1"
    assert latest_release(["v1.3.0", "v1.3"]) in ("v1.3.0", "v1.3"), "the same release"


def test_is_behind() -> None:
    assert is_behind("v0.1.0", "v0.2.0")
    assert is_behind("v0.1.0-4-gabc1234", "v0.2.0")
    assert not is_behind("v0.2.0-4-gabc1234", "v0.2.0")
    assert not is_behind("v0.2.0", "v0.2.0")
    assert not is_behind("abc1234", "v0.2.0"), "unknown: not claimed to be behind"


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
        # Two-part tags are X.Y.0.
        ("v1.3", "v1.3.0", "none"),
        ("v1.3.0", "v1.3", "none"),
        ("v1.2.0", "v1.3", "minor"),
        ("v1.3", "v1.3.1", "patch"),
        # A post release is its release: nothing new to roll out ...
        ("v1.4.0", "1.4.0.post1", "none"),
        ("v1.4.0-2-gabc1234", "1.4.0.post1", "none"),
        # ... and is behind what comes after its release.
        ("1.4.0.post1", "v1.4.1", "patch"),
        ("1.4.0.post1", "v1.5.0", "minor"),
        ("v1.3", "1.4.0.post1", "minor"),
        # A pre-release lacks its release: the smallest step.
        ("v2.0.0-rc.1", "v2.0.0", "patch"),
        ("v2.0.0-rc.1-3-gabc1234", "v2.0.0", "patch"),
        ("v2.0.0-rc.1", "v1.9.0", "none"),
    ],
)
def test_behind_by_the_first_number_that_differs(version: str, latest: str, expected: str) -> None:
    assert behind(version, latest) == Behind(expected)


def test_behind_needs_versions() -> None:
    with pytest.raises(ValueError, match="not a version"):
        behind("abc1234", "v1.0.0")


# --- tags ---------------------------------------------------------------------------------


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


class AskForPassword(JsonHandler):
    """A git HTTP server that wants credentials for everything."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib names them
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="templates"')
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_template_that_wants_credentials_fails_instead_of_prompting() -> None:
    with serve_locally(AskForPassword) as url, pytest.raises(PavedError) as raised:
        list_tags(f"{url}/acme/paved-road.git", timeout=60)
    assert "terminal prompts disabled" in str(raised.value)


def test_a_template_on_a_closed_port_fails_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PavedError) as raised:
        list_tags(f"https://127.0.0.1:{port}/acme/paved-road.git", timeout=60)
    message = str(raised.value)
    assert message.startswith(f"cannot list the tags of the template https://127.0.0.1:{port}/")
    assert "unable to access" in message, message
