"""Finding the repositories of a fleet and reading their answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import PavedError
from generator.fleet.repos import find_repos, read_repo


def _repo(path: Path, text: str = "_commit: v1.0.0\nservice_name: a-b\n") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".copier-answers.yml").write_text(text, encoding="utf-8")
    return path


def test_walks_the_tree_but_not_into_skipped_folders_or_found_repositories(tmp_path: Path) -> None:
    found = [
        _repo(tmp_path / "org" / "b-service"),
        _repo(tmp_path / "org" / "deep" / "down" / "a-service"),
    ]
    _repo(tmp_path / "org" / "b-service" / "examples" / "nested")
    _repo(tmp_path / "node_modules" / "pkg")
    _repo(tmp_path / "org" / ".terraform" / "modules" / "m")
    _repo(tmp_path / "org" / "c" / ".git" / "x")
    assert find_repos([tmp_path]) == sorted(found)


def test_a_path_that_is_a_repository_is_one_and_duplicates_count_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "svc")
    assert find_repos([repo, tmp_path, repo]) == [repo]


def test_a_missing_path_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(PavedError, match="not a directory"):
        find_repos([tmp_path / "nope"])


def test_reads_answers_and_keeps_copier_metadata_apart(tmp_path: Path) -> None:
    repo = read_repo(
        _repo(tmp_path / "svc", "_commit: v1.0.0\n_src_path: gh:acme/t\ntier: 3\nteam: x\n")
    )
    answers = repo.answers
    assert (answers.commit, answers.src_path, answers.recorded_tier) == ("v1.0.0", "gh:acme/t", 3)
    assert answers.answers == {"tier": 3, "team": "x"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("_commit: [v1\n", r"^\.copier-answers\.yml: not valid YAML \(line 2: .*\)$"),
        ("- a list\n", "not a mapping of answers"),
        ("", "not a mapping of answers"),
    ],
)
def test_unreadable_answers_are_a_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PavedError, match=message):
        read_repo(_repo(tmp_path / "svc", text))
