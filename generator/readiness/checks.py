"""The readiness checks, one function per stable id, in the order of the readiness checklist
(docs/readiness.md).

Each check reads the files a team edits (CODEOWNERS, the chart rendered for prod, the
Terraform roots and module, the CI definitions, the rule files, the docs) and compares them
with what the answers in ``.copier-answers.yml`` promise. It records evidence
(``path:line what``) for what holds and for what does not; it passes when nothing is wrong.

Required checks guard what production relies on when something breaks: an owner, SLIs and
SLOs with alerts that reach someone and a runbook that exists, a gated way to ship and a way
back, data that survives, redundancy and pod security. ``contacts``, ``escalation``, ``sla``
and ``deploy-strategy`` check what people read and how releases are documented; they count
toward the score only.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from generator.alertmanager import matchers, route_matches, route_receivers, service_of
from generator.answers import ANSWERS_FILE as ANSWERS_REF
from generator.answers import Answers
from generator.policy import Tier
from generator.readiness import markdown, protection
from generator.readiness.ci import GITHUB_WORKFLOWS, GITLAB_CI, Job, Pipeline, pipeline
from generator.readiness.model import Check, Findings, Registry
from generator.readiness.repo import (
    ChartUnavailableError,
    Repo,
    dig,
    item_line,
    key_line,
)
from generator.readiness.terraform import (
    Configuration,
    ModuleInstance,
    RootScope,
    UnknownValueError,
    module_instances,
    nested_instances,
    raw_text,
    value_of,
)
from generator.validators.kubernetes import Manifest, pod_security_findings, pod_spec

CHECKS = Registry()

PROD = "prod"
CATALOG = "catalog-info.yaml"
OWNERSHIP_DOC = "docs/OWNERSHIP.md"
ESCALATION_DOC = "docs/ESCALATION.md"
SLA_DOC = "docs/SLA.md"
RUNBOOKS = "docs/runbooks"
DR_RUNBOOK = f"{RUNBOOKS}/disaster-recovery.md"
ROLLBACK_RUNBOOK = f"{RUNBOOKS}/rollback.md"
SLOS = "observability/slos.yaml"
RULES_DIR = "observability/prometheus"
RULES_FILE = f"{RULES_DIR}/slo-rules.yaml"
ROUTE = "observability/alertmanager/route.yaml"
PROD_ROOT = "terraform/envs/prod"
COMMON_SH = "ci/common.sh"

RACI_ROWS = (
    "Code",
    "Deploys",
    "Infrastructure",
    "On-call",
    "Incident command",
    "Rollback",
    "Post-incident review",
)
RUNBOOK_SECTIONS = ("Symptoms", "Impact", "Diagnosis", "Mitigation", "Escalation", "Verification")
CONTRACT_RUNBOOKS = ("rollback", "deploy-failure", "disaster-recovery", "dependency-outage")

# The tier table, the burn rates and the error-ratio ceiling are the template's policy
# (policy.yml, read by generator.policy): repo.policy.

HOSTNAME_KEY = "kubernetes.io/hostname"
ZONE_KEY = "topology.kubernetes.io/zone"
WORKLOADS = ("Deployment", "Rollout", "StatefulSet")

TEST_COMMAND = (
    r"\bmake\s+(\S+\s+)*test\b|\bpytest\b|\bgo test\b|\b(npm|pnpm|yarn)( run)? test\b"
    r"|\bmvn\b.*\b(test|verify)\b|\bgradlew?\b.*\b(test|check)\b|\bcargo test\b|\btox\b"
)
BUILD_COMMAND = (
    r"\bdocker (buildx )?build\b|\bbuildah (bud|build)\b|\bkaniko\b|\bmake build\b"
    r"|\bgo build\b|\b(npm|pnpm|yarn)( run)? build\b|\bmvn\b.*\bpackage\b|\bcargo build\b"
)
DEPLOY_COMMAND = r"ci/deploy\.sh|\bhelm\s+upgrade\b|\bhelm\s+install\b|\bkubectl\s+apply\b"
ROLLBACK_COMMAND = r"ci/rollback\.sh|\bhelm\s+rollback\b|\brollouts\s+undo\b"
HELM_ROLLBACK = r"\bhelm\b.*\brollback\b|set -- rollback|\brollouts\s+undo\b"


# --- shared readers -------------------------------------------------------------------


def _word(text: str, word: str) -> bool:
    """``word`` in ``text`` as a whole word (case-insensitive; hyphens bind)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


def _sre_escalates(repo: Repo) -> bool:
    """SRE is an escalation level of the team's pages: shared, and platform in the tiers
    whose policy makes SRE the last level (sre_last_level)."""
    a = repo.answers
    return a.ownership_model == "shared" or (
        a.ownership_model == "platform" and repo.policy.tier(a.tier).sre_last_level
    )


def _page_policy(a: Answers) -> tuple[str, str]:
    """The policy pages must reach and whose it is: SRE's under sre_only, else the team's."""
    if a.ownership_model == "sre_only":
        return str(a.get("sre_escalation_policy", "")), a.sre_team
    return str(a.get("oncall_escalation_policy", "")), a.team


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


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


def _prod_instances(repo: Repo, findings: Findings, fix: str) -> list[ModuleInstance]:
    if not Configuration(repo, PROD_ROOT).exists:
        findings.bad(PROD_ROOT, None, "missing: no Terraform root for prod", fix)
        return []
    instances = module_instances(repo, PROD_ROOT)
    if not instances:
        findings.bad(
            f"{PROD_ROOT}/main.tf",
            None,
            "calls no module of this repository (the service module is not used in prod)",
            fix,
        )
    return instances


def _resources(instance: ModuleInstance, resource_type: str) -> Iterator[tuple[Any, int | None]]:
    """The module's resources of a type that exist in this instance, with their count."""
    for block in instance.module.resources(resource_type):
        count = instance.scope.count(block)
        if count != 0:
            yield block, count


def _effective(
    instance: ModuleInstance, block: Any, attribute: str, default: Any = None
) -> tuple[Any, list[str], str | None]:
    """An attribute's value in this instance, the env-root lines that decided it, and why it
    could not be told (``None`` when it could)."""
    scope = instance.scope
    scope.used.clear()
    try:
        value = scope.value(block, attribute, default)
    except UnknownValueError as error:
        return None, [], str(error)
    origins = []
    for argument in sorted(scope.used):
        line = instance.call_line(argument)
        raw = raw_text(instance.call.body.get(argument))
        origins.append(f"{instance.root.directory}/main.tf:{line} {argument} = {raw}")
    return value, origins, None


def _codeowners_path(repo: Repo) -> str | None:
    host = ".gitlab" if repo.answers.ci_provider == "gitlab" else ".github"
    for candidate in (f"{host}/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
        if repo.exists(candidate):
            return candidate
    return None


def _codeowners(repo: Repo, path: str) -> list[tuple[int, str, list[str]]]:
    rules = []
    for number, line in enumerate(repo.lines(path), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped or stripped.startswith("["):  # GitLab section headers
            continue
        pattern, *owners = stripped.split()
        rules.append((number, pattern, owners))
    return rules


def _pattern_matches(pattern: str, path: str) -> bool:
    """A CODEOWNERS pattern (gitignore style) against a repository path."""
    if pattern in ("*", "**", "/**"):
        return True
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    regex = re.escape(body).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    regex += "/.*" if directory else "(/.*)?"
    if not anchored:
        regex = "(.*/)?" + regex
    return re.fullmatch(regex, path) is not None


def _owners_of(rules: list[tuple[int, str, list[str]]], path: str) -> tuple[int | None, list[str]]:
    """The owners of ``path``: the last matching rule wins, as on GitHub and GitLab."""
    found: tuple[int | None, list[str]] = (None, [])
    for number, pattern, owners in rules:
        if _pattern_matches(pattern, path):
            found = (number, owners)
    return found


# --- 1. ownership ---------------------------------------------------------------------


@CHECKS.add(
    "ownership",
    1,
    "Owners identified: a group, in the catalog and CODEOWNERS, with a RACI",
    required=True,
    fix="Name the owning team as `spec.owner: group:<team>` in catalog-info.yaml, keep "
    "CODEOWNERS per the ownership model with groups only (`copier update` restores both), "
    "and keep the RACI table in docs/OWNERSHIP.md.",
)
def check_ownership(repo: Repo, f: Findings) -> None:
    a = repo.answers
    handle = f"@{a.org}/{a.team}"
    catalog = repo.yaml(CATALOG)
    owner_group: str | None = None
    if catalog is None:
        f.bad(CATALOG, None, "missing: no catalog entry names the owner")
    else:
        spec = dig(catalog, "spec")
        owner = dig(spec, "owner")
        line = key_line(spec, "owner") or key_line(catalog, "spec")
        if not owner:
            f.bad(CATALOG, line, "spec.owner is not set")
        else:
            kind, _, name = str(owner).rpartition(":")
            name = name.rsplit("/", 1)[-1]
            if kind.casefold() == "user":
                f.bad(CATALOG, line, f"spec.owner {owner}: a person, not a group")
            elif kind.casefold() != "group":
                f.bad(CATALOG, line, f"spec.owner {owner}: not a group reference (group:<team>)")
            elif name != a.team:
                f.bad(CATALOG, line, f"spec.owner {owner}: the answers name the team {a.team}")
            else:
                owner_group = name
                f.ok(CATALOG, line, f"spec.owner {owner}")

    codeowners = _codeowners_path(repo)
    host = ".gitlab" if a.ci_provider == "gitlab" else ".github"
    if codeowners is None:
        f.bad(
            f"{host}/CODEOWNERS",
            None,
            "missing: no code owners, so no change needs the owning team's review",
        )
    else:
        rules = _codeowners(repo, codeowners)
        for number, _pattern, owners in rules:
            for token in owners:
                if not (token.startswith("@") and "/" in token):
                    f.bad(codeowners, number, f"owner {token}: a person, not a group (@org/team)")
        model = a.ownership_model
        expected_default = f"@{a.org}/{a.sre_team}" if model == "sre_only" else handle
        line, owners = _owners_of(rules, "README.md")
        if line is None:
            f.bad(codeowners, None, "no `*` rule: files without an owner")
        elif expected_default not in owners:
            f.bad(
                codeowners,
                line,
                f"default owners {' '.join(owners) or '(none)'}; the {model} model needs "
                f"{expected_default}",
            )
        else:
            f.ok(codeowners, line, f"default owners {' '.join(owners)}")
        sre, platform = f"@{a.org}/{a.sre_team}", f"@{a.org}/{a.platform_team}"
        infra_reviewers = {
            "dev_only": [handle],
            "shared": [handle, sre],
            "platform": [platform],
            "sre_only": [sre],
        }.get(model, [handle])
        for path in (f"{PROD_ROOT}/main.tf", f"{repo.chart_rel}/values-prod.yaml"):
            line, owners = _owners_of(rules, path)
            missing = [o for o in infra_reviewers if o not in owners]
            if missing:
                f.bad(
                    codeowners,
                    line,
                    f"{path} is reviewed by {' '.join(owners) or 'nobody'}; the {model} model "
                    f"needs {' '.join(infra_reviewers)}",
                )
            else:
                f.ok(codeowners, line, f"{path} reviewed by {' '.join(owners)}")
        if owner_group is not None and not any(
            f"@{a.org}/{owner_group}" in owners for _, _, owners in rules
        ):
            f.bad(codeowners, None, f"the catalog owner group:{owner_group} is no code owner")

    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no RACI of who does what")
        return
    # The RACI table is the one with most of the activity rows (a contacts table may have
    # an "On-call" row too).
    wanted = {name.casefold() for name in RACI_ROWS}
    by_name: dict[str, tuple[markdown.Line, list[str]]] = {}
    for table in markdown.tables(markdown.prose(text)):
        rows = {cells[0].casefold(): (line, cells) for line, cells in table}
        if len(wanted & set(rows)) > len(wanted & set(by_name)):
            by_name = rows
    for name in RACI_ROWS:
        row = by_name.get(name.casefold())
        if row is None:
            f.bad(OWNERSHIP_DOC, None, f"RACI table has no row {name!r}")
            continue
        row_line, cells = row
        letters = {t for cell in cells[1:] for t in re.findall(r"\b[RACI]\b", cell)}
        if "A" not in letters or "R" not in letters:
            f.bad(
                OWNERSHIP_DOC,
                row_line.number,
                f"RACI row {name!r}: nobody responsible (R) and accountable (A)",
            )
    if all(name.casefold() in by_name for name in RACI_ROWS):
        first = by_name[RACI_ROWS[0].casefold()][0]
        f.ok(OWNERSHIP_DOC, first.number, f"RACI table with {len(RACI_ROWS)} rows")


# --- 1. contacts ----------------------------------------------------------------------


@CHECKS.add(
    "contacts",
    1,
    "Contacts given: owner email, chat channel, on-call",
    required=False,
    fix="Keep the owner-email, slack-channel, oncall-provider and escalation-policy "
    "annotations in catalog-info.yaml and the `## Contacts` section of docs/OWNERSHIP.md in "
    "line with the answers.",
)
def check_contacts(repo: Repo, f: Findings) -> None:
    a = repo.answers
    expected = {
        "owner-email": str(a.get("owner_email", "")),
        "slack-channel": str(a.get("slack_channel", "")),
        "oncall-provider": a.oncall_provider,
    }
    if a.oncall_provider != "none":
        expected["escalation-policy"] = str(a.get("oncall_escalation_policy", ""))
    catalog = repo.yaml(CATALOG)
    if catalog is None:
        f.bad(CATALOG, None, "missing: no catalog entry carries the contacts")
    else:
        annotations = dig(catalog, "metadata", "annotations")
        for key, value in expected.items():
            name = f"{a.org_domain}/{key}"
            found = dig(annotations, name) if isinstance(annotations, dict) else None
            line = key_line(annotations, name) or key_line(dig(catalog, "metadata"), "annotations")
            if found is None:
                f.bad(CATALOG, line, f"annotation {name} missing")
            elif str(found) != value:
                f.bad(CATALOG, line, f"annotation {name} is {found!r}; the answers say {value!r}")
            else:
                f.ok(CATALOG, line, f"{name}: {found}")
    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no contacts section")
        return
    found_section = markdown.section(text, 2, "Contacts")
    if found_section is None:
        f.bad(OWNERSHIP_DOC, None, "no `## Contacts` section")
        return
    heading, lines = found_section
    body = markdown.plain("\n".join(line.text for line in lines))
    for key, value in expected.items():
        if key == "oncall-provider" and value == "none":
            continue
        if value and value.casefold() not in body.casefold():
            f.bad(OWNERSHIP_DOC, heading.line, f"`## Contacts` does not give the {key} {value}")
    f.ok(OWNERSHIP_DOC, heading.line, "## Contacts")


# --- 1. escalation --------------------------------------------------------------------


def _numbered_levels(f: Findings, path: str, text: str, title: str) -> list[str]:
    """Check that the ``## <title>`` section of a document lists at least two numbered
    levels; the section's text, for the checks on who the levels name."""
    found = markdown.section(text, 2, title)
    if found is None:
        f.bad(path, None, f"no `## {title}` section")
        return []
    heading, lines = found
    levels = markdown.numbered(lines)
    if len(levels) < 2:
        f.bad(
            path,
            heading.line,
            f"`## {title}` has {len(levels)} numbered level(s); it needs at least 2",
        )
    else:
        f.ok(path, heading.line, f"{title.lower()} with {len(levels)} levels")
    return [markdown.plain("\n".join(line.text for line in lines))]


@CHECKS.add(
    "escalation",
    1,
    "Escalation path and severity levels given",
    required=False,
    fix="Keep the numbered `## Escalation path` of docs/OWNERSHIP.md and the SEV1-SEV4 "
    "levels, `## Who joins a SEV1` and `## Paging escalation` of docs/ESCALATION.md.",
)
def check_escalation(repo: Repo, f: Findings) -> None:
    a = repo.answers
    levels_text: list[str] = []
    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no escalation path")
    else:
        levels_text += _numbered_levels(f, OWNERSHIP_DOC, text, "Escalation path")
    text = repo.text(ESCALATION_DOC)
    if text is None:
        f.bad(ESCALATION_DOC, None, "missing: no severity levels")
    else:
        for level in ("SEV1", "SEV2", "SEV3", "SEV4"):
            if markdown.find_heading(text, 3, level) is None:
                f.bad(ESCALATION_DOC, None, f"no `### {level}` section")
        if markdown.find_heading(text, 2, "Who joins a SEV1") is None:
            f.bad(ESCALATION_DOC, None, "no `## Who joins a SEV1` section")
        levels_text += _numbered_levels(f, ESCALATION_DOC, text, "Paging escalation")
    if not levels_text:
        return
    combined = "\n".join(levels_text)
    model = a.ownership_model
    first = a.sre_team if model == "sre_only" else a.team
    where = OWNERSHIP_DOC if repo.exists(OWNERSHIP_DOC) else ESCALATION_DOC
    if not _word(combined, first):
        f.bad(where, None, f"the escalation path never names {first}, who is paged first")
    if (model == "sre_only" or _sre_escalates(repo)) and not _word(combined, a.sre_team):
        f.bad(where, None, f"the {model} model escalates to {a.sre_team}; the path never names it")
    if a.oncall_provider == "none":
        return
    policy, owner = _page_policy(a)
    if policy and not _word(combined, policy):
        f.bad(where, None, f"the escalation path never names {owner}'s on-call policy {policy}")
    sre_policy = str(a.get("sre_escalation_policy", ""))
    if _sre_escalates(repo) and sre_policy and not _word(combined, sre_policy):
        f.bad(
            where,
            None,
            f"the {model} model escalates to SRE's policy {sre_policy}; the path never names it",
        )


# --- 2. SLIs --------------------------------------------------------------------------


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


# --- 3. SLOs --------------------------------------------------------------------------


def _thresholds(expr: str) -> list[float]:
    return [float(n) for n in re.findall(r">\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)", expr)]


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


# --- 4. SLA ---------------------------------------------------------------------------


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


# --- 5. deployment strategy -----------------------------------------------------------

STRATEGY_WORDS = {
    "rolling": r"rolling",
    "canary": r"canar(y|ies)",
    "blue_green": r"blue[-_ ]green",
}


@CHECKS.add(
    "deploy-strategy",
    5,
    "Deployment strategy implemented and documented",
    required=False,
    fix="Keep the chart's workload, ci/common.sh and the README on the answered "
    "deploy_strategy (change it with `copier update --data deploy_strategy=...`).",
)
def check_deploy_strategy(repo: Repo, f: Findings) -> None:
    a = repo.answers
    strategy = a.deploy_strategy
    manifests = _manifests(repo, f)
    if manifests is not None:
        workload = _workload(repo, manifests)
        if workload is None:
            f.bad(repo.values_rel(PROD), None, "the chart renders no Deployment or Rollout")
        else:
            rel, line = repo.template_line(workload.source, "kind:")
            names = {m.name for m in manifests}
            templates = {m.name for m in manifests if m.kind == "AnalysisTemplate"}
            spec = dig(workload.obj, "spec", "strategy") or {}
            if strategy == "rolling":
                kind = dig(spec, "type") or "RollingUpdate"
                if workload.kind != "Deployment" or kind != "RollingUpdate":
                    f.bad(rel, line, f"rolling answered; prod renders a {workload.kind} ({kind})")
                else:
                    f.ok(rel, line, "Deployment with RollingUpdate")
            else:
                key = "canary" if strategy == "canary" else "blueGreen"
                section = dig(spec, key)
                if workload.kind != "Rollout" or not isinstance(section, dict):
                    f.bad(
                        rel,
                        line,
                        f"{strategy} answered; prod renders no Rollout with strategy.{key}",
                    )
                else:
                    analysis = (
                        dig(section, "analysis", "templates")
                        if key == "canary"
                        else dig(section, "prePromotionAnalysis", "templates")
                    ) or []
                    used = {str(t.get("templateName")) for t in analysis if isinstance(t, dict)}
                    if not used or not used <= templates:
                        f.bad(
                            rel,
                            line,
                            f"Rollout {key}: no SLO analysis (AnalysisTemplate) gates the release",
                        )
                    elif key == "canary" and not dig(section, "steps"):
                        f.bad(rel, line, "Rollout canary has no steps")
                    elif (
                        key == "blueGreen"
                        and not {dig(section, "activeService"), dig(section, "previewService")}
                        <= names
                    ):
                        f.bad(rel, line, "Rollout blueGreen: active or preview Service missing")
                    else:
                        f.ok(rel, line, f"Rollout {key} gated by {', '.join(sorted(used))}")
                        _gates_can_fail(
                            repo, [m for m in manifests if m.kind == "AnalysisTemplate"], used, f
                        )
    line = repo.find_line(COMMON_SH, r"DEPLOY_STRATEGY=")
    common = repo.text(COMMON_SH)
    if common is None or line is None:
        f.bad(COMMON_SH, None, "does not set DEPLOY_STRATEGY for ci/deploy.sh")
    elif not re.search(
        rf"DEPLOY_STRATEGY=\$\{{DEPLOY_STRATEGY:-{strategy}\}}|"
        rf"DEPLOY_STRATEGY={strategy}\b",
        repo.lines(COMMON_SH)[line - 1],
    ):
        f.bad(
            COMMON_SH,
            line,
            f"DEPLOY_STRATEGY is not {strategy}: ci/deploy.sh releases another way than the chart",
        )
    else:
        f.ok(COMMON_SH, line, f"ci/deploy.sh releases {strategy}")
    documented = None
    for doc in ("README.md", "docs/READINESS.md", f"{RUNBOOKS}/README.md"):
        line = markdown.find_line(
            repo.text(doc) or "", rf"(?i){STRATEGY_WORDS.get(strategy, strategy)}"
        )
        if line is not None:
            documented = (doc, line)
            break
    if documented is None:
        f.bad("README.md", None, f"the {strategy} release is not documented")
    else:
        f.ok(documented[0], documented[1], f"{strategy} release documented")


def _gates_can_fail(repo: Repo, templates: list[Manifest], used: set[str], f: Findings) -> None:
    """Every metric of the analysis the release uses fails above an error ratio below 1: a
    gate whose failure needs more than every request failing never stops a release."""
    for template in templates:
        if template.name not in used:
            continue
        rel, line = repo.template_line(template.source, "failureCondition:")
        for metric in dig(template.obj, "spec", "metrics") or []:
            if not isinstance(metric, dict):
                continue
            limits = _thresholds(str(metric.get("failureCondition", "")))
            if not limits:
                f.bad(rel, line, f"{template.name}: metric {metric.get('name')} never fails")
            elif min(limits) >= 1:
                f.bad(
                    rel,
                    line,
                    f"{template.name}: metric {metric.get('name')} fails only above an error "
                    f"ratio of {min(limits):g}, which no ratio can reach",
                )


# --- 6. continuous integration --------------------------------------------------------


def _ci(repo: Repo, f: Findings) -> Pipeline | None:
    ci = pipeline(repo)
    main = GITLAB_CI if ci.provider == "gitlab" else f"{GITHUB_WORKFLOWS}/"
    if not ci.files:
        f.bad(main, None, "missing: the repository has no CI definitions")
        return None
    for problem in ci.problems:
        path, _, rest = problem.partition(" ")
        f.bad(path.split(":")[0], _line(path), rest)
    return ci


def _line(where: str) -> int | None:
    _, _, line = where.rpartition(":")
    return int(line) if line.isdigit() else None


def _main_file(jobs: list[Job], ci: Pipeline) -> str:
    """The file holding most of ``jobs`` (where a missing job belongs), else the pipeline's."""
    files = Counter(job.file for job in jobs)
    return files.most_common(1)[0][0] if files else ci.files[0]


def _change_files(ci: Pipeline) -> str:
    return _main_file(ci.change_jobs, ci)


def _job_evidence(f: Findings, job: Job, what: str) -> None:
    f.ok(job.file, job.line, f"{job.name}: {what}")


@CHECKS.add(
    "ci",
    6,
    "Continuous integration: build and tests on every change",
    required=True,
    fix="Run the application's tests on every pull/merge request and build the image for "
    "every change (the `app` job of the pull-request pipeline).",
)
def check_ci(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    change = ci.change_jobs
    if not change:
        f.bad(ci.files[0], None, "no job runs on pull/merge requests")
        return
    tests = [j for j in change if j.runs(TEST_COMMAND)]
    if tests:
        _job_evidence(f, tests[0], "runs the tests on every change")
    else:
        f.bad(_change_files(ci), None, "no job on pull/merge requests runs the tests")
    builds = [j for j in ci.jobs if (j.on_change or j.on_main) and j.runs(BUILD_COMMAND)]
    if builds:
        _job_evidence(f, builds[0], "builds the image")
    else:
        f.bad(_change_files(ci), None, "no job builds the service for the changes it checks")


# --- 7. continuous delivery -----------------------------------------------------------


def _deploy_jobs(ci: Pipeline, environment: str) -> list[Job]:
    return [
        j
        for j in ci.jobs
        if j.on_main
        and j.targets(environment)
        and j.runs(DEPLOY_COMMAND)
        and not j.runs(r"ci/rollback\.sh")
    ]


@CHECKS.add(
    "cd",
    7,
    "Continuous delivery: lower environments automatically, prod one approved step",
    required=True,
    fix="Deploy every environment from main in order, lower ones automatically and prod "
    "behind an approval, with the SLO gate and release notes (`copier update` restores the "
    "deploy pipeline).",
)
def check_cd(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    environments = [e for e in ("dev", "staging", "prod") if e in repo.answers.environments]
    previous: Job | None = None
    for environment in environments:
        jobs = _deploy_jobs(ci, environment)
        if not jobs:
            f.bad(_deploy_file(ci), None, f"no job deploys {environment} on a push to main")
            previous = None
            continue
        job = jobs[0]
        if environment != PROD:
            if job.manual:
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: waits for a person; {environment} deploys automatically",
                )
            else:
                _job_evidence(f, job, f"deploys {environment} automatically")
        else:
            approved = job.manual if ci.provider == "gitlab" else job.environment == PROD
            if not approved:
                f.bad(job.file, job.line, f"{job.name}: prod deploys without an approval step")
            else:
                how = "a manual job" if ci.provider == "gitlab" else "environment prod"
                _job_evidence(f, job, f"deploys prod after approval ({how})")
            if previous is not None and previous.name not in ci.upstream(job):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: does not wait for {previous.name}: prod "
                    "gets what the lower environment never ran",
                )
            if not job.runs(r"slo_gate|slo-gate"):
                f.bad(job.file, job.line, f"{job.name}: no SLO gate before prod")
            else:
                _job_evidence(f, job, "SLO gate" + job.via(r"slo_gate|slo-gate"))
            if not job.runs(r"release[_-]notes|release-please|semantic-release"):
                f.bad(job.file, job.line, f"{job.name}: no release notes")
            else:
                _job_evidence(f, job, "release notes" + job.via(r"release[_-]notes"))
        previous = job
    _prod_approvers(repo, f)
    _protection_applied(repo, ci, f)


def _prod_approvers(repo: Repo, f: Findings) -> None:
    """ci/protect_environments.py gives prod the approvers of the ownership model, and the
    lower environments none."""
    a = repo.answers
    script, model = protection.SCRIPT, a.ownership_model
    wanted = protection.prod_approvers(a)
    rule = protection.rule_text(a)
    fix = (
        f'Make APPROVERS["prod"] in {script} {json.dumps(wanted)}, as the {model} model has '
        "it, and the lower environments []; change who approves through the answers "
        "(`copier update --trust --defaults --data ownership_model=...`), which also rewrites "
        "CODEOWNERS and the docs."
    )
    found = protection.read(repo)
    if found is None:
        f.bad(
            script,
            None,
            "missing: nothing in the repository sets who approves prod",
            f"Restore {script} (git history has it) and let "
            f"{protection.APPLY_FILES.get(a.ci_provider, script)} apply it.",
        )
        return
    for line, what in found.problems:
        f.bad(script, line, what, fix)
    if found.environments is not None and PROD not in found.environments:
        f.bad(
            script,
            found.environments_line,
            "ENVIRONMENTS leaves prod out: its approvers are never applied",
            fix,
        )
    entry = found.approvers.get(PROD)
    if entry is not None:
        teams = list(dict.fromkeys(entry.teams))
        if set(teams) != set(wanted):
            f.bad(
                script,
                entry.line,
                f"prod approvers {', '.join(teams) or 'nobody'}; the {model} model needs {rule}",
                fix,
            )
        else:
            f.ok(script, entry.line, f"prod approvers {' or '.join(teams)} ({model} model)")
    elif found.approvers_line is not None and PROD not in found.named:
        f.bad(
            script,
            found.approvers_line,
            f"APPROVERS names no prod approvers; the {model} model needs {rule}",
            fix,
        )
    for environment, lower in found.approvers.items():
        if environment != PROD and lower.teams:
            f.bad(
                script,
                lower.line,
                f"{environment} approvers {', '.join(lower.teams)}: {environment} deploys on "
                "merge, without an approval",
                fix,
            )


def _protection_applied(repo: Repo, ci: Pipeline, f: Findings) -> None:
    """A job applies ci/protect_environments.py whenever a push to main changes it: without
    one, approvers edited in code never reach the git host."""
    script = protection.SCRIPT
    where = protection.APPLY_FILES.get(ci.provider, ci.files[0])
    fix = (
        f"Keep {where} running `python {script}` (not --dry-run) on every push to main that "
        "changes the script and by hand, as `copier update` renders it; README.md, Deploys and "
        "prod approvals, says which token it needs."
    )
    jobs = [j for j in ci.jobs if protection.applies(j)]
    applying = [j for j in jobs if j.starts_on_main_change(script)]
    if applying:
        job = applying[0]
        by_hand = ", and by hand" if job.manual else ""
        _job_evidence(f, job, f"applies {script} when a push to main changes it{by_hand}")
    elif jobs:
        job = jobs[0]
        f.bad(
            job.file,
            job.line,
            f"{job.name}: runs {script}, but no push to main that changes it starts the job: "
            "approvers edited in code never reach the git host",
            fix,
        )
    else:
        f.bad(
            where,
            None,
            f"missing: no job applies {script} when it changes on main (looked in "
            f"{', '.join(ci.files)})",
            fix,
        )


def _deploy_file(ci: Pipeline) -> str:
    return _main_file([j for j in ci.jobs if j.on_main and j.runs(DEPLOY_COMMAND)], ci)


# --- 8. static analysis ---------------------------------------------------------------

STATIC_ANALYSIS = (
    ("checkov", r"\bcheckov\b", "checkov (IaC security scan)"),
    ("terraform fmt", r"\bterraform\b.*\bfmt\b.*-check", "terraform fmt -check"),
    ("terraform validate", r"\bterraform\b.*\bvalidate\b", "terraform validate"),
    ("helm lint", r"\bhelm(_python)?[ .]lint\b", "Helm lint of the chart"),
    ("promtool", r"\bpromtool check rules\b", "promtool check rules"),
)


@CHECKS.add(
    "static-analysis",
    8,
    "Static analysis in CI: lint and IaC security scan on every change",
    required=True,
    fix="Run checkov (without --soft-fail), terraform fmt/validate, Helm lint and promtool "
    "on every pull/merge request (`copier update` restores the checks).",
)
def check_static_analysis(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    change = ci.change_jobs
    for key, pattern, what in STATIC_ANALYSIS:
        jobs = [j for j in change if j.runs(pattern)]
        if not jobs:
            f.bad(_change_files(ci), None, f"no job on pull/merge requests runs {what}")
            continue
        job = jobs[0]
        if key == "checkov":
            command = next(
                (line for line in job.expanded.splitlines() if re.search(r"\bcheckov\s+-", line)),
                "",
            )
            frameworks = re.search(r"--framework[= ]\s*(\S+)", command)
            if re.search(r"--soft-fail\b|(^|\s)-s(\s|$)", command):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: checkov runs with --soft-fail: findings never fail the change",
                )
                continue
            if frameworks and "terraform" not in frameworks.group(1):
                f.bad(job.file, job.line, f"{job.name}: checkov does not scan terraform")
                continue
        _job_evidence(f, job, f"runs {what}{job.via(pattern)}")


# --- 9. disaster recovery -------------------------------------------------------------


@CHECKS.add(
    "dr-plan",
    9,
    "Disaster recovery plan: strategy, RTO and RPO as answered, tested by a runbook",
    required=True,
    fix="Keep docs/runbooks/disaster-recovery.md in line with the answers dr_strategy, "
    "rto_minutes and rpo_minutes (`copier update --data rto_minutes=...` changes both).",
)
def check_dr_plan(repo: Repo, f: Findings) -> None:
    a = repo.answers
    text = repo.text(DR_RUNBOOK)
    if text is None:
        f.bad(DR_RUNBOOK, None, "missing: no disaster recovery plan")
        return
    strategy = str(a.get("dr_strategy", "backup_restore"))
    found = markdown.field_line(text, "Strategy")
    if found is None:
        f.bad(DR_RUNBOOK, None, "no `- **Strategy:** <dr_strategy>` line")
    else:
        value, line = found
        written = re.match(r"[a-z_-]+", value)
        if written is None or written.group(0).replace("-", "_") != strategy:
            f.bad(
                DR_RUNBOOK,
                line,
                f"strategy {value.split()[0] if value else '(none)'!r}; the answers say {strategy}",
            )
        else:
            f.ok(DR_RUNBOOK, line, f"strategy {strategy}")
    for field, key in (("RTO", "rto_minutes"), ("RPO", "rpo_minutes")):
        wanted = a.get(key)
        found = markdown.field_line(text, field)
        if found is None:
            f.bad(DR_RUNBOOK, None, f"no `- **{field}:** <minutes> minutes` line")
            continue
        value, line = found
        minutes = re.match(r"(\d+)\s*min", value)
        if minutes is None:
            f.bad(DR_RUNBOOK, line, f"{field} {value!r} is not a number of minutes")
        elif int(minutes.group(1)) != int(wanted):
            f.bad(
                DR_RUNBOOK,
                line,
                f"{field} {minutes.group(1)} minutes; the answers say {wanted} minutes",
            )
        else:
            f.ok(DR_RUNBOOK, line, f"{field} {wanted} minutes")
    if not re.search(r"(?i)\brestor|\bfail\s*-?over", markdown.plain(text)):
        f.bad(DR_RUNBOOK, None, "no restore or failover steps")
    drill = r"(?i)\b(test|tested|testing|drill|game ?day|exercise)\b"
    test = next((h.line for h in markdown.headings(text) if re.search(drill, h.title)), None)
    if test is None:
        test = markdown.find_line(text, drill)
    if test is None:
        f.bad(DR_RUNBOOK, None, "no test procedure: the plan is never exercised")
    else:
        f.ok(DR_RUNBOOK, test, "test procedure")
    if strategy != "backup_restore":
        _dr_region(repo, f)


def _dr_region(repo: Repo, f: Findings) -> None:
    """A standby strategy needs the DR region configured in the prod root."""
    a = repo.answers
    root = Configuration(repo, PROD_ROOT)
    scope = RootScope(root)
    wanted = str(a.get("dr_region", ""))
    for block in root.blocks("provider"):
        try:
            alias = value_of(block.body.get("alias"), scope)
            region = value_of(block.body.get("region"), scope)
        except UnknownValueError:
            continue
        if block.name == "aws" and alias == "dr":
            line = root.attribute_line(block, "region")
            if region != wanted or region == a.get("aws_region"):
                f.bad(block.file, line, f"DR provider region {region}; the answers say {wanted}")
            else:
                f.ok(block.file, line, f"DR region {region}")
            return
    f.bad(
        f"{PROD_ROOT}/providers.tf",
        None,
        "no `aws` provider with alias dr: the standby region is not configured",
    )


# --- 10. backups ----------------------------------------------------------------------


@CHECKS.add(
    "backups",
    10,
    "Backups of data: retention per tier in prod",
    required=True,
    fix="Keep RDS backups at the tier's retention ({rds_backup_days} days for tier {tier}), "
    "with the deletion protection and cross-region copies the tier's policy asks for "
    "(terraform/modules/service/tiers.tf), and versioning on every S3 bucket: remove "
    "overrides such as `backup_retention_days` from terraform/envs/prod.",
)
def check_backups(repo: Repo, f: Findings) -> None:
    a = repo.answers
    declared = repo.policy.datastores
    kinds = {d: declared[d]["backup"] if d in declared else None for d in a.datastores}
    for name, kind in kinds.items():
        if kind is None:
            f.bad(
                ANSWERS_REF,
                repo.find_line(ANSWERS_REF, r"^datastores:"),
                f"datastore {name!r} is not declared in the template's policy (datastores): "
                "how its data is backed up is unknown",
            )
    stores = {name: kind for name, kind in kinds.items() if kind not in (None, "none")}
    if not stores:
        if not f.problems:
            transient = ", ".join(kinds) or "none"
            f.skip(ANSWERS_REF, f"no datastore holds data to back up (datastores: {transient})")
        return
    for instance in _prod_instances(repo, f, "Call the service module from terraform/envs/prod."):
        for kind in sorted(set(stores.values())):
            BACKUP_CHECKS[kind](instance, a.tier, repo.policy.tier(a.tier), f)


def _evidence_for(
    f: Findings,
    instance: ModuleInstance,
    block: Any,
    attribute: str,
    ok: bool,
    what: str,
    origins: list[str],
    tier: int,
) -> None:
    line = instance.module.attribute_line(block, attribute) or instance.module.block_line(block)
    if ok:
        f.ok(block.file, line, what)
        return
    # The env-root lines that decided the value name the file a team edited; the tier only
    # when it is not the answered one.
    for origin in origins:
        path, _, rest = origin.partition(" ")
        if rest.startswith("datastores =") or rest == f"tier = {tier}":
            continue
        f.bad(path.rsplit(":", 1)[0], _line(path), f"{rest}: {what}")
    f.bad(block.file, line, what)


def _rds_backups(instance: ModuleInstance, tier: int, rules: Tier, f: Findings) -> None:
    days = rules.rds_backup_days
    databases = list(_resources(instance, "aws_db_instance"))
    if not databases:
        f.bad(instance.module.directory, None, "postgres answered; no aws_db_instance in prod")
        return
    for block, _count in databases:
        value, origins, unknown = _effective(instance, block, "backup_retention_period", 0)
        name = f"{block.address} backup_retention_period"
        if unknown:
            f.bad(
                block.file,
                instance.module.attribute_line(block, "backup_retention_period"),
                f"{name}: cannot tell ({unknown})",
            )
        else:
            retention = _number(value) or 0
            _evidence_for(
                f,
                instance,
                block,
                "backup_retention_period",
                retention >= days,
                f"{name} = {retention:g} days in prod; tier {tier} needs at least {days}",
                origins,
                tier,
            )
        if rules.rds_deletion_protection:
            value, origins, unknown = _effective(instance, block, "deletion_protection", False)
            _evidence_for(
                f,
                instance,
                block,
                "deletion_protection",
                value is True,
                f"{block.address} deletion_protection = {raw_text(value)} in prod "
                f"(tier {tier} needs true)",
                origins,
                tier,
            )
    if rules.dr_copies:
        copies = list(_resources(instance, "aws_db_instance_automated_backups_replication"))
        if copies:
            block = copies[0][0]
            f.ok(
                block.file,
                instance.module.block_line(block),
                f"{block.address}: backups copied to the DR region",
            )
        else:
            f.bad(
                instance.module.directory,
                None,
                f"tier {tier}: no aws_db_instance_automated_backups_replication copies the "
                "RDS backups to the DR region in prod",
            )


def _s3_versioning(instance: ModuleInstance, _tier: int, _rules: Tier, f: Findings) -> None:
    """Every bucket versioned, in the module or in the modules it calls (the bucket module)."""
    buckets: list[tuple[ModuleInstance, Any]] = []
    versioned: dict[tuple[str, str], tuple[Any, str]] = {}
    for sub in nested_instances(instance):
        buckets.extend((sub, b) for b, _ in _resources(sub, "aws_s3_bucket"))
        for block, _count in _resources(sub, "aws_s3_bucket_versioning"):
            config = block.body.get("versioning_configuration")
            config = config[0] if isinstance(config, list) and config else config
            status = raw_text(dig(config, "status") or "").strip('"')
            target = re.search(r"aws_s3_bucket\.([\w-]+)", raw_text(block.body.get("bucket", "")))
            if target:
                versioned[(sub.path, target.group(1))] = (block, status)
    if not buckets:
        f.bad(instance.module.directory, None, "s3 answered; no aws_s3_bucket in prod")
        return
    for sub, bucket in buckets:
        found = versioned.get((sub.path, bucket.name))
        name = f"{sub.path}{bucket.address}"
        if found is None:
            f.bad(
                bucket.file,
                sub.module.block_line(bucket),
                f"{name}: no versioning: deleted or overwritten objects are lost",
            )
        elif found[1] != "Enabled":
            block = found[0]
            f.bad(
                block.file,
                sub.module.attribute_line(block, "status") or sub.module.block_line(block),
                f"{sub.path}{block.address}: status {found[1]}, not Enabled",
            )
        else:
            f.ok(found[0].file, sub.module.block_line(found[0]), f"{name} versioned")


# How readiness checks each backup kind of the policy's datastores (policy.BACKUP_KINDS).
BACKUP_CHECKS: dict[str, Callable[[ModuleInstance, int, Tier, Findings], None]] = {
    "rds_automated_backups": _rds_backups,
    "versioning": _s3_versioning,
}


# --- 11. redundancy -------------------------------------------------------------------


@CHECKS.add(
    "redundancy",
    11,
    "Redundancy: replicas, PDB and spread in prod; multi-AZ and multi-region per tier",
    required=True,
    fix="Run at least the tier's replicas in prod (values-prod.yaml replicaCount and "
    "autoscaling.minReplicas: {prod_min_replicas} for tier {tier}), keep the "
    "PodDisruptionBudget and the topology spread, and keep RDS multi-AZ and S3 replication "
    "where the tier's policy asks for them.",
)
def check_redundancy(repo: Repo, f: Findings) -> None:
    a = repo.answers
    tier = a.tier
    rules = repo.policy.tier(tier)
    minimum = rules.prod_min_replicas
    manifests = _manifests(repo, f)
    if manifests is not None:
        _pod_redundancy(repo, manifests, tier, minimum, f)
    else:
        _values_redundancy(repo, tier, minimum, f)
    if "postgres" in a.datastores or (rules.dr_copies and "s3" in a.datastores):
        for instance in _prod_instances(repo, f, "Call the service module from the prod root."):
            if "postgres" in a.datastores and rules.rds_multi_az:
                for block, _ in _resources(instance, "aws_db_instance"):
                    value, origins, unknown = _effective(instance, block, "multi_az", False)
                    _evidence_for(
                        f,
                        instance,
                        block,
                        "multi_az",
                        value is True and not unknown,
                        f"{block.address} multi_az = {raw_text(value)} in prod "
                        f"(tier {tier} needs true)",
                        origins,
                        tier,
                    )
            if rules.dr_copies and "s3" in a.datastores:
                found = [
                    (sub, block)
                    for sub in nested_instances(instance)
                    for block, _ in _resources(sub, "aws_s3_bucket_replication_configuration")
                ]
                if found:
                    sub, block = found[0]
                    f.ok(
                        block.file,
                        sub.module.block_line(block),
                        f"{sub.path}{block.address}: S3 replicated to the DR region",
                    )
                else:
                    f.bad(
                        instance.module.directory,
                        None,
                        f"tier {tier}: the S3 data bucket is not replicated to the DR region",
                    )


def _values_redundancy(repo: Repo, tier: int, minimum: int, f: Findings) -> None:
    """Without rendered manifests, at least the replica numbers the values set for prod."""
    for path, what in (
        (("replicaCount",), "replicaCount"),
        (
            ("autoscaling", "minReplicas"),
            "autoscaling.minReplicas",
        ),
    ):
        rel, line = repo.values_line(PROD, *path)
        value = dig(repo.yaml(rel), *path) if repo.exists(rel) else None
        if isinstance(value, int) and value < minimum:
            f.bad(rel, line, f"{what} {value} in prod; tier {tier} needs at least {minimum}")


def _pod_redundancy(
    repo: Repo, manifests: list[Manifest], tier: int, minimum: int, f: Findings
) -> None:
    workload = _workload(repo, manifests)
    if workload is None:
        f.bad(repo.values_rel(PROD), None, "the chart renders no Deployment or Rollout in prod")
        return
    replicas = dig(workload.obj, "spec", "replicas")
    rel, line = repo.values_line(PROD, "replicaCount")
    if not isinstance(replicas, int) or replicas < minimum:
        f.bad(
            rel,
            line,
            f"{workload.kind}/{workload.name} runs {replicas} replica(s) in prod; "
            f"tier {tier} needs at least {minimum}",
        )
    else:
        f.ok(rel, line, f"{replicas} replicas in prod")
    hpa = next(
        (
            m
            for m in manifests
            if m.kind == "HorizontalPodAutoscaler"
            and dig(m.obj, "spec", "scaleTargetRef", "name") == workload.name
        ),
        None,
    )
    if hpa is not None:
        floor = dig(hpa.obj, "spec", "minReplicas")
        rel, line = repo.values_line(PROD, "autoscaling", "minReplicas")
        if not isinstance(floor, int) or floor < minimum:
            f.bad(
                rel, line, f"HPA minReplicas {floor} in prod; tier {tier} needs at least {minimum}"
            )
        else:
            f.ok(rel, line, f"HPA minReplicas {floor}")
    labels = _pod_labels(workload)
    pdbs = [
        m
        for m in manifests
        if m.kind == "PodDisruptionBudget" and _selects(dig(m.obj, "spec", "selector"), labels)
    ]
    if not pdbs:
        f.bad(
            f"{repo.chart_rel}/templates",
            None,
            "no PodDisruptionBudget selects the pods in prod: a node drain may stop them all",
        )
    else:
        pdb = pdbs[0]
        rel, line = repo.template_line(pdb.source, "maxUnavailable")
        unavailable = dig(pdb.obj, "spec", "maxUnavailable")
        available = dig(pdb.obj, "spec", "minAvailable")
        if unavailable == 1 or (
            isinstance(available, int) and isinstance(replicas, int) and 1 <= available < replicas
        ):
            f.ok(
                rel,
                line,
                f"PodDisruptionBudget/{pdb.name} maxUnavailable "
                f"{unavailable if unavailable is not None else '-'}",
            )
        else:
            f.bad(
                rel,
                line,
                f"PodDisruptionBudget/{pdb.name}: maxUnavailable {unavailable}, "
                f"minAvailable {available}; one pod at a time (maxUnavailable 1) is the rule",
            )
    spread = dig(workload.obj, "spec", "template", "spec", "topologySpreadConstraints") or []
    keys = {
        str(c.get("topologyKey")): c.get("maxSkew")
        for c in spread
        if isinstance(c, dict) and _selects(c.get("labelSelector"), labels)
    }
    wanted = [HOSTNAME_KEY] + ([ZONE_KEY] if repo.policy.tier(tier).zone_spread else [])
    for key in wanted:
        short = "zone" if key == ZONE_KEY else "hostname"
        rel, line = repo.values_line(PROD, "topologySpread", short, "enabled")
        if key not in keys:
            f.bad(rel, line, f"no topology spread over {key} in prod (tier {tier})")
        elif keys[key] != 1:
            f.bad(rel, line, f"topology spread over {key} with maxSkew {keys[key]}, not 1")
        else:
            f.ok(rel, line, f"spread over {key}, maxSkew 1")


# --- 12. alert routing ----------------------------------------------------------------

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


# --- 12. runbooks ---------------------------------------------------------------------


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


# --- 13. rollback ---------------------------------------------------------------------


@CHECKS.add(
    "rollback",
    13,
    "Rollback path: a one-command CI rollback of prod and its runbook",
    required=True,
    fix="Keep the manual rollback (.github/workflows/rollback.yml or the rollback:<env> "
    "GitLab jobs) calling ci/rollback.sh, and docs/runbooks/rollback.md "
    "(`copier update` restores them).",
)
def check_rollback(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is not None:
        jobs = [
            j
            for j in ci.jobs
            if j.manual
            and j.targets(PROD)
            and j.runs(ROLLBACK_COMMAND)
            and not j.runs(DEPLOY_COMMAND)
        ]
        if not jobs:
            where = f"{GITHUB_WORKFLOWS}/rollback.yml" if ci.provider == "github" else GITLAB_CI
            f.bad(
                where,
                None,
                f"missing: no manual CI job rolls prod back (looked in {', '.join(ci.files)})",
            )
        else:
            job = jobs[0]
            if not job.runs(HELM_ROLLBACK):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: runs no `helm rollback` or `kubectl argo rollouts undo`",
                )
            else:
                _job_evidence(f, job, "rolls prod back by hand" + job.via(HELM_ROLLBACK))
    if not repo.exists(ROLLBACK_RUNBOOK):
        f.bad(ROLLBACK_RUNBOOK, None, "missing: no rollback runbook")
    else:
        f.ok(ROLLBACK_RUNBOOK, None, "rollback runbook")


# --- 14. observability ----------------------------------------------------------------


@CHECKS.add(
    "observability",
    14,
    "Observability: metrics scraped as the SLIs expect, dashboards linked",
    required=True,
    fix="Keep serviceMonitor.enabled in prod with the job label set to the service name, a "
    "dashboard_url on every alert and a Dashboard link in catalog-info.yaml.",
)
def check_observability(repo: Repo, f: Findings) -> None:
    manifests = _manifests(repo, f)
    if manifests is not None:
        _scraping(repo, manifests, f)
    alerts = _alerts(repo)
    without = [
        r for r in alerts if not re.match(r"https?://", r.annotations.get("dashboard_url", ""))
    ]
    for alert in without:
        f.bad(alert.file, alert.line, f"alert {alert.name}: no dashboard_url annotation")
    if alerts and not without:
        f.ok(alerts[0].file, alerts[0].line, f"{len(alerts)} alerts link a dashboard")
    catalog = repo.yaml(CATALOG)
    links = dig(catalog, "metadata", "links")
    dashboards = [
        (i, link)
        for i, link in enumerate(links if isinstance(links, list) else [])
        if isinstance(link, dict)
        and str(link.get("title", "")).casefold().startswith("dashboard")
        and re.match(r"https?://", str(link.get("url", "")))
    ]
    if catalog is None:
        f.bad(CATALOG, None, "missing: no dashboard link for the service")
    elif not dashboards:
        f.bad(
            CATALOG,
            key_line(dig(catalog, "metadata"), "links"),
            "metadata.links has no Dashboard link",
        )
    else:
        index, link = dashboards[0]
        f.ok(CATALOG, item_line(links, index), f"dashboard {link.get('url')}")


def _scraping(repo: Repo, manifests: list[Manifest], f: Findings) -> None:
    service = repo.answers.service
    monitors = [m for m in manifests if m.kind == "ServiceMonitor"]
    rel, line = repo.values_line(PROD, "serviceMonitor", "enabled")
    if not monitors:
        f.bad(rel, line, "no ServiceMonitor in prod: the SLI metrics are not scraped")
        return
    for monitor in monitors:
        selector = dig(monitor.obj, "spec", "selector")
        services = [
            m
            for m in manifests
            if m.kind == "Service" and _selects(selector, dig(m.obj, "metadata", "labels"))
        ]
        if not services:
            f.bad(rel, line, f"ServiceMonitor/{monitor.name} selects no Service")
            continue
        target = services[0]
        ports = {str(p.get("name")) for p in dig(target.obj, "spec", "ports") or []}
        endpoints = dig(monitor.obj, "spec", "endpoints") or []
        if not endpoints or any(str(e.get("port")) not in ports for e in endpoints):
            f.bad(
                rel,
                line,
                f"ServiceMonitor/{monitor.name} scrapes a port Service/{target.name} does not have",
            )
            continue
        job_label = dig(monitor.obj, "spec", "jobLabel")
        job = dig(target.obj, "metadata", "labels", job_label) if job_label else target.name
        if job != service:
            f.bad(
                rel,
                line,
                f'ServiceMonitor/{monitor.name}: job="{job}", but the SLIs select job="{service}"',
            )
            continue
        f.ok(
            rel, line, f'ServiceMonitor/{monitor.name} scrapes Service/{target.name} as job="{job}"'
        )
        return


# --- security context -----------------------------------------------------------------

_POD_FIELDS = {
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "readOnlyRootFilesystem",
    "capabilities",
    "seccompProfile",
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostPort",
    "procMount",
    "sysctls",
    "resources",
    "image",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
}


def _locate(
    repo: Repo, environment: str, manifest: Manifest, finding: str
) -> tuple[str, int | None]:
    """The file a team would edit for a Pod Security finding: the values file that sets the
    field, else the template that renders it."""
    problem = finding.rsplit(": ", 1)[-1]
    volume = re.search(r"type ([\w, ]+) not allowed", problem)
    needles = [v.strip() for v in volume.group(1).split(",")] if volume else []
    needles += [w for w in re.findall(r"[A-Za-z]+", problem) if w in _POD_FIELDS]
    templates = sorted(
        p.relative_to(repo.root).as_posix()
        for p in (repo.root / repo.chart_rel / "templates").rglob("*")
        if p.is_file()
    )
    own, _ = repo.template_line(manifest.source, "")
    candidates = [
        repo.values_rel(environment),
        f"{repo.chart_rel}/values.yaml",
        own,
        *(t for t in templates if t != own),
    ]
    for needle in needles:
        for rel in candidates:
            line = repo.find_line(rel, rf"\b{re.escape(needle)}\b") if repo.exists(rel) else None
            if line is not None:
                return rel, line
    return own, None


@CHECKS.add(
    "security-context",
    14,
    "Pod Security restricted and the paved defaults in every environment",
    required=True,
    fix="Keep every pod Pod Security 'restricted' (non-root UID 10001, no privilege "
    "escalation, capabilities dropped, RuntimeDefault seccomp, read-only root filesystem) "
    "with requests, limits and probes, and the default-deny NetworkPolicy.",
)
def check_security_context(repo: Repo, f: Findings) -> None:
    environments = [e for e in repo.answers.environments if e in repo.chart_environments()]
    if PROD not in environments:
        environments.append(PROD)
    for environment in environments:
        manifests = _manifests(repo, f, environment)
        if manifests is None:
            continue
        pods = [m for m in manifests if pod_spec(m) is not None]
        problems = 0
        for manifest in pods:
            for finding in pod_security_findings(manifest):
                rel, line = _locate(repo, environment, manifest, finding)
                f.bad(rel, line, f"{environment}: {finding}")
                problems += 1
        workload = _workload(repo, manifests)
        if workload is not None:
            labels = _pod_labels(workload)
            deny = [
                m
                for m in manifests
                if m.kind == "NetworkPolicy"
                and _selects(dig(m.obj, "spec", "podSelector"), labels)
                and {"Ingress", "Egress"} <= set(dig(m.obj, "spec", "policyTypes") or [])
            ]
            if not deny:
                f.bad(
                    f"{repo.chart_rel}/templates",
                    None,
                    f"{environment}: no NetworkPolicy restricts ingress and egress of the pods",
                )
                problems += 1
        if not problems:
            f.ok(
                repo.values_rel(environment),
                None,
                f"{environment}: {len(pods)} pod spec(s) restricted, default-deny NetworkPolicy",
            )


def run_all(
    repo: Repo, progress: Callable[[str], None] = lambda _: None
) -> Iterator[tuple[Check, Findings]]:
    """Every check on ``repo``, in order, with what it found.

    A check's ``fix`` may name the repository's tier (``{tier}``) and the values of its row
    of the policy's tier table (``{prod_min_replicas}``, ...).
    """
    fix_values = {"tier": repo.answers.tier, **asdict(repo.policy.tier(repo.answers.tier))}
    for check in CHECKS:
        progress(f"{check.id}: {check.title} ...")
        findings = Findings()
        check.run(repo, findings)
        if findings.problems and not findings.fixes:
            findings.fixes.append(check.fix.format_map(fix_values))
        yield check, findings
