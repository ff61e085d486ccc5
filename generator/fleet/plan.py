"""`paved fleet plan`: the order in which behind services take the latest template.

Rules, in order:

1. Only services that are behind (``patch``, ``minor`` or ``major``) are planned; the rest
   are listed under ``not_planned`` with the reason (up to date, no release to compare,
   an error such as a version the template cannot render, which no upgrade could start
   from).
2. Tier 3 first, then tier 2, then tier 1; a service whose tier is unknown comes last. A
   wave never mixes tiers.
3. Within a tier, canaries first, in waves of their own, so that a canary's failure stops
   the rollout before the rest of its tier. The canaries of a tier are one service per
   ownership model (the ownership model changes CODEOWNERS, approvals and routing, so each
   one renders differently): the service named with ``--canary`` when there is one, else
   the first by service name.
4. Waves hold at most ``wave_size`` services, in service-name order.

Each wave carries a GitHub Actions matrix (``{"include": [...]}``, one entry per service)
that a workflow passes to ``strategy.matrix`` with ``fromJSON``: one job, and one pull
request, per service. An entry's ``drifted_files`` counts the service's drift: the more
hand-edited template files, the likelier its upgrade meets conflicts to resolve.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from generator.fleet.status import RepoStatus
from generator.template_source import Behind

# GitHub Actions refuses a matrix of more than 256 jobs.
MAX_WAVE_SIZE = 256
PLANNED = frozenset({Behind.PATCH.value, Behind.MINOR.value, Behind.MAJOR.value})
TIER_ORDER = (3, 2, 1)


@dataclass(frozen=True)
class Upgrade:
    """One service to bring to the latest template release."""

    status: RepoStatus
    canary: bool

    def entry(self) -> dict[str, Any]:
        """The matrix entry: what the job of this service needs, flat."""
        status = self.status
        return {
            "service": status.service,
            "repository": status.repository,
            "path": status.path,
            "team": status.team,
            "tier": status.tier,
            "ownership_model": status.ownership_model,
            "template": status.template,
            "from": status.version,
            "to": status.latest,
            "behind": status.behind,
            "drifted_files": len(status.drift or ()),
            "canary": self.canary,
        }


def tier_rank(tier: int | None) -> int:
    """Position of a tier in the rollout: 3, 2, 1, then unknown."""
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def plan(
    statuses: Sequence[RepoStatus], wave_size: int, canaries: Collection[str] = ()
) -> dict[str, Any]:
    """The rollout plan of ``statuses`` as a JSON-ready mapping (rules: module docstring)."""
    if not 1 <= wave_size <= MAX_WAVE_SIZE:
        raise ValueError(f"wave_size must be between 1 and {MAX_WAVE_SIZE}")
    behind = sorted(
        (s for s in statuses if s.error is None and s.behind in PLANNED),
        key=lambda s: (tier_rank(s.tier), s.service or "", s.path),
    )
    waves: list[dict[str, Any]] = []
    for rank, group in groupby(behind, key=lambda s: tier_rank(s.tier)):
        members = list(group)
        chosen = _canaries(members, canaries)
        tier = TIER_ORDER[rank] if rank < len(TIER_ORDER) else None
        for is_canary in (True, False):
            upgrades = [Upgrade(s, is_canary) for s in members if (s.path in chosen) is is_canary]
            for start in range(0, len(upgrades), wave_size):
                batch = upgrades[start : start + wave_size]
                waves.append(
                    {
                        "number": len(waves) + 1,
                        "tier": tier,
                        "canary": is_canary,
                        "services": [u.status.service for u in batch],
                        "matrix": {"include": [u.entry() for u in batch]},
                    }
                )
    return {
        "wave_size": wave_size,
        "planned": len(behind),
        "waves": waves,
        "not_planned": [
            {"path": s.path, "service": s.service, "reason": _reason(s)}
            for s in statuses
            if not (s.error is None and s.behind in PLANNED)
        ],
    }


def to_json(plan_data: dict[str, Any]) -> str:
    return json.dumps(plan_data, indent=2) + "\n"


def _canaries(members: list[RepoStatus], named: Collection[str]) -> set[str]:
    """Paths of one canary per ownership model among ``members`` (already in name order)."""
    chosen: dict[str | None, str] = {}
    for status in members:
        if status.service in named:
            chosen.setdefault(status.ownership_model, status.path)
    for status in members:
        chosen.setdefault(status.ownership_model, status.path)
    return set(chosen.values())


def _reason(status: RepoStatus) -> str:
    if status.error is not None:
        return f"error: {status.error}"
    if status.behind == Behind.NONE.value:
        return "up to date"
    if status.latest is None:
        return "the template has no release tag"
    return f"version {status.version} is not a release to compare"
