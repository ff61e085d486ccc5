"""Every example renders to a repository that `paved readiness` finds ready, with score 100."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.policy import load_policy
from generator.readiness import CHECKS
from tests.conftest import ROOT, example_files, load_yaml, require_helm
from tests.readiness.conftest import check, report

EXAMPLES = [path.stem for path in example_files()]
# What does not apply to whom: SLAs are for tier 1, backups for services with data.
NOT_APPLICABLE = {
    "payments-api": set(),
    "inventory-sync": {"sla", "backups"},
    "docs-portal": {"sla"},
    "catalog-api": {"sla"},
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_is_ready(ready_examples: dict[str, Path], name: str) -> None:
    require_helm()
    code, data = report(ready_examples[name])
    failed = {c["id"]: c["evidence"][:3] for c in data["checks"] if c["status"] == "fail"}
    assert failed == {}
    assert code == 0
    assert data["service"] == name
    assert data["score"] == 100
    assert data["passed"] is True
    assert [c["id"] for c in data["checks"]] == CHECKS.ids()
    skipped = {c["id"] for c in data["checks"] if c["status"] == "not_applicable"}
    assert skipped == NOT_APPLICABLE[name]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_check_shows_its_evidence(ready_examples: dict[str, Path], name: str) -> None:
    require_helm()
    _, data = report(ready_examples[name])
    for result in data["checks"]:
        assert result["evidence"], result["id"]
        for line in result["evidence"]:
            path = line.split(" ", 1)[0].split(":", 1)[0].rstrip("/")
            assert (ready_examples[name] / path).exists(), line
        assert result["fix"] == ""


def test_checks_have_stable_ids_in_checklist_order() -> None:
    assert CHECKS.ids() == [
        "ownership",
        "contacts",
        "escalation",
        "sli",
        "slo",
        "sla",
        "deploy-strategy",
        "ci",
        "cd",
        "static-analysis",
        "dr-plan",
        "backups",
        "redundancy",
        "alert-routing",
        "runbooks",
        "rollback",
        "observability",
        "security-context",
    ]
    items = [c.item for c in CHECKS]
    assert items == sorted(items)
    assert {c.id for c in CHECKS if not c.required} == {
        "contacts",
        "escalation",
        "sla",
        "deploy-strategy",
    }


def test_payments_api_evidence_points_at_lines(ready_examples: dict[str, Path]) -> None:
    require_helm()
    repo = ready_examples["payments-api"]
    _, data = report(repo)
    tier = load_yaml(repo / ".copier-answers.yml")["tier"]
    days = load_policy(ROOT).tier(tier).rds_backup_days
    backups = check(data, "backups")["evidence"]
    assert any(
        line.startswith("terraform/modules/service/postgres.tf:")
        and f"backup_retention_period = {days} days in prod" in line
        for line in backups
    )
    redundancy = check(data, "redundancy")["evidence"]
    assert any(line.startswith("helm/payments-api/values-prod.yaml:") for line in redundancy)
