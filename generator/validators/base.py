"""Shared shapes of the validators: outcome, context, registry."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    """The result of one validator on one repository."""

    validator: str
    status: Status
    summary: str
    details: str = ""

    @classmethod
    def passed(cls, validator: str, summary: str) -> Outcome:
        return cls(validator, Status.PASSED, summary)

    @classmethod
    def failed(cls, validator: str, summary: str, details: str = "") -> Outcome:
        return cls(validator, Status.FAILED, summary, details)

    @classmethod
    def skipped(cls, validator: str, why: str) -> Outcome:
        return cls(validator, Status.SKIPPED, why)

    @classmethod
    def from_findings(cls, validator: str, summary: str, findings: list[str]) -> Outcome:
        """Passed when there are no findings, else failed with them as the details."""
        if findings:
            return cls.failed(validator, summary, "\n".join(findings))
        return cls.passed(validator, summary)


@dataclass
class Context:
    """What the validators of one run share: the repository and a scratch copy of it.

    Tools that write (``terraform init`` creates ``.terraform`` and a lock file) run on the
    scratch copy, so validating never changes the repository being validated.
    """

    repo: Path
    # Where validators keep results keyed by a digest of every input (None: keep none), so
    # that the same input is checked once (generator/cache.py).
    results: Path | None = None
    # Results several validators need (rendered charts, say), computed once per run.
    cache: dict[str, Any] = field(default_factory=dict, init=False)
    _scratch: Path | None = field(default=None, init=False)
    _tempdir: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    @property
    def scratch(self) -> Path:
        """A private copy of the repository (without VCS and Terraform working dirs)."""
        if self._scratch is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="paved-validate-")
            target = Path(self._tempdir.name) / "repo"
            shutil.copytree(
                self.repo,
                target,
                ignore=shutil.ignore_patterns(".git", ".terraform", "terraform.tfstate*"),
                symlinks=True,
            )
            self._scratch = target
        return self._scratch

    def close(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
            self._scratch = None


class Validator(Protocol):
    """One check of a rendered repository with one real tool."""

    name: str
    description: str

    def applies(self, repo: Path) -> bool:
        """Whether the repository has anything this validator checks."""
        ...

    def run(self, context: Context) -> Outcome:
        """Run the check; a missing tool is a skipped outcome that says why."""
        ...


class Registry:
    """Validators by name, in the order they run."""

    def __init__(self) -> None:
        self._validators: dict[str, Validator] = {}

    def register(self, validator: Validator) -> None:
        if validator.name in self._validators:
            raise ValueError(f"validator {validator.name!r} registered twice")
        self._validators[validator.name] = validator

    def names(self) -> list[str]:
        return list(self._validators)

    def get(self, name: str) -> Validator:
        return self._validators[name]

    def __iter__(self) -> Iterator[Validator]:
        return iter(self._validators.values())


REGISTRY = Registry()
