"""`paved fleet status`: where every service repository of a fleet stands.

For each repository: its service, team, tier and ownership model (from its answers), the
template version it is at, the latest release of its template, how far behind it is,
its drift from a pristine render, and its readiness score. A repository that cannot be
assessed (unreadable answers, a version its template does not have, ...) is a row with an
``error``, never the end of the run.

Work is spread over ``jobs`` workers: tags are listed once per template source; pristine
renders (once per render key) and readiness checks (once per repository whose files or
toolkit changed since its score was cached: generator/fleet/scores.py) run in one pool
of processes, and the comparisons with a render run in threads as soon as it is there.
Renders need processes because Copier changes the working directory; readiness, because
it is CPU-bound Python that threads would only take turns at, and because a process runs
one check at a time whatever its libraries share between threads (python-hcl2 does: see
generator/hcl.py). Every result is written by the main thread once its worker is done, so
the rows do not depend on the order in which workers finish.

Readiness is scored by the installed toolkit; each row says which version that is
(``toolkit``) and whether it is the one of the release the repository is at
(``toolkit_differs``): a repository's own CI scores it with the toolkit of its template
release (ci/readiness.sh), so a row whose toolkit differs may score differently there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.answers import ANSWERS_FILE
from generator.cache import cache_root
from generator.errors import PavedError
from generator.fleet.drift import RenderKey, cached_render, drift, ensure_render
from generator.fleet.repos import ServiceRepo, find_repos, read_repo
from generator.fleet.scores import cached_score, score_key, store_score
from generator.template_source import (
    TemplateRepo,
    behind,
    is_release,
    is_remote,
    latest_release,
    list_tags,
    parse_version,
    recorded_commit,
    recorded_tag,
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
    toolkit: str | None = None
    toolkit_differs: bool | None = None
    error: str | None = None

    def fail(self, message: str) -> None:
        """Mark the row broken: what it says about the repository's state is unknown."""
        self.error = message
        self.behind = None
        self.drift = None
        self.readiness = None
        self.toolkit = None
        self.toolkit_differs = None

    def scored(self, score: int | None, toolkit: str) -> None:
        """Record the readiness ``score`` that the toolkit at version ``toolkit`` gave."""
        if self.error is not None:
            return
        self.readiness = score
        self.toolkit = toolkit
        self.toolkit_differs = toolkit_differs(self.version, toolkit)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Item:
    """A repository on its way through the run."""

    status: RepoStatus
    repo: ServiceRepo | None = None
    key: RenderKey | None = None
    absolute: Path = field(default_factory=Path)


def toolkit_differs(version: str | None, toolkit: str) -> bool:
    """Whether the toolkit at release ``toolkit`` is other than the one of template
    ``version``, the toolkit the repository's own CI scores it with.

    A release tag serves the template and the toolkit of one commit, so template ``v1.2.0``
    comes with toolkit 1.2.0. Commits past a tag (``v1.2.0-3-gabc1234``) or a bare commit
    carry a toolkit that no release number names: always reported as differing.
    """
    if version is None or not is_release(version):
        return True
    return parse_version(version) != parse_version(toolkit)


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
    _assess(live, workers, cache or cache_root(), with_drift, with_readiness, progress)
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
    answers = repo.answers
    status.service = answers.text("service_name")
    status.team = answers.text("team")
    status.tier = answers.recorded_tier
    status.ownership_model = answers.text("ownership_model")
    status.repository = answers.text("repository")
    status.version = answers.commit
    if template is not None:
        status.template = resolve_source(template, Path.cwd())
    elif answers.src_path is not None:
        status.template = resolve_source(answers.src_path, item.absolute)
        if status.template == str(item.absolute):
            status.fail(
                f"{ANSWERS_FILE} has _src_path {answers.src_path!r}, which is this repository: the "
                "template was given as a path relative to where it was rendered; pass --template"
            )
            return item
    else:
        status.fail(f"{ANSWERS_FILE} has no _src_path: pass --template")
        return item
    if status.version is None:
        status.fail(f"{ANSWERS_FILE} has no _commit: the template it came from was not in git")
        return item
    item.key = RenderKey(status.template, status.version, answers.answers)
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
    present: dict[tuple[str, str], bool] = {}
    for item in items:
        status = item.status
        if status.error is not None or status.template is None or status.version is None:
            continue
        known = tags[status.template]
        if isinstance(known, PavedError):
            status.fail(str(known))
            continue
        status.latest = latest_release(known)
        commit = recorded_commit(status.version)
        if commit is not None and not is_remote(status.template):
            # A local template rendered with uncommitted changes records a commit Copier made
            # in a scratch clone: no render, update or toolkit install can find it.
            where = (status.template, commit)
            if where not in present:
                present[where] = TemplateRepo(Path(status.template)).resolve(commit) is not None
            if not present[where]:
                status.fail(
                    f"commit {commit} is not in the template {status.template}: "
                    "rendered from uncommitted changes?"
                )
                continue
        tag = recorded_tag(status.version)
        if tag is None:
            continue  # a bare commit: renders, but is no release to compare
        if tag not in known:
            status.fail(f"template version {status.version} does not exist in {status.template}")
            continue
        if status.latest is not None:
            status.behind = behind(status.version, status.latest).value


def _assess(
    items: list[_Item],
    workers: int,
    cache: Path,
    with_drift: bool,
    with_readiness: bool,
    progress: Progress,
) -> None:
    """Drift and readiness: renders and readiness checks in one pool of processes, renders
    first since comparisons wait on them; each comparison in a thread once its render is
    there. Scores are recorded after every worker is done, so that a row a comparison
    marked broken meanwhile keeps no score."""
    groups: dict[RenderKey, list[_Item]] = {}
    if with_drift:
        for item in items:
            if item.key is not None:
                groups.setdefault(item.key, []).append(item)
    ready = {key: tree for key in groups if (tree := cached_render(key, cache)) is not None}
    missing = [key for key in groups if key not in ready]
    scores: dict[int, int | None] = {}
    keys: dict[int, str] = {}
    scored = items if with_readiness else []
    for index, item in enumerate(scored):
        keys[index] = score_key(item.absolute, readiness_score)
        found, score = cached_score(cache, keys[index])
        if found:
            scores[index] = score
    to_score = [index for index in range(len(scored)) if index not in scores]
    if scored:
        progress(f"readiness: {len(scores)} cached, {len(to_score)} to score")
    processes = min(workers, len(missing) + len(to_score))
    if with_drift:
        progress(
            f"{len(groups)} pristine renders: {len(ready)} cached, {len(missing)} to render"
            + (f" in {_plural(processes, 'process', 'processes')}" if missing else "")
        )
    with ExitStack() as stack:
        checks = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        pending: list[Future[None]] = []
        for key, tree in ready.items():
            pending.extend(checks.submit(_compare, item, tree) for item in groups[key])
        if processes:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(ProcessPoolExecutor(processes, mp_context=context))
            renders = {pool.submit(ensure_render, key, cache): key for key in missing}
            # A function reaches a worker as its module and name, looked up when submitted:
            # a stand-in set on this module's readiness_score (the tests') is what runs.
            checking = {
                pool.submit(readiness_score, scored[index].absolute): index for index in to_score
            }
            rendered = 0
            submitted: list[Future[Any]] = [*renders, *checking]
            for future in as_completed(submitted):
                if future in checking:
                    index = checking[future]
                    scores[index] = future.result()
                    store_score(cache, keys[index], scores[index])
                    _count(len(scores), len(scored), "scored", progress)
                    continue
                key = renders[future]
                rendered += 1
                try:
                    tree = future.result()
                except PavedError as error:
                    for item in groups[key]:
                        item.status.fail(str(error))
                    progress(f"render {rendered}/{len(missing)}: {key.version}: failed")
                    continue
                progress(f"render {rendered}/{len(missing)}: {key.version} of {key.source}")
                pending.extend(checks.submit(_compare, item, tree) for item in groups[key])
        for done, compared in enumerate(as_completed(pending), start=1):
            compared.result()
            _count(done, len(pending), "compared", progress)
    for index, value in scores.items():
        scored[index].status.scored(value, __version__)


def _count(done: int, total: int, what: str, progress: Progress) -> None:
    """Progress every tenth of ``total`` and at the end."""
    if done % max(1, total // 10) == 0 or done == total:
        progress(f"{what} {done}/{total} repositories")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _compare(item: _Item, pristine: Path) -> None:
    try:
        item.status.drift = drift(item.absolute, pristine)
    except OSError as error:
        item.status.fail(f"cannot compare with the template: {error}")


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
    ("TOOLKIT", "toolkit"),
)
# Marks a TOOLKIT cell whose toolkit is not the one of the repository's template release.
DIFFERS = "*"


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
    if name == "toolkit" and value is not None and status.toolkit_differs:
        return f"{value}{DIFFERS}"
    return "-" if value is None else str(value)


def _summary(statuses: Sequence[RepoStatus]) -> str:
    levels = ("major", "minor", "patch")
    counts = {level: sum(1 for s in statuses if s.behind == level) for level in levels}
    late = sum(counts.values())
    detail = ", ".join(f"{counts[level]} {level}" for level in levels if counts[level])
    drifting = sum(1 for s in statuses if s.drift)
    differing = sum(1 for s in statuses if s.toolkit_differs)
    broken = sum(1 for s in statuses if s.error)
    parts = [
        f"{len(statuses)} repositories",
        f"{late} behind" + (f" ({detail})" if detail else ""),
        f"{drifting} drifting",
    ]
    if differing:
        parts.append(
            f"{differing} scored by a toolkit other than their template release's "
            f"({DIFFERS}: their own CI may score them differently)"
        )
    parts.append(f"{broken} with errors" + (":" if broken else ""))
    return ", ".join(parts)
