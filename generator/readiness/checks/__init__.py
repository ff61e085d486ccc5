"""The readiness checks, one module per concern, registered in the order of the readiness
checklist (docs/readiness.md), and the runner.

Each check reads the files a team edits (CODEOWNERS, the chart rendered for prod, the
Terraform roots and module, the CI definitions, the rule files, the docs) through the
readers of :mod:`generator.readiness.sources` and compares them with what the answers in
``.copier-answers.yml`` and the template's policy promise. It records evidence
(``path:line what``) for what holds and for what does not; it passes when nothing is wrong.

Required checks guard what production relies on when something breaks: an owner, SLIs and
SLOs with alerts that reach someone and a runbook that exists, a gated way to ship and a way
back, data that survives, redundancy and pod security. ``contacts``, ``escalation``, ``sla``
and ``deploy-strategy`` check what people read and how releases are documented; they count
toward the score only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict

# The concerns register their checks with CHECKS when imported.
from generator.readiness.checks import alerting, data, delivery, ownership, runtime, slo
from generator.readiness.model import CHECKS, Check, Findings
from generator.readiness.sources.repo import Repo

__all__ = ["CHECKS", "alerting", "data", "delivery", "ownership", "run_all", "runtime", "slo"]


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
