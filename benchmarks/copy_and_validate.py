"""Print the median wall time of `copier copy` per example answers file and of `paved validate`
on the result. Figures to watch over time, not assertions.

    python benchmarks/copy_and_validate.py [--runs N] [--validate-runs N] [--only NAMES]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import copier
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.validate import validate  # noqa: E402


def _template_snapshot(target: Path) -> Path:
    """The working tree's template outside git, as the test suite renders it."""
    target.mkdir(parents=True)
    for part in ("copier.yml", "policy.yml", "includes", "templates", "migrations"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _copy(template: Path, destination: Path, answers: dict[str, Any]) -> Path:
    copier.run_copy(
        str(template), destination, data=answers, defaults=True, unsafe=True, quiet=True
    )
    return destination


def _copy_next(template: Path, targets: Iterator[Path], answers: dict[str, Any]) -> Path:
    return _copy(template, next(targets), answers)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="copies per example (default 5)")
    parser.add_argument(
        "--validate-runs", type=int, default=1, help="validations per example (default 1)"
    )
    parser.add_argument("--only", default="", help="validators to time, comma-separated")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name] or None

    with tempfile.TemporaryDirectory(prefix="paved-bench-") as scratch:
        template = _template_snapshot(Path(scratch) / "template")
        print(f"{'example':<20} {'copy (median)':>14} {'validate (median)':>18}")
        for answers_file in sorted((ROOT / "examples" / "answers").glob("*.yml")):
            answers = YAML(typ="safe", pure=True).load(answers_file.read_text(encoding="utf-8"))
            targets = (Path(scratch) / f"{answers_file.stem}-{n}" for n in range(args.runs + 1))
            copy_median = _median_seconds(
                partial(_copy_next, template, targets, answers), args.runs
            )
            rendered = _copy(template, next(targets), answers)
            validate_median = _median_seconds(
                partial(validate, rendered, only=only), args.validate_runs
            )
            print(
                f"{answers_file.stem:<20} {copy_median:>13.2f}s {validate_median:>17.2f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
