"""Runtime: redundancy in prod (``redundancy``), observability (``observability``) and pod
security (``security-context``)."""

from __future__ import annotations

import re

from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources.chart import _manifests, _pod_labels, _selects, _workload
from generator.readiness.sources.paths import CATALOG, HOSTNAME_KEY, PROD, ZONE_KEY
from generator.readiness.sources.prod import _effective, _evidence_for, _prod_instances, _resources
from generator.readiness.sources.repo import (
    Repo,
    dig,
    item_line,
    key_line,
)
from generator.readiness.sources.rules import _alerts
from generator.readiness.sources.terraform import (
    nested_instances,
    raw_text,
)
from generator.validators.kubernetes import Manifest, pod_security_findings, pod_spec


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
