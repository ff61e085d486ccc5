"""Alerting: alerts routed to an owner (``alert-routing``) and a runbook behind every alert
(``runbooks``)."""

from __future__ import annotations

import re
from typing import Any

from generator.alertmanager import matchers, route_matches, route_receivers, service_of
from generator.answers import ANSWERS_FILE as ANSWERS_REF
from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources import markdown
from generator.readiness.sources.paths import (
    CONTRACT_RUNBOOKS,
    PROD_ROOT,
    ROUTE,
    RULES_FILE,
    RUNBOOK_SECTIONS,
    RUNBOOKS,
)
from generator.readiness.sources.people import _page_policy, _sre_escalates
from generator.readiness.sources.prod import _resources
from generator.readiness.sources.repo import (
    Repo,
    dig,
    item_line,
    key_line,
)
from generator.readiness.sources.rules import _alerts
from generator.readiness.sources.terraform import (
    Configuration,
    module_instances,
    raw_text,
)

PAGER_CONFIGS = {"pagerduty": "pagerduty_configs", "opsgenie": "opsgenie_configs"}


def _receivers(route_file: Any) -> dict[str, tuple[dict[str, Any], int | None]]:
    receivers = dig(route_file, "receivers") or []
    return {
        str(r.get("name")): (r, item_line(receivers, i))
        for i, r in enumerate(receivers)
        if isinstance(r, dict)
    }


def _inhibit_matchers(rule: dict[str, Any], side: str) -> list[tuple[str, str, str]]:
    return matchers(
        {
            "matchers": rule.get(f"{side}_matchers"),
            "match": rule.get(f"{side}_match"),
            "match_re": rule.get(f"{side}_match_re"),
        }
    )


def _dumps(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(f"{k} {_dumps(v)}" for k, v in node.items())
    if isinstance(node, list):
        return " ".join(_dumps(v) for v in node)
    return str(node)


def _pager_policies(config: dict[str, Any], pager: str) -> set[str]:
    """The escalation policies a receiver's pager configs send to: PagerDuty's
    ``details.escalation_policy``, Opsgenie's responders."""
    found: set[str] = set()
    for item in config.get(pager) or []:
        if not isinstance(item, dict):
            continue
        policy = dig(item, "details", "escalation_policy")
        if policy:
            found.add(str(policy))
        for responder in item.get("responders") or []:
            if isinstance(responder, dict) and responder.get("name"):
                found.add(str(responder["name"]))
    return found


@CHECKS.add(
    "alert-routing",
    12,
    "Alerts routed to an owner: team labels, pages to on-call, tickets to the team channel",
    required=True,
    fix="Give every alert the labels service, team, severity, tier and slo, and keep "
    "observability/alertmanager/route.yaml scoped to the service and routing pages to the "
    "page owner's on-call policy (SRE's under sre_only) and tickets to the team's channel "
    "(`copier update` restores both).",
)
def check_alert_routing(repo: Repo, f: Findings) -> None:
    a = repo.answers
    alerts = _alerts(repo)
    if not alerts:
        f.bad(RULES_FILE, None, "no alerting rules: nothing can reach the owner")
    route_file = repo.yaml(ROUTE)
    route = dig(route_file, "route")
    if not isinstance(route, dict):
        f.bad(
            ROUTE,
            None,
            "missing: alerts have no routing to an owner"
            if route_file is None
            else "has no `route:`",
        )
        route = None
    elif service_of(route) != a.service:
        f.bad(
            ROUTE,
            key_line(route_file, "route"),
            f'the route does not match service="{a.service}" alone: merged into a shared '
            "Alertmanager it catches other services' alerts",
        )
    receivers = _receivers(route_file)
    for name, (_, line) in receivers.items():
        if not name.startswith(f"{a.service}-"):
            f.bad(
                ROUTE,
                line,
                f"receiver {name!r} is not named {a.service}-...: in a shared Alertmanager it "
                "collides with another service's",
            )
    pager = PAGER_CONFIGS.get(a.oncall_provider)
    if repo.policy.tier(a.tier).pages and not pager:
        f.bad(
            ANSWERS_REF,
            repo.find_line(ANSWERS_REF, r"^oncall_provider:"),
            f"tier {a.tier} pages on fast burn, but oncall_provider is {a.oncall_provider!r}: "
            "its pages reach no pager (`copier update --data oncall_provider=pagerduty` or "
            "opsgenie, with an escalation policy)",
        )
    policy, page_owner = _page_policy(a)
    channel = str(a.get("slack_channel", ""))
    sre_channel = str(a.get("sre_slack_channel", "")) if pager and _sre_escalates(repo) else ""
    routed = 0
    for alert in alerts:
        labels = alert.labels
        missing = [k for k in ("service", "team", "severity", "tier", "slo") if not labels.get(k)]
        if missing:
            f.bad(
                alert.file,
                alert.line,
                f"alert {alert.name}: no {', '.join(missing)} label: "
                "it cannot be routed to its owner",
            )
            continue
        if labels["service"] != a.service or labels["team"] != a.team:
            f.bad(
                alert.file,
                alert.line,
                f"alert {alert.name}: service/team "
                f"{labels['service']}/{labels['team']}, not {a.service}/{a.team}",
            )
            continue
        if labels["severity"] not in ("page", "ticket"):
            f.bad(
                alert.file,
                alert.line,
                f"alert {alert.name}: severity {labels['severity']!r} is neither page nor ticket",
            )
            continue
        if route is None:
            continue
        if not route_matches(route, labels):
            f.bad(ROUTE, key_line(route_file, "route"), f"the route does not match {alert.name}")
            continue
        names = route_receivers(route, labels)
        configs = [receivers[n][0] for n in names if n in receivers]
        unknown = [n for n in names if n not in receivers]
        if unknown:
            f.bad(
                ROUTE,
                None,
                f"alert {alert.name} routes to receiver {unknown[0]!r}, which is not defined",
            )
            continue
        if labels["severity"] == "page" and pager:
            if not any(policy and policy in _pager_policies(c, pager) for c in configs):
                f.bad(
                    ROUTE,
                    key_line(route_file, "route"),
                    f"page alert {alert.name} reaches {', '.join(names)}, not the "
                    f"{a.oncall_provider} policy {policy or '(no answer)'} of {page_owner}"
                    + (" (sre_only: SRE is paged)" if page_owner != a.team else ""),
                )
                continue
            if sre_channel and not any(
                sre_channel in _dumps(c.get("slack_configs")) for c in configs
            ):
                f.bad(
                    ROUTE,
                    key_line(route_file, "route"),
                    f"page alert {alert.name} reaches {', '.join(names)}, not SRE's channel "
                    f"{sre_channel} ({a.ownership_model}: SRE is an escalation level)",
                )
                continue
        else:
            reached = [c for c in configs if channel and channel in _dumps(c.get("slack_configs"))]
            if not reached:
                f.bad(
                    ROUTE,
                    key_line(route_file, "route"),
                    f"{labels['severity']} alert {alert.name} reaches {', '.join(names)}, "
                    f"not the team channel {channel}",
                )
                continue
        routed += 1
    if alerts and route is not None and routed == len(alerts):
        f.ok(
            ROUTE,
            key_line(route_file, "route"),
            f"{routed} alerts routed (pages to {a.oncall_provider}"
            + (f" {policy} of {page_owner}" if pager else "")
            + (f" and {sre_channel}" if sre_channel else "")
            + f", tickets to {channel})",
        )
    if route is not None and any(r.labels.get("severity") == "page" for r in alerts):
        inhibits = [i for i in dig(route_file, "inhibit_rules") or [] if isinstance(i, dict)]
        if not any(
            ("severity", "=", "page") in _inhibit_matchers(i, "source")
            and ("severity", "=", "ticket") in _inhibit_matchers(i, "target")
            for i in inhibits
        ):
            f.bad(
                ROUTE,
                key_line(route_file, "inhibit_rules"),
                "no inhibit rule mutes an SLO's tickets while it pages",
            )
    _alarm_routing(repo, f)


def _alarm_routing(repo: Repo, f: Findings) -> None:
    """CloudWatch alarms of the datastores notify the alarm topic, which on-call subscribes."""
    if not repo.answers.datastores or not Configuration(repo, PROD_ROOT).exists:
        return
    for instance in module_instances(repo, PROD_ROOT):
        alarms = [b for b, _ in _resources(instance, "aws_cloudwatch_metric_alarm")]
        silent = [
            b for b in alarms if "aws_sns_topic." not in raw_text(str(b.body.get("alarm_actions")))
        ]
        for block in silent:
            f.bad(
                block.file,
                instance.module.block_line(block),
                f"{block.address}: alarm_actions do not notify the alarm topic",
            )
        if alarms and not silent:
            f.ok(
                alarms[0].file,
                instance.module.block_line(alarms[0]),
                f"{len(alarms)} CloudWatch alarms notify the alarm topic",
            )
        if alarms and "alarm_https_endpoint" not in instance.call.body:
            f.bad(
                f"{PROD_ROOT}/main.tf",
                instance.call_line(),
                "the prod root passes no alarm_https_endpoint: alarms reach nobody on call",
            )


def _runbook_path(url: str, repository: str) -> str | None:
    """The repository path a runbook URL points at (the text after ``/blob/<branch>/``)."""
    match = re.search(rf"/{re.escape(repository)}/(?:-/)?blob/[^/]+/(.+?)(?:[#?].*)?$", url)
    return match.group(1) if match else None


def _runbook_sections(repo: Repo, path: str, f: Findings, line: int | None = None) -> bool:
    text = repo.text(path) or ""
    titles = [h.title.casefold() for h in markdown.headings(text) if h.level == 2]
    missing = [s for s in RUNBOOK_SECTIONS if not any(t.startswith(s.casefold()) for t in titles)]
    if missing:
        f.bad(path, line, f"runbook lacks the section(s) {', '.join(f'## {s}' for s in missing)}")
        return False
    return True


@CHECKS.add(
    "runbooks",
    12,
    "Every alert has a runbook that exists",
    required=True,
    fix="Point every alert's runbook_url at a file in docs/runbooks/ that exists and keep the "
    "sections Symptoms, Impact, Diagnosis, Mitigation, Escalation, Verification in each "
    "(`copier update` restores the generated runbooks).",
)
def check_runbooks(repo: Repo, f: Findings) -> None:
    a = repo.answers
    checked: set[str] = set()
    for alert in _alerts(repo):
        url = alert.annotations.get("runbook_url", "")
        if not url:
            f.bad(alert.file, alert.line, f"alert {alert.name}: no runbook_url annotation")
            continue
        path = _runbook_path(url, a.repository)
        if path is None:
            f.bad(
                alert.file,
                alert.line,
                f"alert {alert.name}: runbook_url {url} is not a file of {a.repository}",
            )
        elif not repo.exists(path):
            f.bad(
                path, None, f"missing: alert {alert.name} ({alert.file}:{alert.line}) points at it"
            )
        elif path not in checked:
            checked.add(path)
            if path.endswith("README.md") or _runbook_sections(repo, path, f):
                f.ok(path, None, f"runbook of {alert.name}")
    wanted = [*CONTRACT_RUNBOOKS, *(f"datastore-{d}" for d in a.datastores)]
    for name in wanted:
        path = f"{RUNBOOKS}/{name}.md"
        if not repo.exists(path):
            f.bad(path, None, "missing")
        elif path not in checked:
            checked.add(path)
            if _runbook_sections(repo, path, f):
                f.ok(path, None, "runbook")
    for file in repo.glob("terraform/modules/*/*.tf"):
        for number, match in repo.find_lines(file, r"docs/runbooks/([\w.-]+\.md)"):
            path = f"{RUNBOOKS}/{match.group(1)}"
            if not repo.exists(path):
                f.bad(file, number, f"CloudWatch alarm runbook {path} does not exist")
            elif path not in checked:
                checked.add(path)
                f.ok(file, number, f"alarm runbook {path}")
