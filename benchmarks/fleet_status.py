"""Print the wall time of `paved fleet status` over a generated fleet, with an empty render
cache (cold) and again with the cache it filled (warm). Figures to watch, not assertions.

The fleet: the template tagged v1.0.0 ... v2.1.1, the example answers files rendered at
seven (answers, version) pairs and copied to COUNT repositories, some edited (drift), some
with team files, three broken.

    python benchmarks/fleet_status.py [--count N] [--jobs N] [--fleet DIR]

With ``--fleet DIR`` the fleet is built in DIR (or reused, when DIR holds one already) and
kept, so that `paved fleet status DIR/fleet` can be run on it by hand afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.fleet import fleet_status  # noqa: E402
from tests.conftest import snapshot_template  # noqa: E402
from tests.fleet.builders import build_fleet, template_repo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=50, help="repositories (default 50)")
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: CPUs)")
    parser.add_argument(
        "--fleet", type=Path, default=None, help="build the fleet here and keep it (reused)"
    )
    args = parser.parse_args()

    if args.fleet is not None:
        run(args.fleet.resolve(), args.count, args.jobs)
        return
    with tempfile.TemporaryDirectory(prefix="paved-bench-fleet-") as scratch:
        run(Path(scratch), args.count, args.jobs)


def build(work: Path, count: int) -> Path:
    """The bench fleet of ``count`` repositories under ``work`` (reused when it is there):
    the folder to run `paved fleet status` on."""
    root = work / "fleet"
    if root.is_dir():
        print(f"reusing the fleet in {root}")
        return root
    answers = {
        path.stem: YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples" / "answers").glob("*.yml"))
    }
    started = time.perf_counter()
    template = work / "template"
    refs = template_repo(snapshot_template(work / "snapshot"), template)
    root, members = build_fleet(template, refs, answers, work, count=count)
    print(f"built a fleet of {len(members)} in {time.perf_counter() - started:.1f}s")
    return root


def run(work: Path, count: int, jobs: int | None) -> None:
    """Build the fleet under ``work`` (unless it is there), then time three runs over it."""
    root = build(work, count)
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    # The third run shows what readiness (which reads and renders every repository) adds to
    # versions and drift.
    runs = [
        ("cold cache", True),
        ("warm cache", True),
        ("warm cache, no readiness", False),
    ]
    for label, with_readiness in runs:
        started = time.perf_counter()
        statuses = fleet_status([root], jobs=jobs, cache=cache, with_readiness=with_readiness)
        elapsed = time.perf_counter() - started
        broken = sum(1 for status in statuses if status.error)
        drifting = sum(1 for status in statuses if status.drift)
        print(
            f"fleet status, {label}: {elapsed:5.1f}s for {len(statuses)} repositories "
            f"({drifting} drifting, {broken} broken)",
            flush=True,
        )


if __name__ == "__main__":
    main()
