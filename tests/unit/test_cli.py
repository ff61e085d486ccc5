"""The `paved` CLI through click's runner: exit codes, messages, output formats."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from generator.cli import cli
from generator.fleet import fleet_status
from tests.conftest import git, load_yaml, require_tool


def _write_answers(path: Path, answers: dict[str, Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(answers, handle)
    return path


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"service_name": "Bad_Name"}, "Validation error for question 'service_name'"),
        ({"tier": 5}, "Invalid choice for 'tier'"),
        ({"servce_name": "typo"}, "unknown question 'servce_name'"),
    ],
)
def test_new_refuses_bad_answer_cleanly(
    template_dir: Path,
    tmp_path: Path,
    minimal_answers: dict[str, Any],
    changes: dict[str, Any],
    expected: str,
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", {**minimal_answers, **changes})
    destination = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["new", str(answers), str(destination), "--template", str(template_dir)]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("paved: error:")]
    assert len(error_lines) == 1
    assert expected in error_lines[0]
    assert not destination.exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("tier=7", "Invalid choice for 'tier': 7 is not in [1, 2, 3]"),
        ("container_port=abc", "'container_port': \"abc\" is not a whole number"),
        ("oncall_provider=none", "tier 2 pages on fast burn, so it needs an on-call provider"),
        ("tier", "--data 'tier': the rule is KEY=VALUE"),
    ],
)
def test_new_refuses_a_bad_data_value_in_one_line(
    template_dir: Path,
    tmp_path: Path,
    minimal_answers: dict[str, Any],
    data: str,
    expected: str,
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    destination = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["new", str(answers), str(destination), "--template", str(template_dir), "--data", data],
    )
    assert result.exit_code == 2
    # The progress line, then the error in one line: no traceback, nothing else.
    progress, error = result.stderr.splitlines()
    assert progress == f"rendering {destination} from {answers} ..."
    assert error.startswith("paved: error:")
    assert expected in error
    assert not destination.exists()


def test_new_data_overrides_the_answers_file(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    destination = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "new", str(answers), str(destination), "--template", str(template_dir),
            "--data", "tier=1", "--data", "container_port=9090",
            # platform ownership at tier 1: SRE is the last escalation level.
            "--data", "sre_escalation_policy=PSRE1", "--no-validate",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    recorded = YAML(typ="safe", pure=True).load(destination / ".copier-answers.yml")
    assert (recorded["tier"], recorded["container_port"]) == (1, 9090)
    assert recorded["dr_region"] == "eu-central-1"


def test_new_refuses_missing_answers_file(template_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["new", str(tmp_path / "nope.yml"), str(tmp_path / "out"), "--template", str(template_dir)],
    )
    assert result.exit_code == 2
    assert "answers file not found" in result.stderr


def test_new_refuses_non_empty_destination(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "mine.txt").write_text("keep")
    result = CliRunner().invoke(
        cli, ["new", str(answers), str(destination), "--template", str(template_dir)]
    )
    assert result.exit_code == 1
    assert "exists and is not empty" in result.stderr
    assert [p.name for p in destination.iterdir()] == ["mine.txt"]


def test_new_renders_then_reports(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    destination = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["new", str(answers), str(destination), "--template", str(template_dir), "--no-validate"],
    )
    assert result.exit_code == 0, result.output
    assert (destination / "terraform" / "envs" / "prod" / "main.tf").is_file()


def _repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def test_validate_reports_unparseable_file(tmp_path: Path) -> None:
    repo = _repo_with(
        tmp_path, {"ok.yaml": "a: 1\n", "bad.json": "{not json", "bad.yml": "a: [1\n"}
    )
    result = CliRunner().invoke(cli, ["validate", str(repo), "--only", "parse"])
    assert result.exit_code == 1
    assert "parse  failed 2 of 3 file(s) do not parse" in result.stdout
    assert "bad.json" in result.stdout
    assert "bad.yml" in result.stdout
    assert "FAILED: 0 passed, 1 failed, 0 skipped" in result.stdout
    assert "parse: every YAML, JSON and HCL file parses ..." in result.stderr


def test_validate_json_format(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, {"ok.yaml": "a: 1\n"})
    result = CliRunner().invoke(cli, ["validate", str(repo), "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [v["name"] for v in report["validators"]] == ["parse"]
    assert report["counts"] == {"passed": 1, "failed": 0, "skipped": 0}


def test_missing_tool_is_skipped_unless_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAVED_TERRAFORM", str(tmp_path / "no-terraform-here"))
    repo = _repo_with(tmp_path, {"terraform/main.tf": "locals {\n  a = 1\n}\n"})
    relaxed = CliRunner().invoke(cli, ["validate", str(repo), "--only", "terraform-fmt"])
    assert relaxed.exit_code == 0
    assert "terraform-fmt  skipped: terraform not found" in relaxed.stdout
    strict = CliRunner().invoke(
        cli, ["validate", str(repo), "--only", "terraform-fmt", "--require-all"]
    )
    assert strict.exit_code == 1
    assert "FAILED: 0 passed, 0 failed, 1 skipped" in strict.stdout


def test_only_names_an_unknown_validator(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, {"ok.yaml": "a: 1\n"})
    result = CliRunner().invoke(cli, ["validate", str(repo), "--only", "helmet"])
    assert result.exit_code == 1
    assert "no validator named 'helmet'" in result.stderr


def test_only_selects_a_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAVED_TERRAFORM", str(tmp_path / "missing"))
    repo = _repo_with(tmp_path, {"terraform/main.tf": "locals {}\n"})
    result = CliRunner().invoke(
        cli, ["validate", str(repo), "--only", "terraform", "--format", "json"]
    )
    names = [v["name"] for v in json.loads(result.stdout)["validators"]]
    assert names == ["terraform-fmt"]  # no envs/ and no module tests: the others do not apply


def test_terraform_fmt_finds_unformatted_file(tmp_path: Path) -> None:
    require_tool("terraform")
    repo = _repo_with(tmp_path, {"terraform/main.tf": "locals {\n a   = 1\n}\n"})
    result = CliRunner().invoke(cli, ["validate", str(repo), "--only", "terraform-fmt"])
    assert result.exit_code == 1
    assert "terraform-fmt  failed 1 file(s) not formatted" in result.stdout
    assert (repo / "terraform" / "main.tf").read_text() == "locals {\n a   = 1\n}\n", (
        "validate must not rewrite"
    )


def test_chart_validators_skip_without_in_process_helm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.validators.helm as helm

    monkeypatch.setattr(helm, "helm_available", lambda: False)
    repo = _repo_with(
        tmp_path,
        {
            "helm/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "helm/web/values-prod.yaml": "{}\n",
        },
    )
    result = CliRunner().invoke(
        cli, ["validate", str(repo), "--only", "helm,pod-security", "--format", "json"]
    )
    report = json.loads(result.stdout)
    assert {v["name"]: v["status"] for v in report["validators"]} == {
        "helm-lint": "skipped",
        "pod-security": "skipped",
    }
    assert all("helm-python-sdk" in v["summary"] for v in report["validators"])
    assert result.exit_code == 0


# --- a local template: what the new repository records -------------------------------


@pytest.fixture
def git_template(template_dir: Path, tmp_path: Path) -> Path:
    """The template as a committed git checkout with one release tag."""
    checkout = tmp_path / "checkout" / "template"
    shutil.copytree(template_dir, checkout)
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "template")
    git(checkout, "tag", "v0.1.0")
    return checkout


def _new(answers: Path, destination: Path, template: str) -> Result:
    result = CliRunner().invoke(
        cli, ["new", str(answers), str(destination), "--template", template, "--no-validate"]
    )
    assert result.exit_code == 0, result.output
    return result


def _fleet_row(repo: Path, cache: Path) -> dict[str, Any]:
    (row,) = fleet_status([repo], with_readiness=False, cache=cache, jobs=1)
    return row.to_dict()


def test_a_relative_local_template_is_recorded_by_its_absolute_path(
    git_template: Path,
    tmp_path: Path,
    minimal_answers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    monkeypatch.chdir(git_template.parent)
    result = _new(answers, tmp_path / "service", "template")
    assert "warning" not in result.stderr
    recorded = load_yaml(tmp_path / "service" / ".copier-answers.yml")
    assert (recorded["_src_path"], recorded["_commit"]) == (str(git_template), "v0.1.0")
    # From anywhere else, the fleet finds the template and the version.
    monkeypatch.chdir(tmp_path)
    row = _fleet_row(tmp_path / "service", tmp_path / "cache")
    assert (row["error"], row["version"], row["behind"], row["drift"]) == (
        None,
        "v0.1.0",
        "none",
        [],
    )


def test_uncommitted_template_changes_are_rendered_and_said_to_be_unfindable(
    git_template: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    readme = git_template / "templates" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nWork in progress.\n")
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    result = _new(answers, tmp_path / "service", str(git_template))
    assert "Work in progress." in (tmp_path / "service" / "README.md").read_text()
    commit = load_yaml(tmp_path / "service" / ".copier-answers.yml")["_commit"]
    sha = commit.rpartition("-g")[2]
    assert git(git_template, "cat-file", "-t", "HEAD") == "commit"
    with pytest.raises(subprocess.CalledProcessError):
        git(git_template, "cat-file", "-e", f"{sha}^{{commit}}")
    (warning,) = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warning.startswith(
        f"paved: warning: the template {git_template} has 1 uncommitted change(s) "
        "(first: templates/README.md.jinja): rendered as they are on disk"
    )
    assert f"(_commit: {commit})" in warning
    row = _fleet_row(tmp_path / "service", tmp_path / "cache")
    assert row["error"] == (
        f"commit {sha} is not in the template {git_template}: rendered from uncommitted changes?"
    )


def test_a_template_outside_git_is_rendered_with_a_warning(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    answers = _write_answers(tmp_path / "answers.yml", minimal_answers)
    result = _new(answers, tmp_path / "service", str(template_dir))
    assert f"paved: warning: the template {template_dir} is not a git repository" in result.stderr
    assert "_commit" not in load_yaml(tmp_path / "service" / ".copier-answers.yml")
