"""`paved fleet status` over a fleet of fifty repositories at mixed versions."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator import __version__
from generator.fleet import readiness_score
from generator.policy import load_policy
from tests.conftest import ROOT
from tests.fleet.builders import BROKEN, LATEST, UNRELEASED, described
from tests.fleet.conftest import Fleet, ReleasedTemplate, StatusRun, fake_readiness, run_fleet

BEHIND = {"v1.0.0": "major", "v1.1.0": "major", UNRELEASED: "major", "v2.0.0": "minor"}
BEHIND |= {"v2.1.0": "patch", LATEST: "none"}


def _expected(
    fleet: Fleet, template: ReleasedTemplate, answer_sets: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    org = load_policy(ROOT).org  # the defaults of answers a file lacks
    rows = {}
    for member in fleet.members:
        answers = answer_sets[member.original.name]
        version = described(template.path, template.refs[member.original.release])
        row = {
            "path": str(member.path),
            "service": answers["service_name"],
            "team": answers["team"],
            "tier": answers.get("tier", 2),
            "ownership_model": answers.get("ownership_model", org["ownership_model"]),
            "repository": answers.get("repository", f"{org['slug']}/{answers['service_name']}"),
            "template": str(template.path),
            "version": version,
            "latest": LATEST,
            "behind": BEHIND[member.original.release],
            "drift": list(member.drift),
            "readiness": fake_readiness(member.path),
            # The installed toolkit scored every row, and it is the one of none of the
            # test template's releases.
            "toolkit": __version__,
            "toolkit_differs": True,
            "error": None,
        }
        if member.broken == "unreadable-answers":
            row = dict.fromkeys(row) | {"path": str(member.path)}
        elif member.broken is not None:
            row |= {"behind": None, "drift": None, "readiness": None}
            row |= {"toolkit": None, "toolkit_differs": None}
            row["version"] = "v9.9.9" if member.broken == "unknown-release" else "v1.0.0-2-gdeadbee"
        rows[str(member.path)] = row
    return rows


def test_every_repository_is_reported_once_in_path_order(
    cold_status: StatusRun, fleet: Fleet
) -> None:
    rows, _ = cold_status
    assert len(fleet.members) == 50
    paths = [row["path"] for row in rows]
    assert paths == sorted(paths)
    # Nothing from node_modules, .terraform or inside a repository already found.
    assert sorted(paths) == sorted(str(member.path) for member in fleet.members)


def test_each_row_says_where_the_repository_stands(
    cold_status: StatusRun,
    fleet: Fleet,
    released_template: ReleasedTemplate,
    answer_sets: dict[str, dict[str, Any]],
) -> None:
    rows, _ = cold_status
    expected = _expected(fleet, released_template, answer_sets)
    for original in rows:
        row = dict(original)
        error = row.pop("error")
        want = expected[row["path"]]
        kind = next((m.broken for m in fleet.members if str(m.path) == row["path"]), None)
        if kind is None:
            assert error is None, row["path"]
        else:
            assert BROKEN[kind] in error, (row["path"], error)
            assert "\n" not in error
        want.pop("error")
        assert row == want, row["path"]


def test_the_fleet_mixes_what_the_acceptance_asks_for(cold_status: StatusRun) -> None:
    rows, _ = cold_status
    assert {row["behind"] for row in rows} == {"none", "patch", "minor", "major", None}
    assert sum(1 for row in rows if row["drift"]) >= 5
    assert sum(1 for row in rows if row["error"]) == len(BROKEN)
    assert any(re.fullmatch(r"v1\.1\.0-1-g[0-9a-f]+", row["version"] or "") for row in rows)
    assert len({(row["service"], row["version"]) for row in rows if not row["error"]}) >= 6


def test_renders_once_per_key_in_processes_and_reports_progress(cold_status: StatusRun) -> None:
    _, stderr = cold_status
    # Seven (version, answers) pairs render; the unknown commit is not tried.
    assert "7 pristine renders: 0 cached, 7 to render" in stderr
    assert "found 50 service repositories" in stderr
    assert re.search(r"latest release v2\.1\.1", stderr)
    assert "checked 50 repositories in" in stderr


def test_a_warm_cache_renders_nothing_and_reports_the_same(
    cold_status: StatusRun, fleet: Fleet
) -> None:
    rows, _ = cold_status
    stdout, stderr = run_fleet(fleet, "status", "--format", "json", str(fleet.root))
    assert "7 pristine renders: 7 cached, 0 to render" in stderr
    assert json.loads(stdout) == rows
    renders = fleet.cache / "renders"
    assert len([p for p in renders.iterdir() if not p.name.startswith(".")]) == 7
    assert not [p for p in renders.iterdir() if p.name.startswith(".tmp-")]


def test_table_is_aligned_and_lists_errors(cold_status: StatusRun, fleet: Fleet) -> None:
    stdout, _ = run_fleet(fleet, "status", str(fleet.root))
    lines = stdout.splitlines()
    header = lines[0]
    assert header.split() == [
        "PATH",
        "SERVICE",
        "TEAM",
        "TIER",
        "OWNERSHIP",
        "VERSION",
        "LATEST",
        "BEHIND",
        "DRIFT",
        "READINESS",
        "TOOLKIT",
    ]
    starts = [header.index(title) for title in header.split()]
    table = lines[1:51]
    for line in table:
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", line
            assert line[start] != " ", line
    drifted = next(line for line in table if "catalog-api-04" in line)
    assert drifted.split()[-3:] == ["1", str(len("catalog-api-04")), f"{__version__}*"]
    assert lines[51].startswith("50 repositories, ")
    assert (
        "47 scored by a toolkit other than their template release's (*: their own CI" in lines[51]
    )
    assert "3 with errors" in lines[51]
    assert [line.split(":")[0].strip() for line in lines[52:]] == sorted(
        str(fleet.root / "broken" / kind) for kind in BROKEN
    )


def test_no_repository_is_a_clean_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["fleet", "status", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("paved: error: no service repository")
    assert "Traceback" not in result.output


def test_readiness_score_is_the_readiness_report_score(
    rendered_examples: dict[str, Path], tmp_path: Path
) -> None:
    from generator.readiness import readiness

    repo = rendered_examples["catalog-api"]
    assert readiness_score(repo) == readiness(repo).score == 100
    (tmp_path / ".copier-answers.yml").write_text("tier: [not, a, tier]\n")
    assert readiness_score(tmp_path) is None


def test_template_option_replaces_the_recorded_source(
    fleet: Fleet,
    cold_status: StatusRun,
    released_template: ReleasedTemplate,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    rows, _ = cold_status
    # The template moved: the recorded _src_path is gone, --template says where it is now.
    moved = tmp_path / "moved"
    shutil.copytree(released_template.path, moved / "template")
    member = next(m for m in fleet.members if m.drift and not m.broken)
    repo = shutil.copytree(member.path, tmp_path / "repo")
    answers = repo / ".copier-answers.yml"
    answers.write_text(
        answers.read_text().replace(str(released_template.path), "/nowhere/template")
    )
    monkeypatch.chdir(moved)
    stdout, _ = run_fleet(fleet, "status", "--format", "json", str(repo), "--template", "template")
    (row,) = json.loads(stdout)
    (before,) = [r for r in rows if r["path"] == str(member.path)]
    assert row["template"] == str(moved / "template")
    assert row["error"] is None
    assert (row["version"], row["latest"], row["behind"], row["drift"]) == (
        before["version"],
        before["latest"],
        before["behind"],
        before["drift"],
    )


def _row_with_source(
    fleet: Fleet, released_template: ReleasedTemplate, tmp_path: Path, source: str
) -> dict[str, Any]:
    """The fleet's row for a copy of a healthy member whose _src_path is ``source``."""
    member = next(m for m in fleet.members if not m.broken)
    repo = shutil.copytree(member.path, tmp_path / "repo")
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(released_template.path), source))
    stdout, _ = run_fleet(fleet, "status", "--format", "json", str(repo))
    (row,) = json.loads(stdout)
    return dict(row)


def test_a_recorded_source_that_is_gone_is_an_error_row(
    fleet: Fleet, released_template: ReleasedTemplate, tmp_path: Path
) -> None:
    row = _row_with_source(fleet, released_template, tmp_path, "/nowhere/template")
    assert row["template"] == "/nowhere/template"
    assert row["error"] == (
        "cannot list the tags of the template /nowhere/template: "
        "'/nowhere/template' does not appear to be a git repository"
    )
    assert (row["behind"], row["drift"], row["readiness"]) == (None, None, None)


def test_a_source_recorded_relative_to_where_it_was_rendered_is_named(
    fleet: Fleet, released_template: ReleasedTemplate, tmp_path: Path
) -> None:
    # `paved new --template .` used to record `_src_path: .`, which copier update and the
    # fleet read from the repository: the repository itself.
    row = _row_with_source(fleet, released_template, tmp_path, ".")
    assert row["error"] == (
        ".copier-answers.yml has _src_path '.', which is this repository: the template was "
        "given as a path relative to where it was rendered; pass --template"
    )
