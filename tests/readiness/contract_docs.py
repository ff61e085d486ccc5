"""Stand-ins for the ownership documents of the issue-6 file contract, until the template
renders them.

DELETE THIS MODULE (and the one call of :func:`add_contract_docs` in
``tests/readiness/conftest.py``) once the template renders catalog-info.yaml,
docs/OWNERSHIP.md, docs/ESCALATION.md, docs/SLA.md, docs/READINESS.md and the runbooks
rollback, deploy-failure, disaster-recovery, dependency-outage and datastore-<ds>.

Every file is written only when the rendered repository does not have it, and a runbook
section only when the runbook lacks it, so with the real documents in place this does
nothing and the tests check what the template renders.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

RUNBOOK_SECTIONS = ("Symptoms", "Impact", "Diagnosis", "Mitigation", "Escalation", "Verification")
CONTRACT_RUNBOOKS = ("rollback", "deploy-failure", "disaster-recovery", "dependency-outage")
CHECKLIST = (
    ("Ownership", "ownership, contacts, escalation"),
    ("SLIs defined", "sli"),
    ("SLOs defined", "slo"),
    ("SLA", "sla"),
    ("Deployment strategy", "deploy-strategy"),
    ("Continuous integration", "ci"),
    ("Continuous delivery", "cd"),
    ("Static code analysis", "static-analysis"),
    ("Disaster recovery plan", "dr-plan"),
    ("Backups", "backups"),
    ("Redundancy", "redundancy"),
    ("Alerts routed to an owner", "alert-routing, runbooks"),
    ("Rollback path", "rollback"),
    ("Observability", "observability, security-context"),
)


def _answers(repo: Path) -> dict[str, Any]:
    data = YAML(typ="safe", pure=True).load((repo / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


def _write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _blob(a: dict[str, Any], path: str) -> str:
    if a["ci_provider"] == "gitlab":
        return f"https://gitlab.com/{a['repository']}/-/blob/main/{path}"
    return f"https://github.com/{a['repository']}/blob/main/{path}"


def _catalog(a: dict[str, Any]) -> str:
    domain = a["org_domain"]
    annotations = {
        f"{a['ci_provider']}.com/project-slug": a["repository"],
        f"{domain}/owner-email": a["owner_email"],
        f"{domain}/slack-channel": a["slack_channel"],
        f"{domain}/oncall-provider": a["oncall_provider"],
        f"{domain}/ownership-model": a["ownership_model"],
    }
    if a["oncall_provider"] != "none":
        annotations[f"{domain}/escalation-policy"] = a["oncall_escalation_policy"]
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": a["service_name"],
            "description": a["description"],
            "tags": [
                f"tier-{a['tier']}",
                f"ownership-{a['ownership_model'].replace('_', '-')}",
                a["deploy_strategy"].replace("_", "-"),
            ],
            "annotations": annotations,
            "links": [
                {"url": _blob(a, "docs/runbooks/README.md"), "title": "Runbooks"},
                {
                    "url": f"https://grafana.{domain}/d/slo-detail?var-service={a['service_name']}",
                    "title": "Dashboard",
                },
                {"url": _blob(a, "observability/slos.yaml"), "title": "SLOs"},
            ],
        },
        "spec": {
            "type": "service",
            "lifecycle": "production",
            "owner": f"group:{a['team']}",
            "system": a["service_name"],
        },
    }
    out = io.StringIO()
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = False
    dumper.width = 4096
    dumper.dump(entity, out)
    return out.getvalue()


def _escalation_levels(a: dict[str, Any]) -> list[str]:
    model, team, sre = a["ownership_model"], a["team"], a["sre_team"]
    first = sre if model == "sre_only" else team
    pager = (
        f"{a['oncall_provider']} policy {a['oncall_escalation_policy']}"
        if a["oncall_provider"] != "none"
        else f"{a['slack_channel']}"
    )
    levels = [f"The {first} on-call ({pager})", f"The {first} engineering manager"]
    if model == "shared" or (model == "platform" and a["tier"] == 1):
        levels.append(f"The {sre} on-call")
    return [f"{n}. {text}" for n, text in enumerate(levels, start=1)]


def _ownership(a: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {row} | R/A | C | I |"
        for row in (
            "Code",
            "Deploys",
            "Infrastructure",
            "On-call",
            "Incident command",
            "Rollback",
            "Post-incident review",
        )
    )
    policy = (
        f"{a['oncall_provider']}, policy {a['oncall_escalation_policy']}"
        if a["oncall_provider"] != "none"
        else "none"
    )
    return (
        f"# Ownership of {a['service_name']}\n\n"
        f"| Activity | {a['team']} | {a['sre_team']} | {a['platform_team']} |\n"
        f"|---|---|---|---|\n{rows}\n\n"
        f"## Contacts\n\n- Owner: {a['owner_email']}\n- Chat: {a['slack_channel']}\n"
        f"- On-call: {policy}\n\n"
        f"## Escalation path\n\n" + "\n".join(_escalation_levels(a)) + "\n"
    )


def _escalation(a: dict[str, Any]) -> str:
    severities = "\n\n".join(
        f"### SEV{n}\n\nExamples, response time and update cadence of SEV{n}." for n in range(1, 5)
    )
    return (
        f"# Escalation of {a['service_name']}\n\n## Severity levels\n\n{severities}\n\n"
        "## Who joins a SEV1\n\nThe on-call, the incident commander, the team's manager.\n\n"
        "## Paging escalation\n\n" + "\n".join(_escalation_levels(a)) + "\n"
    )


def _runbook(title: str, extra: str = "") -> str:
    sections = "\n\n".join(f"## {s}\n\nWhat to do." for s in RUNBOOK_SECTIONS)
    return f"# {title}\n\n{extra}{sections}\n"


def _disaster_recovery(a: dict[str, Any]) -> str:
    extra = (
        f"- **Strategy:** {a['dr_strategy']} for this tier {a['tier']} service.\n"
        f"- **RTO:** {a['rto_minutes']} minutes\n"
        f"- **RPO:** {a['rpo_minutes']} minutes\n\n"
        "Restore the database from its automated backups, or fail over to the DR region.\n\n"
        "### Test procedure\n\nRestore into staging every quarter.\n\n"
    )
    return _runbook(f"{a['service_name']}: disaster recovery", extra)


def _readiness(a: dict[str, Any]) -> str:
    items = "\n\n".join(
        f"### {n}. {title}\n\nHow it is met here; checked by `paved readiness` ({ids})."
        for n, (title, ids) in enumerate(CHECKLIST, start=1)
    )
    return f"# Production readiness of {a['service_name']}\n\n{items}\n"


def _add_sections(path: Path) -> None:
    """Append the contract's runbook sections a rendered runbook lacks."""
    text = path.read_text(encoding="utf-8")
    missing = [s for s in RUNBOOK_SECTIONS if f"\n## {s}" not in f"\n{text}"]
    if missing:
        extra = "".join(f"\n## {s}\n\nWhat to do.\n" for s in missing)
        path.write_text(text.rstrip("\n") + "\n" + extra, encoding="utf-8")


def add_contract_docs(repo: Path) -> None:
    """Write the contract's documents the rendered repository does not have yet."""
    a = _answers(repo)
    _write(repo, "catalog-info.yaml", _catalog(a))
    _write(repo, "docs/OWNERSHIP.md", _ownership(a))
    _write(repo, "docs/ESCALATION.md", _escalation(a))
    _write(repo, "docs/READINESS.md", _readiness(a))
    if a["tier"] == 1:
        sla = float(a["slo_availability"]) - 0.05
        _write(
            repo,
            "docs/SLA.md",
            f"# SLA of {a['service_name']}\n\n- **Availability commitment:** {sla:.2f}%\n",
        )
    _write(repo, "docs/runbooks/disaster-recovery.md", _disaster_recovery(a))
    for name in (*CONTRACT_RUNBOOKS, *(f"datastore-{d}" for d in a.get("datastores") or [])):
        _write(repo, f"docs/runbooks/{name}.md", _runbook(f"{a['service_name']}: {name}"))
    for runbook in sorted((repo / "docs" / "runbooks").glob("*.md")):
        if runbook.name != "README.md":
            _add_sections(runbook)
