"""The prod root's calls of the service module, their resources and effective values, and
evidence that names where a value comes from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.readiness.model import Findings
from generator.readiness.sources.paths import PROD_ROOT
from generator.readiness.sources.repo import (
    Repo,
)
from generator.readiness.sources.terraform import (
    Configuration,
    ModuleInstance,
    UnknownValueError,
    module_instances,
    raw_text,
)
from generator.readiness.sources.text import _line


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
