"""checkov: the security scan. Zero failed checks; a suppression needs a reason in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.tools import run, which
from generator.validators.base import Context, Outcome
from generator.validators.terraform import TERRAFORM_DIR

NO_CHECKOV = "checkov not found on PATH (pip install checkov)"


def checkov_report(validator: str, checkov: str, directory: Path, framework: str) -> Outcome:
    """Run checkov on ``directory`` for one framework and turn its JSON report into an outcome."""
    done = run(
        [
            checkov,
            "--directory", str(directory),
            "--framework", framework,
            "--output", "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        cwd=directory,
        env={"BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    try:
        report = json.loads(done.stdout) if done.stdout.strip() else []
    except json.JSONDecodeError:
        return Outcome.failed(validator, "checkov did not produce a report", done.output)
    passed, failed, skipped, failures = _tally(report)
    summary = f"{passed} passed, {failed} failed, {skipped} suppressed with a reason"
    if failed or done.returncode not in (0, 1):
        return Outcome.failed(validator, summary, "\n".join(failures) or done.output)
    if passed == 0:
        return Outcome.failed(validator, "checkov checked nothing", done.output)
    return Outcome.passed(validator, summary)


class CheckovTerraform:
    name = "checkov-terraform"
    description = "checkov security scan of terraform/ (zero failed checks)"

    def applies(self, repo: Path) -> bool:
        return (repo / TERRAFORM_DIR).is_dir()

    def run(self, context: Context) -> Outcome:
        checkov = which("checkov")
        if checkov is None:
            return Outcome.skipped(self.name, NO_CHECKOV)
        return checkov_report(self.name, checkov, context.scratch / TERRAFORM_DIR, "terraform")


def _tally(report: Any) -> tuple[int, int, int, list[str]]:
    """Counts over checkov's report (one object, or a list of them per framework)."""
    reports = report if isinstance(report, list) else [report]
    passed = failed = skipped = 0
    failures: list[str] = []
    for item in reports:
        if not isinstance(item, dict):
            continue
        summary = item.get("summary", {})
        passed += int(summary.get("passed", 0))
        failed += int(summary.get("failed", 0))
        skipped += int(summary.get("skipped", 0))
        for check in item.get("results", {}).get("failed_checks", []):
            lines = "-".join(str(n) for n in check.get("file_line_range", []))
            failures.append(
                f"{check.get('check_id')} {check.get('check_name')}: "
                f"{check.get('resource')} ({check.get('file_path')}:{lines})"
            )
    return passed, failed, skipped, failures
