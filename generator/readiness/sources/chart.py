"""The chart as rendered for prod: its manifests, the serving workload and its labels."""

from __future__ import annotations

from typing import Any

from generator.readiness.model import Findings
from generator.readiness.sources.paths import PROD, WORKLOADS
from generator.readiness.sources.repo import (
    ChartUnavailableError,
    Repo,
    dig,
)
from generator.readiness.sources.text import _one_line
from generator.validators.kubernetes import Manifest


def _manifests(repo: Repo, findings: Findings, environment: str = PROD) -> list[Manifest] | None:
    """The chart rendered for ``environment``, or ``None`` after recording why not."""
    try:
        return repo.manifests(environment)
    except ChartUnavailableError as error:
        findings.bad(
            repo.values_rel(environment),
            None,
            _one_line(str(error)),
            f"Make helm/{repo.answers.service} render with values-{environment}.yaml "
            "(`paved validate --only helm` shows why it does not).",
        )
        return None


def _selects(selector: Any, labels: Any) -> bool:
    match = dig(selector, "matchLabels") if isinstance(selector, dict) else None
    if not isinstance(match, dict) or not isinstance(labels, dict):
        return False
    return all(labels.get(k) == v for k, v in match.items())


def _workload(repo: Repo, manifests: list[Manifest]) -> Manifest | None:
    """The service's workload: the Deployment or Rollout named after it (else the first)."""
    found = [m for m in manifests if m.kind in WORKLOADS]
    for manifest in found:
        if manifest.name == repo.answers.service:
            return manifest
    return found[0] if found else None


def _pod_labels(workload: Manifest) -> dict[str, Any]:
    labels = dig(workload.obj, "spec", "template", "metadata", "labels")
    return dict(labels) if isinstance(labels, dict) else {}
