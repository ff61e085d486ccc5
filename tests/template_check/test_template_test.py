"""`paved template test` on a template repository of its own: a release tag, then template
changes on top in the working tree, as a platform team has them before a release.

Each run renders one example (catalog-api) and checks it with the `parse` validator alone
(every validator is the examples' own tests' business); what is under test here is the
update path: the team's edits at the release, the update to the working tree, and what the
report and the exit code say of it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.policy import load_policy
from tests.conftest import EXAMPLES, edit_policy, example_answer, git, snapshot_template

PAVED = str(Path(sys.executable).with_name("paved"))
RELEASE = "v1.0.0"
EXAMPLE = "catalog-api"
RUNBOOK = Path("templates") / "docs" / "runbooks" / "README.md.jinja"
RENAMED = Path("templates") / "docs" / "runbooks" / "index.md.jinja"


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """The working tree's template as release v1.0.0 of a git repository of its own, and an
    examples folder with the one example."""
    template = snapshot_template(tmp_path / "template")
    examples = template / "examples" / "answers"
    examples.mkdir(parents=True)
    shutil.copy2(EXAMPLES / f"{EXAMPLE}.yml", examples)
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "template")
    git(template, "tag", RELEASE)
    return template


def _template_test(template: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [PAVED, "template", "test", str(template), "--only", "parse", "--format", "json", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode != 2, done.stderr
    return done.returncode, json.loads(done.stdout)


def _update_row(report: dict[str, Any]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [row for row in report["rows"] if row["stage"] == "update"]
    assert len(rows) == 1
    return rows[0]


def test_an_unchanged_template_keeps_every_edit(released: Path) -> None:
    code, report = _template_test(released)
    assert code == 0, report["findings"]
    row = _update_row(report)
    assert row["subject"] == f"{EXAMPLE} from {RELEASE}"
    assert [edit["state"] for edit in row["edits"]] == ["kept"] * 5
    assert {edit["kind"] for edit in row["edits"]} == {
        "tune-prod-values",
        "add-terraform-file",
        "extend-runbook",
        "add-readme-notes",
        "delete-optional-file",
    }
    assert report["working_tree"]["changed_files"] == 0


def test_a_renamed_file_that_the_team_edited_is_a_lost_edit(released: Path) -> None:
    # The platform team renames the runbook index; the team had extended it at v1.0.0.
    git(released, "mv", str(RUNBOOK), str(RENAMED))
    code, report = _template_test(released)
    assert code == 1
    lost = [f for f in report["findings"] if f["kind"] in {"edit-lost", "edited-file-deleted"}]
    assert [(f["path"], f["subject"]) for f in lost] == [
        ("docs/runbooks/README.md", f"{EXAMPLE} from {RELEASE}")
    ], report["findings"]
    assert "extend-runbook" in lost[0]["detail"]
    assert report["working_tree"]["changed_files"] == 2  # the rename: one file gone, one new


def _conflicting_change(template: Path) -> None:
    """Raise the prod replica floor of the example's tier in policy.yml: the template changes
    the `replicaCount` line of values-prod.yaml that the team tuned."""
    tier = example_answer(EXAMPLE, "tier")
    floor = load_policy(template).tiers[tier].prod_min_replicas
    edit_policy(template, {f"tiers.{tier}.prod_min_replicas": floor + 2})


def test_a_template_change_on_a_tuned_line_is_a_conflict_with_file_and_line(
    released: Path,
) -> None:
    _conflicting_change(released)
    code, report = _template_test(released)
    assert code == 3, report["findings"]
    (conflict,) = report["findings"]
    assert conflict["kind"] == "conflict"
    assert conflict["path"] == f"helm/{EXAMPLE}/values-prod.yaml"
    assert conflict["announced"] is False
    # Nothing was lost: the team's tuned line opens the conflict block, kept for the person
    # who merges; the block's `<<<<<<< before updating` line is the one above it.
    edits = {edit["kind"]: edit for edit in _update_row(report)["edits"]}
    assert all(edit["state"] == "kept" for edit in edits.values())
    tuned = edits["tune-prod-values"]
    assert tuned["path"] == conflict["path"]
    assert tuned["detail"] == f"line {conflict['line'] + 1}"


def test_a_conflict_the_upgrade_notes_announce_does_not_fail(released: Path) -> None:
    _conflicting_change(released)
    changelog = released / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    unreleased_notes = "### Upgrade notes\n\n"
    assert text.index("## Unreleased") < text.index(unreleased_notes)
    note = (
        "- The prod replica floor rises: a team that tuned `replicaCount` in "
        f"`helm/{EXAMPLE}/values-prod.yaml` resolves a conflict there.\n"
    )
    changelog.write_text(text.replace(unreleased_notes, unreleased_notes + note, 1))
    code, report = _template_test(released)
    assert code == 0, report["findings"]
    (conflict,) = report["findings"]
    assert (conflict["kind"], conflict["announced"]) == ("conflict", True)
    assert _update_row(report)["status"] == "announced"


def test_without_a_release_the_update_stage_says_so(tmp_path: Path) -> None:
    template = snapshot_template(tmp_path / "template")
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "template")
    examples = tmp_path / "examples"
    examples.mkdir()
    shutil.copy2(EXAMPLES / f"{EXAMPLE}.yml", examples)
    code, report = _template_test(template, "--examples", str(examples))
    assert code == 0
    assert [row["stage"] for row in report["rows"]] == ["examples"]
    assert any("No release tag" in note for note in report["notes"])
