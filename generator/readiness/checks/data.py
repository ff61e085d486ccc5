"""Data: the disaster recovery plan (``dr-plan``) and backups per tier (``backups``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.answers import ANSWERS_FILE as ANSWERS_REF
from generator.policy import Tier
from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources import markdown
from generator.readiness.sources.paths import DR_RUNBOOK, PROD_ROOT
from generator.readiness.sources.prod import _effective, _evidence_for, _prod_instances, _resources
from generator.readiness.sources.repo import (
    Repo,
    dig,
)
from generator.readiness.sources.terraform import (
    Configuration,
    ModuleInstance,
    RootScope,
    UnknownValueError,
    nested_instances,
    raw_text,
    value_of,
)
from generator.readiness.sources.text import _number


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
