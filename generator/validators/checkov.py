"""checkov: the IaC security scan. Zero failed checks; suppressions need a reason in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.tools import run, which
from generator.validators.base import Context, Outcome
from generator.validators.terraform import TERRAFORM_DIR


class Checkov:
    name = "checkov"
    description = "checkov security scan of terraform/ (zero failed checks)"

    def applies(self, repo: Path) -> bool:
        return (repo / TERRAFORM_DIR).is_dir()

    def run(self, context: Context) -> Outcome:
        checkov = which("checkov")
        if checkov is None:
            return Outcome.skipped(self.name, "checkov not found on PATH (pip install checkov)")
        done = run(
            [
                checkov,
                "--directory",
                TERRAFORM_DIR,
                "--framework",
                "terraform",
                "--output",
                "json",
                "--quiet",
                "--compact",
                "--skip-download",
            ],
            cwd=context.scratch,
            env={"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
        try:
            report = json.loads(done.stdout) if done.stdout.strip() else []
        except json.JSONDecodeError:
            return Outcome.failed(self.name, "checkov did not produce a report", done.output)
        passed, failed, skipped, failures = _tally(report)
        summary = f"{passed} passed, {failed} failed, {skipped} suppressed with a reason"
        if failed or done.returncode not in (0, 1):
            return Outcome.failed(self.name, summary, "\n".join(failures) or done.output)
        return Outcome.passed(self.name, summary)


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
            failures.append(
                f"{check.get('check_id')} {check.get('check_name')}: "
                f"{check.get('resource')} ({check.get('file_path')}:"
                f"{'-'.join(str(n) for n in check.get('file_line_range', []))})"
            )
    return passed, failed, skipped, failures
