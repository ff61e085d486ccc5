"""`paved upgrade`: preflight, dry run, clean and conflicting updates, the summary, exit codes.

The service is the catalog-api example copied at template v0.1.0 and edited by its team; the
template has releases v0.2.0 and v0.3.0 (tests/update/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from copier.errors import CopierError

from generator.cli import cli
from tests.conftest import EXAMPLES, git, load_yaml
from tests.update.conftest import (
    MAX_REPLICAS_V2,
    TEAM_MEMORY,
    TEAM_TERRAFORM,
    V1,
    V2,
    V3,
    TemplateReleases,
    copy_service,
    team_edits,
    values_prod,
)

VALUES_PROD = "helm/catalog-api/values-prod.yaml"


def _service(releases: TemplateReleases, tmp_path: Path, overlapping: bool) -> Path:
    service = copy_service(
        releases.path, tmp_path / "service", load_yaml(EXAMPLES / "catalog-api.yml")
    )
    team_edits(service, overlapping=overlapping)
    return service


@pytest.fixture
def clean_service(template_releases: TemplateReleases, tmp_path: Path) -> Path:
    """Team edits that do not touch the lines the template changes."""
    return _service(template_releases, tmp_path, overlapping=False)


@pytest.fixture
def tuned_service(template_releases: TemplateReleases, tmp_path: Path) -> Path:
    """Team edits that include tuning the prod pod size next to the CPU request v0.2.0
    changes."""
    return _service(template_releases, tmp_path, overlapping=True)


def _upgrade(*args: str) -> Result:
    return CliRunner().invoke(cli, ["upgrade", *args])


def _snapshot(repo: Path) -> tuple[str, str, str]:
    """HEAD, the index as a tree, and the working tree's status."""
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "write-tree"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
    )


def _marker_lines(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, start=1) if line.startswith("<<<<<<< ")]


def test_dry_run_shows_the_changes_and_touches_nothing(tuned_service: Path) -> None:
    before = _snapshot(tuned_service)
    prod_values = values_prod(tuned_service).read_text(encoding="utf-8")

    result = _upgrade(str(tuned_service), "--dry-run")

    assert result.exit_code == 3, result.output
    assert _snapshot(tuned_service) == before
    assert before[2] == ""
    assert values_prod(tuned_service).read_text(encoding="utf-8") == prod_values
    out = result.stdout
    assert f"template {V1} -> {V3} (dry run: nothing was changed)" in out
    assert "  added    docs/operations.md" in out
    assert f"  changed  {VALUES_PROD}" in out
    assert f"  {VALUES_PROD}: lines " in out
    assert "To back out" not in out, "nothing to back out of"
    assert "+++ b/docs/operations.md" in out
    assert "+Applications log at `info` unless an environment sets otherwise." in out
    assert "+<<<<<<< before updating" in out


def test_clean_update_exits_0_and_reports(clean_service: Path) -> None:
    result = _upgrade(str(clean_service))

    assert result.exit_code == 0, result.output
    assert load_yaml(clean_service / ".copier-answers.yml")["_commit"] == V3
    assert load_yaml(values_prod(clean_service))["autoscaling"]["maxReplicas"] == MAX_REPLICAS_V2[2]
    assert load_yaml(values_prod(clean_service))["extraEnv"][0]["name"] == "PAYMENT_PROVIDER_URL"
    assert (clean_service / "terraform/envs/prod/team.tf").read_text() == TEAM_TERRAFORM
    out = result.stdout
    assert f"template {V1} -> {V3}\n" in out
    assert "  renamed  cost_center -> cost_centre" in out
    assert '  new      log_level = "info" (the default;' in out
    assert "Conflicts" not in out
    assert "To back out of the whole update: git -C " in out
    assert git(clean_service, "diff", "--name-only", "--diff-filter=U") == ""


def test_overlapping_edits_exit_3_with_files_and_lines(tuned_service: Path) -> None:
    result = _upgrade(str(tuned_service), "--format", "json")

    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "conflicts"
    assert report["exit_code"] == 3
    assert report["conflicts"] == [
        {
            "path": VALUES_PROD,
            "lines": _marker_lines(tuned_service / VALUES_PROD),
            "rejected": False,
        }
    ]
    assert report["conflicts"][0]["lines"], "the markers are where the report says"
    assert TEAM_MEMORY in (tuned_service / VALUES_PROD).read_text()
    assert "docs/operations.md" in report["files"]["added"]
    assert report["answers"]["renamed"] == [{"from": "cost_center", "to": "cost_centre"}]
    assert report["answers"]["new"] == {"log_level": "info"}
    assert report["diff"] is None

    # The printed way back restores the repository as it was.
    back_out = report["back_out"]
    assert back_out.startswith("git -C ")
    subprocess.run(back_out, shell=True, check=True, capture_output=True)
    assert git(tuned_service, "status", "--porcelain", "--untracked-files=all") == ""
    assert load_yaml(tuned_service / ".copier-answers.yml")["_commit"] == V1


def test_text_report_lists_conflicts_and_the_way_back(
    tuned_service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tuned_service)
    result = _upgrade()

    assert result.exit_code == 3, result.output
    lines = ", ".join(str(n) for n in _marker_lines(tuned_service / VALUES_PROD))
    assert "Conflicts: 1 file(s) need a person" in result.stdout
    assert f"  {VALUES_PROD}: lines {lines}\n" in result.stdout
    assert "To back out of the whole update: git reset --hard && git clean -fd" in result.stdout


def test_upgrade_notes_of_the_versions_crossed(clean_service: Path) -> None:
    first = _upgrade(str(clean_service), "--to", V2)
    assert first.exit_code == 0, first.output
    assert "  0.2.0\n    - The answer `cost_center` is now `cost_centre`" in first.stdout
    assert "0.3.0" not in first.stdout
    assert "First release" not in first.stdout, "notes of the version it came from"
    git(clean_service, "add", "-A")
    git(clean_service, "commit", "-qm", f"template {V2}")

    second = _upgrade(str(clean_service), "--format", "json")
    assert second.exit_code == 0, second.output
    report = json.loads(second.stdout)
    assert [(n["version"], n["notes"]) for n in report["upgrade_notes"]] == [
        ("0.3.0", "- docs/operations.md names the on-call escalation.")
    ]
    assert (report["from"], report["to"]) == (V2, V3)
    assert report["answers"] == {"new": {}, "removed": [], "renamed": []}


def test_an_up_to_date_repository_is_left_alone(clean_service: Path) -> None:
    assert _upgrade(str(clean_service)).exit_code == 0
    git(clean_service, "add", "-A")
    git(clean_service, "commit", "-qm", f"template {V3}")
    before = _snapshot(clean_service)

    result = _upgrade(str(clean_service))

    assert result.exit_code == 0, result.output
    assert "Up to date: nothing to do." in result.stdout
    assert _snapshot(clean_service) == before


def test_a_relative_template_path_is_taken_from_the_repository(
    template_releases: TemplateReleases,
    clean_service: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = clean_service / ".copier-answers.yml"
    source = os.path.relpath(template_releases.path, clean_service)
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace(f"_src_path: {template_releases.path}", f"_src_path: {source}"))
    git(clean_service, "commit", "-qam", "template source as a relative path")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = _upgrade(str(clean_service), "--vcs-ref", V2)  # Copier's name for --to

    assert result.exit_code == 0, result.output
    assert load_yaml(answers)["_commit"] == V2


def _dirty(service: Path) -> list[str]:
    (service / "README.md").write_text("edited\n")
    return [str(service)]


def _not_git(service: Path) -> list[str]:
    shutil.rmtree(service / ".git")
    return [str(service)]


def _no_answers(service: Path) -> list[str]:
    git(service, "rm", "-q", ".copier-answers.yml")
    git(service, "commit", "-qm", "no answers")
    return [str(service)]


def _unreachable(service: Path) -> list[str]:
    answers = service / ".copier-answers.yml"
    recorded = load_yaml(answers)["_src_path"]
    answers.write_text(answers.read_text().replace(recorded, f"{recorded}-moved"))
    git(service, "commit", "-qam", "template moved")
    return [str(service)]


def _unknown_ref(service: Path) -> list[str]:
    return [str(service), "--to", "v9.9.9"]


def _downgrade(service: Path) -> list[str]:
    answers = service / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_commit: {V1}", f"_commit: {V2}"))
    git(service, "commit", "-qam", "at v0.2.0")
    return [str(service), "--to", V1]


def _missing(service: Path) -> list[str]:
    return [str(service / "nope")]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_dirty, "1 uncommitted change(s) (first: README.md); commit or stash them first"),
        (_not_git, "not a git repository"),
        (_no_answers, ".copier-answers.yml: not found; the repository was not generated by"),
        (_unreachable, "-moved: not reachable: git clone:"),
        (_unknown_ref, "no tag, branch or commit 'v9.9.9' (latest tags: v0.3.0, v0.2.0, v0.1.0)"),
        (_downgrade, f"at template {V2}, newer than {V1}; Copier does not downgrade"),
        (_missing, "nope: no such directory"),
    ],
)
def test_preflight_failures_exit_2_with_a_clear_message(
    clean_service: Path, break_it: object, message: str
) -> None:
    assert callable(break_it)
    args = break_it(clean_service)
    before = sorted(str(p) for p in clean_service.rglob("*") if ".git" not in p.parts)

    result = _upgrade(*args)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("paved: error: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0]
    assert sorted(str(p) for p in clean_service.rglob("*") if ".git" not in p.parts) == before


def test_a_failing_migration_stops_the_update_before_it_changes_anything(
    clean_service: Path,
) -> None:
    answers = clean_service / ".copier-answers.yml"
    answers.write_text(answers.read_text() + "cost_centre: cc-1\n")
    git(clean_service, "commit", "-qam", "both names")
    before = _snapshot(clean_service)

    result = _upgrade(str(clean_service))

    assert result.exit_code == 2, result.output
    assert "paved: error: copier update failed:" in result.stderr
    assert "back out" not in result.stderr, "nothing changed, nothing to back out of"
    assert _snapshot(clean_service) == before


def test_an_update_that_stops_halfway_says_how_to_back_out(
    clean_service: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_applied(destination: Path, **_: object) -> None:
        (destination / "README.md").write_text("half written\n")
        raise CopierError("the template could not be rendered")

    monkeypatch.setattr("generator.upgrade.copier.run_update", half_applied)
    result = _upgrade(str(clean_service))

    assert result.exit_code == 2, result.output
    assert (
        "copier update failed: the template could not be rendered; it stopped halfway: "
        f"to back out, git -C {clean_service} reset --hard && git -C {clean_service} clean -fd"
    ) in result.stderr
