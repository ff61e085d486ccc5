"""`paved fleet status`: where every service repository of a fleet stands.

For each repository: its service, team, tier and ownership model (from its answers), the
template version it is at, the latest release of its template, how far behind it is,
its drift from a pristine render, and its readiness score. A repository that cannot be
assessed (unreadable answers, a version its template does not have, ...) is a row with an
``error``, never the end of the run.

Work is spread over ``jobs`` workers: tags are listed once per template source, pristine
renders happen once per render key in a pool of processes (Copier changes the working
directory, so it must not share a process with other threads), and the comparisons run in
threads as soon as their render is there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import PavedError
from generator.fleet.drift import RenderKey, cache_root, cached_render, drift, ensure_render
from generator.fleet.repos import ANSWERS_FILE, ServiceRepo, find_repos, read_repo
from generator.fleet.versions import (
    behind,
    latest_release,
    list_tags,
    parse_version,
    resolve_source,
)

Progress = Callable[[str], None]


@dataclass
class RepoStatus:
    """One row of the fleet view. ``None`` means unknown (or, for ``readiness``, not run)."""

    path: str
    service: str | None = None
    team: str | None = None
    tier: int | None = None
    ownership_model: str | None = None
    repository: str | None = None
    template: str | None = None
    version: str | None = None
    latest: str | None = None
    behind: str | None = None
    drift: list[str] | None = None
    readiness: int | None = None
    error: str | None = None

    def fail(self, message: str) -> None:
        """Mark the row broken: what it says about the repository's state is unknown."""
        self.error = message
        self.behind = None
        self.drift = None
        self.readiness = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Item:
    """A repository on its way through the run."""

    status: RepoStatus
    repo: ServiceRepo | None = None
    key: RenderKey | None = None
    absolute: Path = field(default_factory=Path)


def readiness_score(repo: Path) -> int | None:
    """The `paved readiness` score of ``repo``; None when it cannot be assessed (the
    repository breaks the answers contract or a file it reads does not parse)."""
    from generator.readiness import readiness

    try:
        return readiness(repo).score
    except PavedError:
        return None


def fleet_status(
    paths: Sequence[Path],
    template: str | None = None,
    *,
    with_drift: bool = True,
    with_readiness: bool = True,
    jobs: int | None = None,
    cache: Path | None = None,
    progress: Progress = lambda _: None,
) -> list[RepoStatus]:
    """The status of every service repository under ``paths``, in path order.

    ``template`` (a path or git URL; a relative path is taken from the working directory)
    replaces each repository's own ``_src_path``, which is taken relative to its repository.
    """
    started = time.monotonic()
    workers = max(1, jobs or os.cpu_count() or 1)
    found = find_repos(paths)
    if not found:
        where = ", ".join(str(path) for path in paths)
        raise PavedError(f"no service repository (a folder with {ANSWERS_FILE}) under {where}")
    progress(f"found {len(found)} service repositories")
    items = [_read(path, template) for path in found]
    _add_versions(items, workers, progress)
    live = [item for item in items if item.status.error is None]
    if with_drift:
        _add_drift(live, workers, cache or cache_root(), with_readiness, progress)
    elif with_readiness:
        _run_checks(live, workers, progress)
    progress(f"checked {len(items)} repositories in {time.monotonic() - started:.1f}s")
    return [item.status for item in items]


def _read(path: Path, template: str | None) -> _Item:
    item = _Item(RepoStatus(path=str(path)), absolute=path.resolve())
    try:
        repo = read_repo(path)
    except PavedError as error:
        item.status.fail(str(error))
        return item
    item.repo = repo
    status = item.status
    status.service = repo.answer("service_name")
    status.team = repo.answer("team")
    status.tier = repo.tier
    status.ownership_model = repo.answer("ownership_model")
    status.repository = repo.answer("repository")
    status.version = repo.commit
    if template is not None:
        status.template = resolve_source(template, Path.cwd())
    elif repo.source is not None:
        status.template = resolve_source(repo.source, item.absolute)
    else:
        status.fail(f"{ANSWERS_FILE} has no _src_path: pass --template")
        return item
    if status.version is None:
        status.fail(f"{ANSWERS_FILE} has no _commit: the template it came from was not in git")
        return item
    item.key = RenderKey(status.template, status.version, repo.data)
    return item


def _add_versions(items: list[_Item], workers: int, progress: Progress) -> None:
    """Latest release and how far behind, listing each template source's tags once."""
    sources = sorted(
        {
            item.status.template
            for item in items
            if item.status.error is None and item.status.template
        }
    )
    tags: dict[str, list[str] | PavedError] = {}
    with ThreadPoolExecutor(max_workers=min(workers, len(sources) or 1)) as pool:
        futures = {pool.submit(list_tags, source): source for source in sources}
        for future in as_completed(futures):
            source = futures[future]
            try:
                found = future.result()
            except PavedError as error:
                tags[source] = error
                progress(str(error))
                continue
            tags[source] = found
            progress(f"template {source}: latest release {latest_release(found) or '(none)'}")
    for item in items:
        status = item.status
        if status.error is not None or status.template is None or status.version is None:
            continue
        known = tags[status.template]
        if isinstance(known, PavedError):
            status.fail(str(known))
            continue
        status.latest = latest_release(known)
        version = parse_version(status.version)
        if version is None:
            continue  # a bare commit: renders, but is no release to compare
        if version.tag not in known:
            status.fail(f"template version {status.version} does not exist in {status.template}")
            continue
        if status.latest is not None:
            status.behind = behind(version, status.latest).value


def _add_drift(
    items: list[_Item], workers: int, cache: Path, with_readiness: bool, progress: Progress
) -> None:
    """Render each key once (processes), then compare every repository to its render."""
    groups: dict[RenderKey, list[_Item]] = {}
    for item in items:
        if item.key is not None:
            groups.setdefault(item.key, []).append(item)
    ready = {key: tree for key in groups if (tree := cached_render(key, cache)) is not None}
    missing = [key for key in groups if key not in ready]
    progress(
        f"{len(groups)} pristine renders: {len(ready)} cached, {len(missing)} to render"
        + (f" in {_plural(min(workers, len(missing)), 'process', 'processes')}" if missing else "")
    )
    with ThreadPoolExecutor(max_workers=workers) as checks:
        pending: list[Future[None]] = []
        for key, tree in ready.items():
            pending.extend(
                checks.submit(_check, item, tree, with_readiness) for item in groups[key]
            )
        if missing:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(min(workers, len(missing)), mp_context=context) as renders:
                futures = {renders.submit(ensure_render, key, cache): key for key in missing}
                for done, future in enumerate(as_completed(futures), start=1):
                    key = futures[future]
                    try:
                        tree = future.result()
                    except PavedError as error:
                        for item in groups[key]:
                            item.status.fail(str(error))
                        progress(f"render {done}/{len(missing)}: {key.version}: failed")
                        continue
                    progress(f"render {done}/{len(missing)}: {key.version} of {key.source}")
                    pending.extend(
                        checks.submit(_check, item, tree, with_readiness) for item in groups[key]
                    )
        _wait(pending, progress)


def _run_checks(items: list[_Item], workers: int, progress: Progress) -> None:
    """Readiness alone, without drift."""
    with ThreadPoolExecutor(max_workers=workers) as checks:
        pending = [checks.submit(_check, item, None, True) for item in items]
        _wait(pending, progress)


def _wait(pending: list[Future[None]], progress: Progress) -> None:
    total = len(pending)
    step = max(1, total // 10)
    for done, future in enumerate(as_completed(pending), start=1):
        future.result()
        if done % step == 0 or done == total:
            progress(f"compared {done}/{total} repositories")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _check(item: _Item, pristine: Path | None, with_readiness: bool) -> None:
    if pristine is not None:
        try:
            item.status.drift = drift(item.absolute, pristine)
        except OSError as error:
            item.status.fail(f"cannot compare with the template: {error}")
            return
    if with_readiness:
        item.status.readiness = readiness_score(item.absolute)


# --- output ---------------------------------------------------------------------------------

COLUMNS = (
    ("PATH", "path"),
    ("SERVICE", "service"),
    ("TEAM", "team"),
    ("TIER", "tier"),
    ("OWNERSHIP", "ownership_model"),
    ("VERSION", "version"),
    ("LATEST", "latest"),
    ("BEHIND", "behind"),
    ("DRIFT", "drift"),
    ("READINESS", "readiness"),
)


def to_json(statuses: Sequence[RepoStatus]) -> str:
    return json.dumps([status.to_dict() for status in statuses], indent=2)


def to_table(statuses: Sequence[RepoStatus]) -> str:
    """Aligned columns, one row per repository; DRIFT counts files; errors listed below."""
    rows = [[title for title, _ in COLUMNS]]
    for status in statuses:
        rows.append([_cell(status, name) for _, name in COLUMNS])
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append(_summary(statuses))
    lines.extend(f"  {status.path}: {status.error}" for status in statuses if status.error)
    return "\n".join(lines)


def _cell(status: RepoStatus, name: str) -> str:
    if name == "behind" and status.error is not None:
        return "error"
    value = getattr(status, name)
    if name == "drift" and value is not None:
        return str(len(value))
    return "-" if value is None else str(value)


def _summary(statuses: Sequence[RepoStatus]) -> str:
    levels = ("major", "minor", "patch")
    counts = {level: sum(1 for s in statuses if s.behind == level) for level in levels}
    late = sum(counts.values())
    detail = ", ".join(f"{counts[level]} {level}" for level in levels if counts[level])
    drifting = sum(1 for s in statuses if s.drift)
    broken = sum(1 for s in statuses if s.error)
    parts = [
        f"{len(statuses)} repositories",
        f"{late} behind" + (f" ({detail})" if detail else ""),
        f"{drifting} drifting",
        f"{broken} with errors" + (":" if broken else ""),
    ]
    return ", ".join(parts)
