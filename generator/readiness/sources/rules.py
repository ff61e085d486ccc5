"""The Prometheus rule files and the SLO file: recording and alerting rules, thresholds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator.readiness.model import Findings
from generator.readiness.sources.paths import RULES_DIR, SLOS
from generator.readiness.sources.repo import (
    Repo,
    dig,
    item_line,
    key_line,
)


@dataclass(frozen=True)
class Rule:
    """One Prometheus rule (alerting or recording) and where it is."""

    file: str
    line: int | None
    name: str
    alert: bool
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]


def _rule_files(repo: Repo) -> list[str]:
    return repo.glob(f"{RULES_DIR}/*.yaml") + repo.glob(f"{RULES_DIR}/*.yml")


def _rules(repo: Repo) -> list[Rule]:
    rules: list[Rule] = []
    for file in _rule_files(repo):
        data = repo.yaml(file)
        for group in dig(data, "groups") or []:
            for index, rule in enumerate(dig(group, "rules") or []):
                if not isinstance(rule, dict) or not ("alert" in rule or "record" in rule):
                    continue
                rules.append(
                    Rule(
                        file=file,
                        line=item_line(group["rules"], index),
                        name=str(rule.get("alert") or rule.get("record")),
                        alert="alert" in rule,
                        expr=str(rule.get("expr", "")),
                        labels={str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
                        annotations={
                            str(k): str(v) for k, v in (rule.get("annotations") or {}).items()
                        },
                    )
                )
    return rules


def _alerts(repo: Repo) -> list[Rule]:
    return [rule for rule in _rules(repo) if rule.alert]


def _slos(repo: Repo, findings: Findings, fix: str) -> list[tuple[dict[str, Any], int | None]]:
    """The SLOs of observability/slos.yaml with their lines; records a problem if none."""
    data = repo.yaml(SLOS)
    if data is None:
        findings.bad(SLOS, None, "missing: the service has no SLO definitions", fix)
        return []
    slos = dig(data, "slos")
    if not isinstance(slos, list) or not slos:
        findings.bad(SLOS, key_line(data, "slos") or 1, "defines no SLOs under `slos:`", fix)
        return []
    if str(dig(data, "service")) != repo.answers.service:
        findings.bad(
            SLOS,
            key_line(data, "service"),
            f"service {dig(data, 'service')!r} is not {repo.answers.service!r}",
            fix,
        )
    return [(slo, item_line(slos, i)) for i, slo in enumerate(slos) if isinstance(slo, dict)]


def _thresholds(expr: str) -> list[float]:
    return [float(n) for n in re.findall(r">\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)", expr)]
