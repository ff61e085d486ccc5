"""What a readiness run produces: one result per check, a score and a verdict.

Scoring: ``score = floor(100 * passed / applicable)``, where ``applicable`` counts every check
whose status is not ``not_applicable`` (100 when nothing applies). A run passes when every
required check that applies passes and the score is at least the minimum asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.readiness.sources.repo import Repo


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


def evidence(path: str, line: int | None, what: str) -> str:
    """One evidence string: ``path:line what``, or ``path what`` for the file as a whole."""
    return f"{path}:{line} {what}" if line else f"{path} {what}"


@dataclass
class Findings:
    """What a check found: evidence for what holds, problems for what does not.

    A check passes when it records no problem. Problems come first in the evidence, so the
    first line a report shows for a failed check is the reason it failed.
    """

    good: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    not_applicable: str | None = None

    def ok(self, path: str, line: int | None, what: str) -> None:
        self.good.append(evidence(path, line, what))

    def bad(self, path: str, line: int | None, what: str, fix: str | None = None) -> None:
        self.problems.append(evidence(path, line, what))
        if fix and fix not in self.fixes:
            self.fixes.append(fix)

    def skip(self, path: str, why: str) -> None:
        """The check does not apply to this repository (``path`` says why)."""
        self.not_applicable = evidence(path, None, why)

    def extend(self, other: Findings) -> None:
        self.good.extend(other.good)
        self.problems.extend(other.problems)
        self.fixes.extend(f for f in other.fixes if f not in self.fixes)


CheckFunction = Callable[["Repo", Findings], None]


@dataclass(frozen=True)
class Check:
    """One readiness check: a stable id, the checklist item it verifies, and how to fix it."""

    id: str
    item: int
    title: str
    required: bool
    fix: str
    run: CheckFunction


@dataclass(frozen=True)
class Result:
    id: str
    title: str
    status: Status
    required: bool
    evidence: tuple[str, ...]
    fix: str

    @classmethod
    def of(cls, check: Check, findings: Findings) -> Result:
        if findings.not_applicable is not None and not findings.problems:
            status = Status.NOT_APPLICABLE
            found = (findings.not_applicable, *findings.good)
        elif findings.problems:
            status = Status.FAIL
            found = (*findings.problems, *findings.good)
        else:
            status = Status.PASS
            found = tuple(findings.good)
        fix = (" ".join(findings.fixes) or check.fix) if status is Status.FAIL else ""
        return cls(check.id, check.title, status, check.required, found, fix)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "status": self.status.value,
            "required": self.required,
            "evidence": list(self.evidence),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Report:
    """The results of one `paved readiness` run."""

    service: str
    results: tuple[Result, ...]
    min_score: int = 0

    @property
    def applicable(self) -> list[Result]:
        return [r for r in self.results if r.status is not Status.NOT_APPLICABLE]

    @property
    def score(self) -> int:
        applicable = self.applicable
        if not applicable:
            return 100
        passed = sum(1 for r in applicable if r.status is Status.PASS)
        return 100 * passed // len(applicable)

    @property
    def required_failures(self) -> list[Result]:
        return [r for r in self.results if r.required and r.status is Status.FAIL]

    @property
    def passed(self) -> bool:
        return not self.required_failures and self.score >= self.min_score

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for r in self.results if r.status is s) for s in Status}

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "score": self.score,
            "passed": self.passed,
            "checks": [r.to_dict() for r in self.results],
        }


class Registry:
    """The checks, by id, in the order of the production readiness checklist."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(
        self, id: str, item: int, title: str, required: bool, fix: str
    ) -> Callable[[CheckFunction], CheckFunction]:
        def register(function: CheckFunction) -> CheckFunction:
            if id in self._checks:
                raise ValueError(f"readiness check {id!r} registered twice")
            self._checks[id] = Check(id, item, title, required, fix, function)
            return function

        return register

    def _ordered(self) -> list[Check]:
        # By checklist item; checks of one item in the order they were registered.
        return sorted(self._checks.values(), key=lambda check: check.item)

    def ids(self) -> list[str]:
        return [check.id for check in self._ordered()]

    def __iter__(self) -> Iterator[Check]:
        return iter(self._ordered())

    def __len__(self) -> int:
        return len(self._checks)


# Every readiness check, registered by the modules of generator.readiness.checks.
CHECKS = Registry()
