"""`paved template test`: render, validate and update-test a template before a release.

Three stages, each over the template's working tree (:mod:`.workspace`):

- **examples**: every answers file of the examples folder is rendered as a team renders it
  (``copier copy --trust --defaults``) and the result goes through every validator;
- **sweep** (``--sweep N --seed S``): N answer combinations drawn from copier.yml
  (:mod:`.sweep`), each rendered and checked with the fast validators (all but those that
  initialise Terraform or run checkov);
- **update** (``--from REF``, default the latest release): each example is copied at REF
  into a git repository, the team's edits are made and committed (:mod:`.edits`), and the
  repository is updated to the working tree with ``paved upgrade``; every edit must
  survive, every conflict is listed with its file and line, and the updated repository goes
  through every validator.

The exit code: 0 when everything holds, 1 when a render, an update or a validation failed or
an edit was lost, 3 when the only findings are conflicts a person must resolve.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from generator import changelog
from generator.answers import load_answers, parse_answers
from generator.errors import PavedError
from generator.git import git
from generator.new import copy_template
from generator.template_check.edits import EditState, check_edits, make_edits
from generator.template_check.sweep import draw
from generator.template_check.workspace import GIT_IDENTITY, Workspace, workspace
from generator.template_source import parse_version
from generator.upgrade import CONFLICT_START, upgrade
from generator.validate import Report, select, validate
from generator.validators import REGISTRY, Status

Progress = Callable[[str], None]

# What the sweep leaves out: the validators that initialise Terraform or run checkov, which
# cost tens of seconds a repository; what a drawn combination changes, the others read.
SLOW_VALIDATORS = ("terraform-validate", "terraform-test", "checkov")


class FindingKind(StrEnum):
    RENDER_FAILED = "render-failed"
    VALIDATION_FAILED = "validation-failed"
    UPDATE_FAILED = "update-failed"
    EDIT_LOST = "edit-lost"
    EDITED_FILE_DELETED = "edited-file-deleted"
    CONFLICT = "conflict"
    REJECTED = "rejected-hunks"


# Findings that need a person to merge, not a fix of the template: exit code 3 alone.
CONFLICTS = frozenset({FindingKind.CONFLICT, FindingKind.REJECTED})


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    subject: str  # "payments-api", "sweep-3", "payments-api from v0.1.0"
    detail: str
    path: str | None = None
    line: int | None = None
    # A conflict in a file that the upgrade notes of a version crossed name: the teams are
    # told to expect it (`paved upgrade` prints those notes), so it does not fail the check.
    announced: bool = False

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "subject": self.subject,
            "path": self.path,
            "line": self.line,
            "detail": self.detail,
            "announced": self.announced,
        }


@dataclass(frozen=True)
class Row:
    """One thing checked: an example, a drawn combination or an example's update."""

    stage: str  # "examples", "sweep", "update"
    subject: str
    summary: str
    findings: tuple[Finding, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if any(f.kind not in CONFLICTS for f in self.findings):
            return "failed"
        if any(not f.announced for f in self.findings):
            return "conflicts"
        return "announced" if self.findings else "ok"


@dataclass(frozen=True)
class TemplateReport:
    template: Path
    head: str
    changed: int
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        return [finding for row in self.rows for finding in row.findings]

    @property
    def exit_code(self) -> int:
        findings = self.findings
        if any(f.kind not in CONFLICTS for f in findings):
            return 1
        return 3 if any(not f.announced for f in findings) else 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "template": str(self.template),
                "working_tree": {"commit": self.head, "changed_files": self.changed},
                "exit_code": self.exit_code,
                "rows": [
                    {
                        "stage": row.stage,
                        "subject": row.subject,
                        "status": row.status,
                        "summary": row.summary,
                        **row.facts,
                    }
                    for row in self.rows
                ],
                "findings": [finding.to_dict() for finding in self.findings],
                "notes": list(self.notes),
            },
            indent=2,
        )

    def to_text(self) -> str:
        changes = f" with {self.changed} uncommitted change(s)" if self.changed else ""
        lines = [f"{self.template.resolve()}: the working tree{changes}"]
        stages: dict[str, list[Row]] = {}
        for row in self.rows:
            stages.setdefault(row.stage, []).append(row)
        width = max((len(row.subject) for row in self.rows), default=0)
        for stage, rows in stages.items():
            lines.append("")
            lines.append(_STAGE_TITLES.get(stage, stage))
            lines.extend(f"  {r.subject:<{width}}  {r.status:<9}  {r.summary}" for r in rows)
        lines.extend(["", *self.notes] if self.notes else [])
        findings = self.findings
        if findings:
            lines.append("")
            lines.append(f"Findings ({len(findings)})")
            for finding in findings:
                where = f" {finding.where}" if finding.where else ""
                told = " (announced in the upgrade notes)" if finding.announced else ""
                lines.append(
                    f"  {finding.kind.value}  {finding.subject}:{where} {finding.detail}{told}"
                )
        lines.append("")
        verdict = {0: "OK", 1: "FAILED", 3: "CONFLICTS (not in the upgrade notes)"}[self.exit_code]
        lines.append(f"{verdict}: {len(self.rows)} checked, {len(findings)} finding(s)")
        return "\n".join(lines)


_STAGE_TITLES = {
    "examples": "Examples: rendered from the working tree and validated",
    "sweep": "Sweep: answers drawn from copier.yml, rendered, the fast validators",
    "update": "Update: copied at the release, edited as a team does, updated, validated",
}


def template_test(
    template: Path,
    examples: Path | None = None,
    sweep: int = 0,
    seed: int = 0,
    from_refs: Sequence[str] | None = None,
    jobs: int | None = None,
    require_all: bool = False,
    only: Sequence[str] | None = None,
    progress: Progress = lambda _: None,
) -> TemplateReport:
    """Check ``template``'s working tree; ``from_refs`` None means the latest release (when
    there is one), an empty sequence no update stage. ``only`` narrows the validators of the
    examples and the updates (as `paved validate --only`); the sweep's are the fast ones
    among them."""
    if sweep < 0:
        raise PavedError(f"--sweep {sweep}: the rule is a whole number >= 0")
    folder = examples or template / "examples" / "answers"
    answers_files = sorted(folder.glob("*.yml")) if folder.is_dir() else []
    if not answers_files:
        raise PavedError(f"{folder}: no answers files (*.yml); the rule is one per example")
    # Read once; a broken answers file stops the run before anything is rendered.
    examples_answers = {path: load_answers(path) for path in answers_files}
    workers = jobs or os.cpu_count() or 1
    chosen = [v.name for v in select(only)]
    with workspace(template) as space:
        notes: list[str] = []
        refs = list(from_refs) if from_refs is not None else _default_refs(space, notes)
        for ref in refs:
            space.resolve(ref)
        fast = [name for name in chosen if name in fast_validators()]
        settings = _Settings(workers, require_all, chosen, fast, progress)
        rows = _examples(space, examples_answers, settings)
        if sweep:
            rows += _sweep(space, answers_files, sweep, seed, settings)
        for ref in refs:
            rows += _updates(space, examples_answers, ref, settings)
        return TemplateReport(template, space.head, space.changed, tuple(rows), tuple(notes))


def _default_refs(space: Workspace, notes: list[str]) -> list[str]:
    latest = space.latest_release()
    if latest is None:
        notes.append(
            "No release tag in the template: the update stage did not run (tag a release, or "
            "pass --from REF)."
        )
        return []
    return [latest]


@dataclass(frozen=True)
class _Settings:
    workers: int
    require_all: bool
    validators: list[str]
    fast_validators: list[str]  # those of ``validators`` that the sweep runs
    progress: Progress

    def validate(self, repo: Path, fast: bool = False) -> Report:
        names = self.fast_validators if fast else self.validators
        return validate(repo, only=names, jobs=self.workers, require_all=self.require_all)


# --- examples -----------------------------------------------------------------------------


def _examples(
    space: Workspace, examples: Mapping[Path, dict[str, Any]], settings: _Settings
) -> list[Row]:
    jobs = [
        _RenderJob(path.stem, str(space.clone), space.head, answers, space.root)
        for path, answers in examples.items()
    ]
    settings.progress(f"rendering {len(jobs)} example(s) from the working tree ...")
    rows = []
    for job, error in zip(jobs, _in_processes(_render, jobs, settings.workers), strict=True):
        if error is not None:
            rows.append(_failed_render("examples", job.name, error))
            continue
        settings.progress(f"validating {job.name} ...")
        report = settings.validate(job.destination)
        rows.append(_validated("examples", job.name, report))
    return rows


@dataclass(frozen=True)
class _RenderJob:
    name: str
    source: str
    ref: str
    answers: dict[str, Any]
    root: Path
    stage: str = "examples"

    @property
    def destination(self) -> Path:
        return self.root / self.stage / self.name


def _render(job: _RenderJob) -> str | None:
    """Render one job (in a worker process); the error's message, or None."""
    try:
        copy_template(job.source, job.destination, job.answers, job.ref)
    except PavedError as error:
        return str(error)
    return None


def _failed_render(stage: str, subject: str, error: str) -> Row:
    finding = Finding(FindingKind.RENDER_FAILED, subject, error)
    return Row(stage, subject, "render failed", (finding,))


def _validated(
    stage: str,
    subject: str,
    report: Report,
    before: str = "",
    after: str = "",
    findings: tuple[Finding, ...] = (),
    facts: Mapping[str, Any] | None = None,
) -> Row:
    """The row of a validated repository: the counts (with ``before`` and ``after`` them in
    the summary), ``findings`` of earlier steps and one finding per failed validator."""
    counts = report.counts()
    summary = f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    summary = f"{before}{summary}{after}"
    failed = tuple(
        Finding(
            FindingKind.VALIDATION_FAILED,
            subject,
            f"{outcome.validator}: {outcome.summary}",
        )
        for outcome in report.outcomes
        if outcome.status is Status.FAILED
        or (report.require_all and outcome.status is Status.SKIPPED)
    )
    return Row(stage, subject, summary, findings + failed, dict(facts or {}))


# --- sweep --------------------------------------------------------------------------------


def fast_validators() -> list[str]:
    """The validators the sweep runs: all but those that initialise Terraform or run checkov."""
    return [
        name
        for name in REGISTRY.names()
        if not any(name == slow or name.startswith(f"{slow}-") for slow in SLOW_VALIDATORS)
    ]


def _sweep(
    space: Workspace, answers_files: Sequence[Path], count: int, seed: int, settings: _Settings
) -> list[Row]:
    draws = draw(space.clone, answers_files, count, seed)
    jobs = [
        _RenderJob(d.name, str(space.clone), space.head, d.answers, space.root, "sweep")
        for d in draws
    ]
    settings.progress(f"rendering {len(jobs)} drawn combination(s) (seed {seed}) ...")
    rows = []
    for item, job, error in zip(
        draws, jobs, _in_processes(_render, jobs, settings.workers), strict=True
    ):
        facts = {"base": item.base, "varied": item.varied}
        subject = item.name
        if error is not None:
            row = _failed_render("sweep", subject, error)
            rows.append(
                Row(row.stage, subject, _varied(item.base, item.varied), row.findings, facts)
            )
            continue
        report = settings.validate(job.destination, fast=True)
        varied = _varied(item.base, item.varied)
        rows.append(_validated("sweep", subject, report, after=f"; {varied}", facts=facts))
    return rows


def _varied(base: str, varied: dict[str, Any]) -> str:
    """What a draw varied, one line: a long string as its start and length (the JSON report
    has every value whole)."""

    def show(value: Any) -> str:
        if isinstance(value, str) and len(value) > 24:
            return f'{json.dumps(value[:16])[:-1]}..." ({len(value)} chars)'
        return json.dumps(value)

    shown = ", ".join(f"{key}={show(value)}" for key, value in varied.items())
    return f"from {base}: {shown}" if shown else f"from {base}"


# --- update -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UpdateJob:
    subject: str  # "payments-api from v0.1.0"
    source: str
    ref: str
    answers: dict[str, Any]
    to: str
    repo: Path
    # The example's answers to questions the release did not ask, given to the update as a
    # team gives them (`copier update --data`).
    new_answers: dict[str, Any]


@dataclass(frozen=True)
class _UpdateOutcome:
    findings: tuple[Finding, ...]
    facts: dict[str, Any]
    validate: bool  # the update finished: validate the result


def _updates(
    space: Workspace, examples: Mapping[Path, dict[str, Any]], ref: str, settings: _Settings
) -> list[Row]:
    commit = space.resolve(ref)
    announced = _announced_paths(space, ref)
    jobs = []
    for path, current in examples.items():
        at_ref = space.repo.read(commit, f"examples/answers/{path.name}")
        # The example as the release had it: its questions then.
        answers = current if at_ref is None else parse_answers(at_ref).answers
        new = {key: value for key, value in current.items() if key not in answers}
        repo = space.root / "update" / ref.replace("/", "_") / path.stem
        subject = f"{path.stem} from {ref}"
        jobs.append(_UpdateJob(subject, str(space.clone), ref, answers, space.head, repo, new))
    settings.progress(f"updating {len(jobs)} example(s) from {ref} to the working tree ...")
    rows = []
    outcomes = _in_processes(_update_path, jobs, settings.workers)
    for job, outcome in zip(jobs, outcomes, strict=True):
        findings = tuple(
            replace(f, announced=f.kind in CONFLICTS and f.path in announced)
            for f in outcome.findings
        )
        summary = _update_summary(outcome.facts, findings)
        if not outcome.validate:
            rows.append(Row("update", job.subject, summary, findings, outcome.facts))
            continue
        settings.progress(f"validating {job.subject} ...")
        report = settings.validate(job.repo)
        resolved = outcome.facts.get("validated_with", "as updated") != "as updated"
        after = " (conflicts taken as the template's)" if resolved else ""
        rows.append(
            _validated(
                "update",
                job.subject,
                report,
                before=f"{summary}; ",
                after=after,
                findings=findings,
                facts=outcome.facts,
            )
        )
    return rows


def _announced_paths(space: Workspace, ref: str) -> set[str]:
    """The repository files that the upgrade notes of the versions between ``ref`` and the
    working tree name in backticks (``Unreleased`` included: the working tree is past the
    latest release)."""
    path = space.clone / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    crossed = changelog.notes_between(
        changelog.parse(text), parse_version(ref), None, include_unreleased=True
    )
    return {
        quoted
        for release in crossed
        for quoted in re.findall(r"`([^`\s]+)`", release.upgrade_notes)
    }


def _update_summary(facts: dict[str, Any], findings: Sequence[Finding]) -> str:
    edits = facts.get("edits", [])
    kept = sum(1 for e in edits if e["state"] == EditState.KEPT.value)
    conflicts = sum(1 for f in findings if f.kind in CONFLICTS)
    return f"{kept}/{len(edits)} edit(s) kept, {conflicts} conflict(s)"


def _update_path(job: _UpdateJob) -> _UpdateOutcome:
    """Copy at the release, make the team's edits, update (in a worker process)."""
    subject = job.subject
    try:
        copy_template(job.source, job.repo, job.answers, job.ref)
    except PavedError as error:
        detail = f"copy at {job.ref} failed: {error}"
        return _UpdateOutcome((Finding(FindingKind.RENDER_FAILED, subject, detail),), {}, False)
    git(job.repo, "init", "--quiet")
    git(job.repo, "add", "--all")
    git(job.repo, *GIT_IDENTITY, "commit", "--quiet", "-m", f"copied at {job.ref}")
    edits = make_edits(job.repo)
    git(job.repo, "add", "--all")
    git(job.repo, *GIT_IDENTITY, "commit", "--quiet", "-m", "team edits")
    try:
        report = upgrade(job.repo, to=job.to, data=job.new_answers)
    except PavedError as error:
        finding = Finding(FindingKind.UPDATE_FAILED, subject, str(error))
        return _UpdateOutcome((finding,), {"edits": []}, False)
    findings: list[Finding] = []
    for conflict in report.conflicts:
        if conflict.rejected:
            findings.append(
                Finding(
                    FindingKind.REJECTED,
                    subject,
                    f"the template's change could not be applied: {conflict.path}.rej",
                    conflict.path,
                )
            )
        # A conflict without markers (an unmerged file) is reported once, without a line.
        lines = conflict.lines or (() if conflict.rejected else (None,))
        for line in lines:
            findings.append(
                Finding(
                    FindingKind.CONFLICT,
                    subject,
                    "the team's lines and the template's differ here",
                    conflict.path,
                    line,
                )
            )
    results = check_edits(job.repo, edits)
    for result in results:
        if result.state is EditState.LOST:
            findings.append(
                Finding(
                    FindingKind.EDIT_LOST,
                    subject,
                    f"{result.edit.kind.value}: {result.detail}",
                    result.edit.path,
                )
            )
        elif result.state is EditState.FILE_DELETED:
            findings.append(
                Finding(
                    FindingKind.EDITED_FILE_DELETED,
                    subject,
                    f"{result.edit.kind.value}: {result.detail}",
                    result.edit.path,
                )
            )
    facts = {
        "answered": sorted(job.new_answers),
        "from": report.from_version,
        "to": report.to_version,
        "edits": [
            {
                "kind": r.edit.kind.value,
                "path": r.edit.path,
                "state": r.state.value,
                "detail": r.detail,
            }
            for r in results
        ],
        "files": {
            "added": len(report.added),
            "changed": len(report.changed),
            "removed": len(report.removed),
        },
    }
    for conflict in report.conflicts:
        if not conflict.rejected:
            take_the_templates_side(job.repo / conflict.path)
    facts["validated_with"] = (
        "each conflict resolved to the template's side" if report.conflicts else "as updated"
    )
    return _UpdateOutcome(tuple(findings), facts, True)


def take_the_templates_side(path: Path) -> None:
    """Resolve every conflict block of ``path`` to the template's side (what follows
    ``=======``), for the validators: the team's side is the team's to merge, the template's
    is what a fresh render validates with."""
    kept: list[str] = []
    side = None  # None outside a block, "team" or "base" before =======, "template" after
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if side is None and line.startswith(CONFLICT_START):
            side = "team"
        elif side in {"team", "base"} and line.startswith("|||||||"):
            side = "base"
        elif side in {"team", "base"} and line.rstrip("\r\n") == "=======":
            side = "template"
        elif side == "template" and line.startswith(">>>>>>> "):
            side = None
        elif side in {None, "template"}:
            kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")


def _in_processes(function: Callable[[Any], Any], jobs: Sequence[Any], workers: int) -> list[Any]:
    """``function`` over ``jobs`` in worker processes (Copier changes the working directory
    and is not safe in threads); results in the jobs' order."""
    if len(jobs) <= 1 or workers <= 1:
        return [function(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(function, jobs))
