"""Prometheus rules: `promtool check rules`, `promtool test rules`, and one source of groups.

The rule files live in ``observability/prometheus/``; the chart's PrometheusRule must carry
the same groups (it is rendered from the same place), which is checked here too.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from generator.tools import run, which
from generator.validators.base import Context, Outcome
from generator.validators.helm import RenderError, helm_available, rendered, targets

RULES_DIR = Path("observability") / "prometheus"
NO_PROMTOOL = "promtool not found on PATH (Debian/Ubuntu: apt-get install prometheus)"


def rule_files(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / RULES_DIR).glob("*.y*ml") if p.is_file())


def rule_tests(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / RULES_DIR / "tests").glob("*.y*ml") if p.is_file())


def _groups(path: Path) -> list[Any]:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    groups = data.get("groups", []) if isinstance(data, dict) else []
    return list(groups)


class PromtoolCheck:
    name = "promtool-check"
    description = "promtool check rules on the rule files and on each chart's PrometheusRule"

    def applies(self, repo: Path) -> bool:
        return bool(rule_files(repo))

    def run(self, context: Context) -> Outcome:
        promtool = which("promtool")
        if promtool is None:
            return Outcome.skipped(self.name, NO_PROMTOOL)
        files = rule_files(context.repo)
        findings: list[str] = []
        for path in files:
            done = run([promtool, "check", "rules", str(path)], cwd=context.repo)
            if not done.ok:
                findings.append(f"{path.relative_to(context.repo)}:\n{done.output}")
        source = {group.get("name"): group for path in files for group in _groups(path)}
        checked_objects = 0
        with tempfile.TemporaryDirectory(prefix="paved-rules-") as scratch:
            for index, (where, groups) in enumerate(self._prometheus_rules(context, findings)):
                checked_objects += 1
                # JSON is YAML, and leaves no doubt about quoting for promtool's parser.
                extracted = Path(scratch) / f"{index}.yaml"
                extracted.write_text(json.dumps({"groups": groups}, indent=2), encoding="utf-8")
                done = run([promtool, "check", "rules", str(extracted)], cwd=context.repo)
                if not done.ok:
                    findings.append(f"{where}:\n{done.output}")
                for group in groups:
                    if source.get(group.get("name")) != group:
                        findings.append(
                            f"{where}: group {group.get('name')!r} differs from the rule files "
                            f"in {RULES_DIR}: the two must carry the same groups"
                        )
        summary = (
            f"{len(files)} rule file(s) and {checked_objects} PrometheusRule(s) checked, "
            f"{len(findings)} problem(s)"
        )
        return Outcome.from_findings(self.name, summary, findings)

    @staticmethod
    def _prometheus_rules(context: Context, findings: list[str]) -> list[tuple[str, list[Any]]]:
        """The groups of every PrometheusRule the charts render, per environment."""
        if not helm_available():
            return []
        found: list[tuple[str, list[Any]]] = []
        for target in targets(context.repo):
            try:
                manifests = rendered(context, target)
            except RenderError as error:
                findings.append(str(error))
                continue
            found.extend(
                (f"{target}: {manifest}", list(manifest.obj.get("spec", {}).get("groups", [])))
                for manifest in manifests
                if manifest.kind == "PrometheusRule"
            )
        return found


class PromtoolTest:
    name = "promtool-test"
    description = "promtool test rules on observability/prometheus/tests/"

    def applies(self, repo: Path) -> bool:
        return bool(rule_tests(repo))

    def run(self, context: Context) -> Outcome:
        promtool = which("promtool")
        if promtool is None:
            return Outcome.skipped(self.name, NO_PROMTOOL)
        tests = rule_tests(context.repo)
        findings: list[str] = []
        for path in tests:
            done = run([promtool, "test", "rules", path.name], cwd=path.parent)
            if not done.ok:
                findings.append(f"{path.relative_to(context.repo)}:\n{done.output}")
        summary = f"{len(tests) - len(findings)} of {len(tests)} test file(s) pass"
        return Outcome.from_findings(self.name, summary, findings)
