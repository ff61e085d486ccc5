"""`paved readiness`: score a generated (and since edited) repository against the production
readiness checklist, with evidence for every check and a fix for every failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.policy import Policy
from generator.readiness.checks import CHECKS, run_all
from generator.readiness.model import Report, Result, Status
from generator.readiness.sources.repo import Repo

__all__ = ["CHECKS", "Report", "Result", "Status", "readiness"]


def readiness(
    path: Path,
    min_score: int = 0,
    progress: Callable[[str], None] = lambda _: None,
    policy: Policy | None = None,
) -> Report:
    """Run every check on the repository at ``path``, reporting progress as each runs.

    ``policy`` is the standards to hold it to: the toolkit's own template's by default.

    Raises :class:`~generator.errors.RepositoryError` when ``path`` is not a generated
    repository or a file the checks read cannot be parsed.
    """
    repo = Repo(path, policy)
    results = tuple(
        Result.of(check, findings) for check, findings in run_all(repo, progress=progress)
    )
    return Report(repo.answers.service, results, min_score)
