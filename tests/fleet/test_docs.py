"""The fleet-upgrade workflow in docs/fleet.md: valid, pinned, secure, and it reads the plan."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.fleet.plan import plan
from generator.validate import validate
from tests.conftest import ROOT, load_yaml, require_tool
from tests.fleet.test_plan import FLEET

DOC = ROOT / "docs" / "fleet.md"
WORKFLOW_MARKER = "# .github/workflows/fleet-upgrade.yml"


def _workflow_text() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    (workflow,) = [block for block in blocks if block.startswith(WORKFLOW_MARKER)]
    return str(workflow)


@pytest.fixture
def workflow_repo(tmp_path: Path) -> Path:
    target = tmp_path / ".github" / "workflows" / "fleet-upgrade.yml"
    target.parent.mkdir(parents=True)
    target.write_text(_workflow_text(), encoding="utf-8")
    return tmp_path


def _workflow(repo: Path) -> dict[str, Any]:
    data = load_yaml(repo / ".github" / "workflows" / "fleet-upgrade.yml")
    assert isinstance(data, dict)
    return data


def _step(workflow: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    (step,) = [s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id]
    return dict(step)


@pytest.mark.slow
def test_the_workflow_passes_the_ci_validators(workflow_repo: Path) -> None:
    require_tool("checkov")
    report = validate(
        workflow_repo, only=["ci-schema", "ci-pinning", "checkov-ci"], require_all=True
    )
    assert report.ok, report.to_text()


def test_actions_carry_the_pins_of_the_generated_pipelines(workflow_repo: Path) -> None:
    pins = set(
        re.findall(
            r"'([\w-]+/[\w-]+@[0-9a-f]{40} # v[\d.]+)'",
            (ROOT / "includes" / "pipelines.jinja").read_text(),
        )
    )
    used = re.findall(r"uses: (.+)$", _workflow_text(), flags=re.MULTILINE)
    assert used
    assert set(used) <= pins


def test_upgrade_jobs_run_over_the_wave_matrix_one_service_each(workflow_repo: Path) -> None:
    workflow = _workflow(workflow_repo)
    upgrade = workflow["jobs"]["upgrade"]
    assert upgrade["strategy"]["matrix"] == "${{ fromJSON(needs.wave.outputs.matrix) }}"
    assert upgrade["strategy"]["fail-fast"] is False
    assert workflow["permissions"] == {"contents": "read"}
    scripts = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    # Plan values reach the shell through env:, never by expansion inside the script.
    assert not [script for script in scripts if "${{" in script]
    assert any("paved upgrade" in script for script in scripts)


def test_run_scripts_pass_shellcheck(workflow_repo: Path) -> None:
    shellcheck = require_tool("shellcheck")
    workflow = _workflow(workflow_repo)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" not in step:
                continue
            done = subprocess.run(
                [shellcheck, "--shell=bash", "-"],
                input=step["run"],
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("wave", [1, 4])
def test_the_wave_step_picks_that_wave_of_a_plan(
    workflow_repo: Path, tmp_path: Path, wave: int
) -> None:
    require_tool("jq")
    plan_data = plan(FLEET, wave_size=2)
    (tmp_path / "fleet-plan.json").write_text(json.dumps(plan_data), encoding="utf-8")
    output = tmp_path / "github-output"
    done = _pick(workflow_repo, tmp_path, wave, output)
    assert done.returncode == 0, done.stderr
    name, _, value = output.read_text().strip().partition("=")
    assert name == "matrix"
    assert json.loads(value) == plan_data["waves"][wave - 1]["matrix"]


def test_the_wave_step_fails_for_a_wave_the_plan_has_not(
    workflow_repo: Path, tmp_path: Path
) -> None:
    require_tool("jq")
    (tmp_path / "fleet-plan.json").write_text(
        json.dumps(plan(FLEET, wave_size=50)), encoding="utf-8"
    )
    done = _pick(workflow_repo, tmp_path, 99, tmp_path / "github-output")
    assert done.returncode == 1
    assert "::error::fleet-plan.json has no wave 99" in done.stdout


def _pick(repo: Path, cwd: Path, wave: int, output: Path) -> subprocess.CompletedProcess[str]:
    step = _step(_workflow(repo), "wave", "wave")
    env = {**os.environ, "PLAN": "fleet-plan.json", "WAVE": str(wave), "GITHUB_OUTPUT": str(output)}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("exit_code", "step_code", "output"),
    [(0, 0, "conflicts=false"), (3, 0, "conflicts=true"), (2, 2, "")],
)
def test_the_upgrade_step_proposes_conflicts_as_a_draft_and_fails_on_errors(
    workflow_repo: Path, tmp_path: Path, exit_code: int, step_code: int, output: str
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    paved = bin_dir / "paved"
    paved.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    paved.chmod(0o755)
    github_output = tmp_path / "github-output"
    github_output.touch()
    step = _step(_workflow(workflow_repo), "upgrade", "upgrade")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TO": "v1.2.0"}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={**env, "GITHUB_OUTPUT": str(github_output)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == step_code, done.stderr
    assert github_output.read_text().strip() == output
    pull_request = next(
        s
        for s in _workflow(workflow_repo)["jobs"]["upgrade"]["steps"]
        if "gh pr create" in s.get("run", "")
    )
    assert pull_request["env"]["CONFLICTS"] == "${{ steps.upgrade.outputs.conflicts }}"
    assert '[ "$CONFLICTS" = "true" ]' in pull_request["run"]


def test_every_key_of_a_status_row_is_documented() -> None:
    from dataclasses import fields

    from generator.fleet.status import RepoStatus

    section = DOC.read_text(encoding="utf-8").split("## `paved fleet plan`")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {key for line in rows for key in re.findall(r"`(\w+)`", line.split("|")[1])}
    assert {field.name for field in fields(RepoStatus)} <= documented
