"""`paved validate`: run every validator that applies to a rendered repository."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator.cache import cache_root
from generator.errors import PavedError
from generator.validators import REGISTRY, Context, Outcome, Status, Validator
from generator.validators.helm import ChartValidator


@dataclass(frozen=True)
class Report:
    """The outcomes of one `paved validate` run."""

    repo: Path
    outcomes: tuple[Outcome, ...]
    require_all: bool

    def counts(self) -> dict[str, int]:
        return {
            status.value: sum(1 for o in self.outcomes if o.status is status) for status in Status
        }

    @property
    def ok(self) -> bool:
        """All ran and passed; a skipped validator fails the run only under ``require_all``."""
        bad = {Status.FAILED, Status.SKIPPED} if self.require_all else {Status.FAILED}
        return bool(self.outcomes) and not any(o.status in bad for o in self.outcomes)

    def to_text(self) -> str:
        width = max((len(o.validator) for o in self.outcomes), default=0)
        lines = []
        for outcome in self.outcomes:
            label = outcome.status.value if outcome.status is not Status.SKIPPED else "skipped:"
            lines.append(f"{outcome.validator:<{width}}  {label} {outcome.summary}")
            if outcome.status is Status.FAILED and outcome.details:
                lines.extend(f"{'':<{width}}    {line}" for line in outcome.details.splitlines())
        counts = self.counts()
        verdict = "OK" if self.ok else "FAILED"
        tally = f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        lines.append(f"{verdict}: {tally}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "repo": str(self.repo),
                "ok": self.ok,
                "counts": self.counts(),
                "validators": [
                    {
                        "name": o.validator,
                        "status": o.status.value,
                        "summary": o.summary,
                        "details": o.details,
                    }
                    for o in self.outcomes
                ],
            },
            indent=2,
        )


def select(only: Sequence[str] | None) -> list[Validator]:
    """Validators named by ``only`` (a name, or a prefix group such as ``terraform``), else all."""
    if not only:
        return list(REGISTRY)
    chosen: list[Validator] = []
    for wanted in only:
        matches = [v for v in REGISTRY if v.name == wanted or v.name.startswith(f"{wanted}-")]
        if not matches:
            known = ", ".join(REGISTRY.names())
            raise PavedError(f"--only: no validator named {wanted!r} (known: {known})")
        chosen.extend(v for v in matches if v not in chosen)
    return [v for v in REGISTRY if v in chosen]


def groups(validators: Sequence[Validator]) -> list[list[Validator]]:
    """The validators in groups that run one after another: the chart validators share the
    charts they render (and Helm runs in this process), every other validator is a group of
    its own. Groups are independent and may run at the same time."""
    chart: list[Validator] = [v for v in validators if isinstance(v, ChartValidator)]
    result: list[list[Validator]] = []
    for validator in validators:
        if isinstance(validator, ChartValidator):
            if validator is chart[0]:
                result.append(chart)
        else:
            result.append([validator])
    return result


def validate(
    repo: Path,
    only: Sequence[str] | None = None,
    require_all: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    jobs: int | None = None,
    keep_results: bool = True,
) -> Report:
    """Run the selected validators that apply to ``repo``, ``jobs`` groups at a time (default:
    one per CPU), reporting progress as each runs. Each group has a context (scratch copy,
    cache) of its own, so tools that write never meet; the outcomes keep the registry's
    order whatever finishes first. With ``keep_results``, a validator may keep a pass under
    the toolkit's cache (:func:`generator.cache.cache_root`), keyed by a digest of all its
    inputs, and not run again on the same inputs (the Terraform module tests do)."""
    if not repo.is_dir():
        raise PavedError(f"{repo}: not a directory")
    if jobs is not None and jobs < 1:
        raise PavedError(f"--jobs {jobs}: the rule is a whole number >= 1")
    validators = [v for v in select(only) if v.applies(repo)]
    if not validators:
        raise PavedError(f"{repo}: nothing to validate (no file any selected validator checks)")
    lock = threading.Lock()
    results = cache_root() if keep_results else None

    def say(line: str) -> None:
        with lock:
            progress(line)

    def run_group(group: list[Validator]) -> dict[str, Outcome]:
        # Validators run tools from other working directories: they get an absolute path.
        context = Context(repo.resolve(), results=results)
        outcomes: dict[str, Outcome] = {}
        try:
            for validator in group:
                say(f"{validator.name}: {validator.description} ...")
                started = time.monotonic()
                outcome = validator.run(context)
                say(f"{validator.name}: {outcome.status.value} ({time.monotonic() - started:.1f}s)")
                outcomes[validator.name] = outcome
        finally:
            context.close()
        return outcomes

    workers = jobs or os.cpu_count() or 1
    done: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for outcomes in pool.map(run_group, groups(validators)):
            done.update(outcomes)
    return Report(repo, tuple(done[v.name] for v in validators), require_all)
