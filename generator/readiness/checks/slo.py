"""Service levels: SLIs on the service's own metrics (``sli``), SLOs with burn-rate alerts
(``slo``), the SLA where the tier states one (``sla``)."""

from __future__ import annotations

import re

from generator.answers import ANSWERS_FILE as ANSWERS_REF
from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources import markdown
from generator.readiness.sources.paths import RULES_FILE, SLA_DOC, SLOS
from generator.readiness.sources.repo import (
    Repo,
    dig,
    key_line,
)
from generator.readiness.sources.rules import _rule_files, _rules, _slos, _thresholds
from generator.readiness.sources.text import _close, _number


def _le_values(query: str) -> list[str]:
    """The ``le`` label matchers of a PromQL query, as regular expressions."""
    found = []
    for operator, value in re.findall(r'le\s*(=~|=)\s*"((?:[^"\\]|\\.)*)"', query):
        unescaped = value.replace("\\\\", "\\")
        found.append(unescaped if operator == "=~" else re.escape(unescaped))
    return found


def _go_float(value: float) -> list[str]:
    """How client libraries write a bucket boundary: 0.25, 1 (Go) or 1.0 (Python)."""
    text = repr(float(value))
    return [text.removesuffix(".0"), text]


@CHECKS.add(
    "sli",
    2,
    "SLIs defined on the service's own metrics",
    required=True,
    fix="Keep observability/slos.yaml and the recording rules in "
    "observability/prometheus/slo-rules.yaml as `copier update` renders them (answers sli_*).",
)
def check_sli(repo: Repo, f: Findings) -> None:
    a = repo.answers
    service = a.service
    requests = str(a.get("sli_requests_metric", "http_requests_total"))
    latency = str(a.get("sli_latency_metric", "http_request_duration_seconds"))
    threshold_ms = _number(a.get("slo_latency_ms", 250)) or 0.0
    buckets = [b for b in (_number(x) for x in a.get("sli_latency_buckets", []) or []) if b]
    job = rf'job\s*=\s*"{re.escape(service)}"'
    for slo, line in _slos(repo, f, "Restore observability/slos.yaml (`copier update`)."):
        name = str(slo.get("name", "?"))
        events = dig(slo, "sli", "events")
        raw = dig(slo, "sli", "raw", "error_ratio_query")
        queries = (
            [str(events.get("error_query", "")), str(events.get("total_query", ""))]
            if isinstance(events, dict)
            else [str(raw)]
            if raw
            else []
        )
        if not queries or not all(queries):
            f.bad(SLOS, line, f"SLO {name}: no SLI queries (sli.events error_query/total_query)")
            continue
        if not all(re.search(job, q) for q in queries):
            f.bad(SLOS, line, f'SLO {name}: SLI does not select job="{service}"')
            continue
        if name == "availability":
            if not (requests in queries[0] and re.search(r'code\s*=~\s*"5\.\."', queries[0])):
                f.bad(SLOS, line, f'SLO availability: errors are not {requests}{{code=~"5.."}}')
                continue
        elif name == "latency":
            les = _le_values(queries[0])
            seconds = threshold_ms / 1000
            on_bucket = any(_close(seconds, b) for b in buckets)
            if f"{latency}_bucket" not in queries[0] or not les:
                f.bad(SLOS, line, f"SLO latency: SLI does not read {latency}_bucket with an le")
                continue
            if not on_bucket or not any(
                re.fullmatch(le, text) for le in les for text in _go_float(seconds)
            ):
                f.bad(
                    SLOS,
                    line,
                    f"SLO latency: le {les[0]!r} is not the {threshold_ms:g} ms "
                    "bucket boundary of sli_latency_buckets",
                )
                continue
        f.ok(SLOS, line, f'SLO {name}: SLI on job="{service}"')
        recorded = [
            r
            for r in _rules(repo)
            if r.name == "slo:sli_error:ratio_rate5m" and r.labels.get("slo") == name
        ]
        if not recorded:
            f.bad(RULES_FILE, None, f"no slo:sli_error:ratio_rate5m recording rule for SLO {name}")
        elif not re.search(job, recorded[0].expr):
            f.bad(
                recorded[0].file,
                recorded[0].line,
                f'SLI recording rule of SLO {name} does not select job="{service}"',
            )
        else:
            f.ok(recorded[0].file, recorded[0].line, f"SLI of {name} recorded")


@CHECKS.add(
    "slo",
    3,
    "SLOs defined, matching the answers, with burn-rate alerts",
    required=True,
    fix="Restore observability/slos.yaml and observability/prometheus/slo-rules.yaml with "
    "`copier update` (answers slo_availability, slo_latency_ms, slo_latency_target).",
)
def check_slo(repo: Repo, f: Findings) -> None:
    a = repo.answers
    expected = {
        "availability": _number(a.get("slo_availability")),
        "latency": _number(a.get("slo_latency_target")),
    }
    slos = _slos(repo, f, "Restore observability/slos.yaml (`copier update`).")
    if not _rule_files(repo):
        f.bad(RULES_FILE, None, "missing: the SLOs are neither recorded nor alerted on")
        return
    rules = _rules(repo)
    for slo, line in slos:
        name = str(slo.get("name", "?"))
        objective = _number(slo.get("objective"))
        if objective is None or not 0 < objective < 100:
            f.bad(SLOS, line, f"SLO {name}: objective {slo.get('objective')!r} is not a percentage")
            continue
        wanted = expected.get(name)
        if wanted is not None and not _close(objective, wanted):
            f.bad(
                SLOS,
                key_line(slo, "objective"),
                f"SLO {name}: objective {objective:g}; the answers say {wanted:g}",
            )
            continue
        f.ok(SLOS, key_line(slo, "objective"), f"SLO {name}: {objective:g}% over 30 days")
        budget = 1 - objective / 100
        recorded = [
            r for r in rules if r.name == "slo:objective:ratio" and r.labels.get("slo") == name
        ]
        match = re.search(r"vector\(\s*([0-9.eE+-]+)\s*\)", recorded[0].expr) if recorded else None
        if not recorded or not match:
            f.bad(RULES_FILE, None, f"no slo:objective:ratio recording for SLO {name}")
        elif not _close(float(match.group(1)), objective / 100):
            f.bad(
                recorded[0].file,
                recorded[0].line,
                f"SLO {name}: rules record objective {match.group(1)}, slos.yaml says "
                f"{objective / 100:g}",
            )
        alerts = [r for r in rules if r.alert and r.labels.get("slo") == name]
        if not alerts:
            f.bad(RULES_FILE, None, f"SLO {name}: no alert carries slo={name}")
            continue
        thresholds = [t for r in alerts for t in _thresholds(r.expr)]
        ceiling = float(repo.policy.slo["max_error_ratio"])
        burns = ((repo.policy.fast_burn_rate(), "fast"), (repo.policy.slow_burn_rate(), "slow"))
        for burn, label in burns:
            wanted_ratio = min(burn * budget, ceiling)
            if not any(_close(t, wanted_ratio) for t in thresholds):
                f.bad(
                    alerts[0].file,
                    alerts[0].line,
                    f"SLO {name}: no {label}-burn alert at {burn:g} x budget, at most "
                    f"{ceiling:g} ({wanted_ratio:.6g})",
                )
        for rule in alerts:
            unreachable = [t for t in _thresholds(rule.expr) if t >= 1]
            if unreachable:
                f.bad(
                    rule.file,
                    rule.line,
                    f"SLO {name}: {rule.name} waits for an error ratio above "
                    f"{max(unreachable):g}, which no ratio can reach: it never fires",
                )
        severities = {r.labels.get("severity") for r in alerts}
        pages = [r for r in alerts if r.labels.get("severity") == "page"]
        tier_pages = repo.policy.tier(a.tier).pages
        if tier_pages and not pages:
            f.bad(
                alerts[0].file,
                alerts[0].line,
                f"SLO {name}: tier {a.tier} pages on fast burn; no alert has severity page",
            )
        elif not tier_pages and pages:
            f.bad(
                pages[0].file,
                pages[0].line,
                f"SLO {name}: tier {a.tier} opens tickets only; {pages[0].name} pages",
            )
        if "ticket" not in severities:
            f.bad(alerts[0].file, alerts[0].line, f"SLO {name}: no ticket alert")
        f.ok(
            alerts[0].file,
            alerts[0].line,
            f"SLO {name}: {len(alerts)} alerts ({', '.join(sorted(str(s) for s in severities))})",
        )


@CHECKS.add(
    "sla",
    4,
    "SLA stated (the tiers that make an external commitment)",
    required=False,
    fix="State the availability commitment in docs/SLA.md as "
    "`- **Availability commitment:** <x>%`, below the SLO objective.",
)
def check_sla(repo: Repo, f: Findings) -> None:
    a = repo.answers
    if not repo.policy.tier(a.tier).sla:
        f.skip(ANSWERS_REF, f"tier {a.tier}: the policy states no SLA for this tier")
        return
    text = repo.text(SLA_DOC)
    if text is None:
        f.bad(SLA_DOC, None, f"missing: a tier {a.tier} service states its SLA")
        return
    found = markdown.field_line(text, "Availability commitment")
    if found is None:
        f.bad(SLA_DOC, None, "no `- **Availability commitment:** <x>%` line")
        return
    value, line = found
    match = re.search(r"([0-9]+(?:\.[0-9]+)?)\s*%", value)
    objective = _number(a.get("slo_availability"))
    if match is None:
        f.bad(SLA_DOC, line, f"availability commitment {value!r} is not a percentage")
    elif objective is not None and float(match.group(1)) >= objective:
        f.bad(
            SLA_DOC,
            line,
            f"commitment {match.group(1)}% is not below the SLO objective "
            f"{objective:g}%: the SLA would be breached before the SLO alerts",
        )
    else:
        f.ok(SLA_DOC, line, f"availability commitment {match.group(1)}% (SLO {objective:g}%)")
