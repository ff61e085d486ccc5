"""`paved readiness` through click's runner: exit codes, usage errors, formats, --min-score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.readiness import readiness
from generator.readiness.formats import to_text
from tests.conftest import require_helm
from tests.readiness.conftest import Breakable, check, invoke, report


@pytest.fixture(autouse=True)
def _helm() -> None:
    require_helm()


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("paved: error:")]


def test_ready_repository_exits_0(ready_examples: dict[str, Path]) -> None:
    result = invoke(ready_examples["docs-portal"])
    assert result.exit_code == 0, result.output
    assert "READY: score 100/100" in result.stdout


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nope", "no such directory"),
        ("file.txt", "not a directory"),
        (".", "not a generated repository (no .copier-answers.yml"),
    ],
)
def test_not_a_repository_is_a_usage_error(tmp_path: Path, target: str, expected: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    result = invoke(tmp_path / target)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 1
    assert expected in errors[0]
    assert result.stdout == ""


def test_invalid_yaml_names_the_file(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    (repo / "helm/catalog-api/values-prod.yaml").write_text("replicaCount: [2\n")
    result = invoke(repo)
    assert result.exit_code == 2
    (error,) = _error_lines(result.stderr)
    assert "helm/catalog-api/values-prod.yaml: invalid YAML" in error


def test_invalid_hcl_names_the_file(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    path = repo / "terraform/envs/prod/main.tf"
    path.write_text(path.read_text() + '\nmodule "broken" {\n')
    result = invoke(repo, "--format", "json")
    assert result.exit_code == 2
    (error,) = _error_lines(result.stderr)
    assert "terraform/envs/prod/main.tf: invalid HCL" in error


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("tier: 2\n", "no service_name"),
        ("- a list\n", ".copier-answers.yml: not a mapping of answers"),
        ("service_name: api\ntier: 5\n", ".copier-answers.yml:2: tier 5 is not 1, 2 or 3"),
    ],
)
def test_an_answers_file_that_breaks_the_contract_is_a_usage_error(
    tmp_path: Path, answers: str, expected: str
) -> None:
    (tmp_path / ".copier-answers.yml").write_text(answers)
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_required_failure_exits_1_whatever_the_min_score(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    (repo / ".github/CODEOWNERS").unlink()
    code, data = report(repo)
    assert code == 1
    assert data["passed"] is False
    # 17 applicable checks, 16 pass: floor(100 * 16 / 17).
    assert data["score"] == 94


def test_min_score_decides_when_only_scored_checks_fail(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    (repo / "docs/ESCALATION.md").unlink()
    code, data = report(repo)
    assert check(data, "escalation")["status"] == "fail"
    assert check(data, "escalation")["required"] is False
    assert (code, data["passed"], data["score"]) == (0, True, 94)
    code, data = report(repo, "--min-score", "94")
    assert (code, data["passed"]) == (0, True)
    code, data = report(repo, "--min-score", "95")
    assert (code, data["passed"]) == (1, False)


def test_min_score_out_of_range_is_a_usage_error(ready_examples: dict[str, Path]) -> None:
    result = invoke(ready_examples["catalog-api"], "--min-score", "101")
    assert result.exit_code == 2
    assert "--min-score" in result.stderr


def test_json_report_has_the_documented_shape(ready_examples: dict[str, Path]) -> None:
    result = invoke(ready_examples["inventory-sync"], "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) == {"service", "score", "passed", "checks"}
    for item in data["checks"]:
        assert set(item) == {"id", "status", "required", "evidence", "fix"}
        assert item["status"] in ("pass", "fail", "not_applicable")
        assert isinstance(item["required"], bool)
        assert all(isinstance(e, str) for e in item["evidence"])


def test_text_report_is_an_aligned_table_without_colour_off_a_terminal(
    example_copy: Breakable,
) -> None:
    repo = example_copy("payments-api")
    (repo / "docs/runbooks/rollback.md").unlink()
    result = invoke(repo)
    assert result.exit_code == 1
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("check "))
    rows = lines[header + 1 : header + 19]
    assert [row.split()[0] for row in rows][:3] == ["ownership", "contacts", "escalation"]
    column = lines[header].index("status")
    assert all(row[column : column + 4] in ("pass", "FAIL", "n/a ") for row in rows)
    assert "rollback:" in result.stdout
    assert "docs/runbooks/rollback.md missing" in result.stdout
    assert "fix: " in result.stdout
    assert lines[-1].startswith("NOT READY: score 88/100; 16 of 18 applicable checks pass")
    assert lines[-1].endswith("required failing: runbooks, rollback")


def test_text_report_colours_only_when_asked(ready_examples: dict[str, Path]) -> None:
    report_ = readiness(ready_examples["catalog-api"])
    assert "\x1b[" in to_text(report_, colour=True)
    assert "\x1b[" not in to_text(report_, colour=False)


def test_no_color_turns_colour_off_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import cli

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._colour() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._colour() is False


def test_markdown_report_renders_a_table(ready_examples: dict[str, Path]) -> None:
    from markdown_it import MarkdownIt

    result = invoke(ready_examples["payments-api"], "--format", "markdown")
    assert result.exit_code == 0
    tokens = MarkdownIt().enable("table").parse(result.stdout)
    headers = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "th_open"]
    assert headers == ["Check", "Status", "Required", "Evidence", "Fix"]
    rows = sum(1 for t in tokens if t.type == "tr_open")
    assert rows == 1 + 18
    assert "**Score 100/100**" in result.stdout


def test_checks_needing_the_chart_fail_clearly_without_helm(
    ready_examples: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("generator.readiness.sources.repo.helm_available", lambda: False)
    code, data = report(ready_examples["catalog-api"])
    assert code == 1
    for check_id in ("redundancy", "security-context", "observability", "deploy-strategy"):
        result = check(data, check_id)
        assert result["status"] == "fail"
        assert any("helm-python-sdk is not installed" in e for e in result["evidence"])
    assert check(data, "backups")["status"] == "pass"
