"""Who the answers and the policy say is paged and escalated to."""

from __future__ import annotations

from generator.answers import Answers
from generator.readiness.sources.repo import (
    Repo,
)


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
