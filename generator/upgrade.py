"""`paved upgrade`: bring a generated repository to a newer template version with Copier.

Preflight first (a git repository with a clean tree, an answers file that names its template
and version, a template that is reachable and has the target ref), then ``copier update``
through Copier's API, with conflicts left inline as git-style markers. The report says what
changed, what conflicts need a person (file and line), which answers are new or renamed, and
the upgrade notes of every version crossed. A dry run updates a scratch clone instead and
shows the diff; the repository, its index and its working tree are left alone.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import copier
from copier.errors import CopierError
from packaging.version import Version
from plumbum import ProcessExecutionError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generator import changelog
from generator.answers import Answers, read_answers
from generator.errors import AnswersError, PavedError
from generator.git import GitError, git, has_commit, status, toplevel
from generator.template_source import (
    TemplateRepo,
    git_url,
    is_release,
    latest_release,
    parse_version,
    release_tags,
)

Progress = Callable[[str], None]

BACK_OUT = "git reset --hard && git clean -fd"
# Copier's labels for the two sides of a conflict (`git merge-file -L ...`).
CONFLICT_START = "<<<<<<< before updating"
_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


class UpgradeError(PavedError):
    """The update cannot start, or stopped; the message says why and how to recover."""

    exit_code = 2


@dataclass(frozen=True)
class Conflict:
    """A file with changes of both the team and the template on the same lines."""

    path: str
    lines: tuple[int, ...]  # where each `<<<<<<< before updating` block starts (1-based)
    rejected: bool = False  # Copier left a .rej file instead of inline markers


@dataclass(frozen=True)
class Rename:
    """An answer renamed by a migration of the template."""

    old: str
    new: str


@dataclass(frozen=True)
class UpgradeReport:
    """What `paved upgrade` did, or would do in a dry run."""

    repo: Path
    template: str
    from_version: str
    to_version: str
    dry_run: bool
    up_to_date: bool = False
    notes: tuple[changelog.Release, ...] = ()
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    new_answers: Mapping[str, Any] = field(default_factory=dict)
    removed_answers: tuple[str, ...] = ()
    renamed_answers: tuple[Rename, ...] = ()
    diff: str | None = None

    @property
    def status(self) -> str:
        if self.up_to_date:
            return "up-to-date"
        if self.conflicts:
            return "would-conflict" if self.dry_run else "conflicts"
        return "would-update" if self.dry_run else "updated"

    @property
    def exit_code(self) -> int:
        """0 when clean, 3 when conflicts need a person (in a dry run: would need one)."""
        return 3 if self.conflicts else 0

    def back_out(self) -> str | None:
        """The command that restores the repository as it was before the update."""
        if self.dry_run or self.up_to_date:
            return None
        return back_out_command(self.repo)

    def to_json(self) -> str:
        return json.dumps(
            {
                "repo": str(self.repo),
                "template": self.template,
                "from": self.from_version,
                "to": self.to_version,
                "dry_run": self.dry_run,
                "status": self.status,
                "exit_code": self.exit_code,
                "upgrade_notes": [
                    {"version": note.name, "notes": note.upgrade_notes} for note in self.notes
                ],
                "answers": {
                    "new": dict(self.new_answers),
                    "removed": list(self.removed_answers),
                    "renamed": [{"from": r.old, "to": r.new} for r in self.renamed_answers],
                },
                "files": {
                    "added": list(self.added),
                    "changed": list(self.changed),
                    "removed": list(self.removed),
                },
                "conflicts": [
                    {"path": c.path, "lines": list(c.lines), "rejected": c.rejected}
                    for c in self.conflicts
                ],
                "back_out": self.back_out(),
                "diff": self.diff,
            },
            indent=2,
        )

    def to_text(self) -> str:
        mode = " (dry run: nothing was changed)" if self.dry_run else ""
        where = self.repo.resolve()
        lines = [f"{where}: template {self.from_version} -> {self.to_version}{mode}"]
        if self.up_to_date:
            lines.append("Up to date: nothing to do.")
            return "\n".join(lines)
        lines.append("")
        lines.append("Upgrade notes")
        if not self.notes:
            lines.append("  (none between these versions)")
        for note in self.notes:
            lines.append(f"  {note.name}")
            body = note.upgrade_notes or "(no upgrade notes)"
            lines.extend(f"    {line}" if line else "" for line in body.splitlines())
        if self.renamed_answers or self.new_answers or self.removed_answers:
            lines.append("")
            lines.append("Answers")
            lines.extend(f"  renamed  {r.old} -> {r.new}" for r in self.renamed_answers)
            lines.extend(
                f"  new      {key} = {json.dumps(value)} (the default; change it with "
                f"`copier update --trust --defaults --data {key}=...`)"
                for key, value in self.new_answers.items()
            )
            lines.extend(f"  dropped  {key} (no longer asked)" for key in self.removed_answers)
        lines.append("")
        verb = "would change" if self.dry_run else "changed"
        lines.append(
            f"Files {verb}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed"
        )
        for label, paths in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
        ):
            lines.extend(f"  {label:<8} {path}" for path in paths)
        if self.conflicts:
            lines.append("")
            need = "would need" if self.dry_run else "need"
            lines.append(f"Conflicts: {len(self.conflicts)} file(s) {need} a person")
            for conflict in self.conflicts:
                numbers = ", ".join(str(n) for n in conflict.lines)
                detail = f"lines {numbers}" if numbers else "no markers"
                if conflict.rejected:
                    detail = f"rejected changes in {conflict.path}.rej"
                lines.append(f"  {conflict.path}: {detail}")
            if not self.dry_run:
                lines.append(
                    "Resolve each `<<<<<<< before updating` ... `>>>>>>> after updating` block "
                    "(yours above =======, the template's below), `git add` the file, then "
                    "review and commit."
                )
        back_out = self.back_out()
        if back_out:
            lines.append(f"To back out of the whole update: {back_out}")
        if self.diff:
            lines.append("")
            lines.append(self.diff.rstrip("\n"))
        return "\n".join(lines)


def back_out_command(repo: Path) -> str:
    """How to restore ``repo`` (clean before the update) to its last commit."""
    if repo.resolve() == Path.cwd().resolve():
        return BACK_OUT
    where = shlex.quote(str(repo))
    return f"git -C {where} reset --hard && git -C {where} clean -fd"


@dataclass(frozen=True)
class _Plan:
    repo: Path
    top: Path
    recorded: Answers
    src_path: str
    from_version: str
    to_ref: str
    to_version: str
    up_to_date: bool
    notes: tuple[changelog.Release, ...]
    renames: tuple[Rename, ...]
    data: Mapping[str, Any] = field(default_factory=dict)


def upgrade(
    path: Path,
    to: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    data: Mapping[str, Any] | None = None,
) -> UpgradeReport:
    """Update the generated repository at ``path`` to template ref ``to`` (default: the latest
    release), with ``data`` as the answers to questions the target asks that the repository
    has no answer to (`copier update --data`). Raises :class:`UpgradeError` (exit code 2)
    when it cannot start or stopped."""
    say = progress or (lambda _message: None)
    plan = replace(_preflight(path, to, say), data=dict(data or {}))
    report = UpgradeReport(
        repo=path,
        template=plan.src_path,
        from_version=plan.from_version,
        to_version=plan.to_version,
        dry_run=dry_run,
        up_to_date=plan.up_to_date,
        notes=plan.notes,
    )
    if plan.up_to_date:
        return report
    if dry_run:
        return _dry_run(plan, report, say)
    say(f"updating {plan.repo}: {plan.from_version} -> {plan.to_version} ...")
    _run_copier(plan, plan.repo, cleanup_hint=True)
    return _collect(plan, plan.repo, report)


def _preflight(path: Path, to: str | None, say: Progress) -> _Plan:
    if not path.is_dir():
        raise UpgradeError(f"{path}: no such directory")
    repo = path.resolve()
    top = toplevel(repo)
    if top is None:
        raise UpgradeError(
            f"{path}: not a git repository; copier update merges through git, so the "
            "generated repository must be one"
        )
    if not has_commit(top):
        raise UpgradeError(f"{path}: no commit yet; commit the generated files first")
    try:
        recorded = read_answers(repo)
    except AnswersError as error:
        raise UpgradeError(f"{path}: {error}") from error
    if not recorded.src_path:
        raise UpgradeError(f"{recorded.path}: no _src_path; it does not say which template")
    if not recorded.commit:
        raise UpgradeError(
            f"{recorded.path}: no _commit; the repository was rendered from a template "
            "outside git, so there is no version to update from"
        )
    dirty = status(top)
    if dirty:
        raise UpgradeError(
            f"{path}: {len(dirty)} uncommitted change(s) (first: {dirty[0][1]}); commit or "
            "stash them first, so the update can be reviewed and backed out on its own"
        )
    url = git_url(recorded.src_path, repo)
    say(f"reading template {recorded.src_path} ...")
    try:
        with TemplateRepo.clone(url) as template:
            return _plan(template, repo, top, recorded, recorded.src_path, recorded.commit, to)
    except GitError as error:
        raise UpgradeError(f"template {recorded.src_path}: not reachable: {error}") from error


def _plan(
    template: TemplateRepo,
    repo: Path,
    top: Path,
    recorded: Answers,
    src_path: str,
    commit: str,
    to: str | None,
) -> _Plan:
    tags = template.tags()
    to_ref = to or latest_release(tags) or "HEAD"
    target = template.resolve(to_ref)
    if target is None:
        known = ", ".join(reversed(release_tags(tags)[-5:])) or "none"
        raise UpgradeError(
            f"template {src_path}: no tag, branch or commit {to_ref!r} (latest tags: {known})"
        )
    to_version = template.describe(target)
    from_version, wanted = parse_version(commit), parse_version(to_version)
    if from_version is not None and wanted is not None and wanted < from_version:
        raise UpgradeError(
            f"{repo}: at template {commit}, newer than {to_version}; Copier does not downgrade"
        )
    if wanted is None:
        raise UpgradeError(
            f"template {src_path}: {to_ref!r} is not at or after a release tag, so "
            "it has no version for Copier to update to"
        )
    releases = changelog.parse(template.read(target, "CHANGELOG.md") or "")
    notes = changelog.notes_between(
        releases, from_version, wanted, include_unreleased=not is_release(to_version)
    )
    config = template.read(target, "copier.yml") or template.read(target, "copier.yaml")
    return _Plan(
        repo=repo,
        top=top,
        recorded=recorded,
        src_path=src_path,
        from_version=commit,
        to_ref=to_ref,
        to_version=to_version,
        up_to_date=template.resolve(commit) == target,
        notes=tuple(notes),
        renames=_renames(config or "", from_version, wanted),
    )


def _renames(config_text: str, after: Version | None, up_to: Version) -> tuple[Rename, ...]:
    """Answer renames the template's migrations make between two versions."""
    try:
        config = YAML(typ="safe", pure=True).load(config_text)
    except YAMLError:
        return ()
    migrations = config.get("_migrations", []) if isinstance(config, dict) else []
    renames = []
    for migration in migrations if isinstance(migrations, list) else []:
        if not isinstance(migration, dict) or not isinstance(migration.get("command"), list):
            continue
        version = parse_version(str(migration.get("version", "")))
        if version is None or (after is not None and version <= after) or version > up_to:
            continue
        command = [str(part) for part in migration["command"]]
        for index, part in enumerate(command):
            if part.endswith("rename_answer.py") and len(command) >= index + 4:
                renames.append(Rename(command[index + 2], command[index + 3]))
    return tuple(renames)


def _run_copier(plan: _Plan, destination: Path, cleanup_hint: bool) -> None:
    """``copier update`` of ``destination``, run from the repository as a team runs it (a
    relative template path in the answers file is relative to it)."""
    try:
        with contextlib.chdir(plan.repo):
            copier.run_update(
                destination,
                vcs_ref=plan.to_ref,
                data=dict(plan.data),
                defaults=True,
                overwrite=True,
                unsafe=True,
                conflict="inline",
                quiet=True,
            )
    except (CopierError, ValueError, OSError, ProcessExecutionError, GitError) as error:
        message = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        hint = ""
        if cleanup_hint and status(plan.top):
            hint = f"; it stopped halfway: to back out, {back_out_command(plan.repo)}"
        raise UpgradeError(f"copier update failed: {message}{hint}") from error
    except BaseException as error:
        if cleanup_hint and status(plan.top):
            error.add_note(
                f"paved upgrade stopped halfway; to back out: {back_out_command(plan.repo)}"
            )
        raise


def _dry_run(plan: _Plan, report: UpgradeReport, say: Progress) -> UpgradeReport:
    say(f"dry run: updating a scratch clone of {plan.repo} to {plan.to_version} ...")
    with tempfile.TemporaryDirectory(prefix="paved-upgrade-") as scratch:
        clone = Path(scratch) / "repo"
        git(Path(scratch), "clone", "--quiet", "--", str(plan.top), str(clone))
        work = clone / plan.repo.relative_to(plan.top)
        _run_copier(plan, work, cleanup_hint=False)
        collected = _collect(plan, work, report)
        git(work, "add", "--all", "--", ".")
        diff = git(work, "diff", "--cached", "--no-color", "--no-ext-diff", "HEAD", "--", ".")
    return replace(collected, diff=diff)


def _collect(plan: _Plan, work: Path, report: UpgradeReport) -> UpgradeReport:
    """Read what the update did in ``work`` (the repository or its scratch clone)."""
    top = toplevel(work) or work
    prefix = work.resolve().relative_to(top.resolve()).as_posix()
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    conflicted: dict[str, Conflict] = {}
    for code, top_path in status(work, "."):
        path = top_path[len(prefix) + 1 :] if prefix != "." else top_path
        if path.endswith(".rej") and code == "??":
            conflicted[path[:-4]] = Conflict(path[:-4], (), rejected=True)
            continue
        if code == "??" or ("A" in code and code not in _UNMERGED):
            added.append(path)
        elif "D" in code and code not in _UNMERGED:
            removed.append(path)
        else:
            changed.append(path)
        lines = _marker_lines(work / path)
        if lines or code in _UNMERGED:
            conflicted.setdefault(path, Conflict(path, lines))
    after = read_answers(work)
    before = plan.recorded.answers
    renamed = tuple(
        r for r in plan.renames if r.old in before and r.new in after.answers and r.old != r.new
    )
    renamed_new = {r.new for r in renamed}
    renamed_old = {r.old for r in renamed}
    return replace(
        report,
        to_version=after.commit or report.to_version,
        added=tuple(sorted(added)),
        changed=tuple(sorted(changed)),
        removed=tuple(sorted(removed)),
        conflicts=tuple(conflicted[p] for p in sorted(conflicted)),
        new_answers={
            key: value
            for key, value in after.answers.items()
            if key not in before and key not in renamed_new
        },
        removed_answers=tuple(
            key for key in before if key not in after.answers and key not in renamed_old
        ),
        renamed_answers=renamed,
    )


def _marker_lines(path: Path) -> tuple[int, ...]:
    """Line numbers (1-based) where a conflict block starts in ``path``."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return tuple(
                number
                for number, line in enumerate(handle, start=1)
                if line.startswith(CONFLICT_START)
            )
    except (IsADirectoryError, FileNotFoundError):
        return ()
