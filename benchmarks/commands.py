"""Time what a platform team waits for, as whole commands from the shell, each beside a
reference measured in the same run, and print the ratio. Figures to watch, not assertions.

The reference is Copier copying a two-file template (``copier.yml`` with one question and one
templated file) from a local git repository: the least a ``copier copy`` costs on this
machine, interpreter start and git included. It is timed before and after the steps, and
each ratio divides by the median of all its runs, so a machine that is busier for part of
the run moves both sides.

    python benchmarks/commands.py [--runs N] [--steps copy,update,validate,fleet] [--count N]

Steps:

- ``copy``: ``copier copy --trust --data-file <example> <template> <dir>`` of every example;
- ``update``: ``copier update --trust --defaults`` of payments-api across one release, after
  the edits teams make (a tuned prod value, a Terraform file, a runbook and README notes);
- ``validate``: ``paved validate <dir>`` of the rendered payments-api, every validator, with
  an empty cache (cold), then once more with the cache the first run filled (warm);
- ``fleet``: ``paved fleet status`` over the bench fleet (``--count`` repositories, built as
  benchmarks/fleet_status.py builds it), with an empty render cache and with the one it
  filled.

The template is the working tree, committed into a scratch git repository as release v1; v2
changes policy lines, a README line and a runbook line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import edit_policy, git, snapshot_template  # noqa: E402

BIN = Path(sys.executable).parent
COPIER = str(BIN / "copier")
EXAMPLES = ROOT / "examples" / "answers"
# The ratio each step should stay within (docs/benchmarks.md).
TARGETS = {"copy": 1.5, "update": 3.0, "validate": 30.0, "fleet cold": 15.0, "fleet warm": 3.0}


@dataclass
class Timing:
    step: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _run(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a command to completion; its output is kept only to explain a failure."""
    result = subprocess.run(
        list(argv), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} exited {result.returncode}:\n{result.stderr}")


def _timed(
    argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    started = time.perf_counter()
    _run(argv, cwd, env)
    return time.perf_counter() - started


def _commit(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    if tag:
        git(repo, "tag", tag)


def reference_template(target: Path) -> Path:
    """A two-file template in a git repository: the reference copy."""
    target.mkdir(parents=True)
    (target / "copier.yml").write_text("name:\n  type: str\n  default: world\n")
    (target / "hello.txt.jinja").write_text("Hello, {{ name }}!\n")
    git(target, "init", "-q")
    _commit(target, "reference", tag="v1")
    return target


def template_releases(target: Path) -> Path:
    """The working tree's template as release v1 of a git repository, and v2 after it."""
    snapshot_template(target)
    git(target, "init", "-q")
    _commit(target, "v1", tag="v1")
    edit_policy(target, {"tiers.1.prod_max_replicas": 16, "tiers.2.prod_max_replicas": 10})
    readme = target / "templates" / "README.md.jinja"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("State is kept in", "Terraform state is kept in", 1))
    _commit(target, "v2", tag="v2")
    return target


def copy_command(template: Path, destination: Path, answers: Path) -> list[str]:
    argv = [COPIER, "copy", "--trust", "--quiet", "--defaults", "--vcs-ref", "v1", "--data-file"]
    return [*argv, str(answers), str(template), str(destination)]


def edited_service(template: Path, target: Path) -> Path:
    """payments-api at v1, committed, then edited the ways a team does, and committed."""
    _run(copy_command(template, target, EXAMPLES / "payments-api.yml"))
    git(target, "init", "-q")
    _commit(target, "rendered at v1")
    values = target / "helm" / "payments-api" / "values-prod.yaml"
    values.write_text(values.read_text(encoding="utf-8") + "\npodAnnotations:\n  tuned: 'yes'\n")
    (target / "terraform" / "envs" / "prod" / "team.tf").write_text(
        '# The team\'s own resources.\nlocals {\n  team_note = "ours"\n}\n'
    )
    runbook = target / "docs" / "runbooks" / "deploy-failure.md"
    runbook.write_text(runbook.read_text(encoding="utf-8") + "\n## Our notes\n\nCall Ana.\n")
    readme = target / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n## Team notes\n\nSee the wiki.\n")
    _commit(target, "team edits")
    return target


def time_reference(work: Path, runs: int) -> list[float]:
    template = work / "reference"
    if not template.exists():
        reference_template(template)
    seconds = []
    for n in range(runs):
        destination = work / f"reference-out-{time.monotonic_ns()}-{n}"
        argv = [COPIER, "copy", "--trust", "--quiet", "--defaults", str(template), str(destination)]
        seconds.append(_timed(argv))
    return seconds


def time_copy(work: Path, template: Path, runs: int) -> list[Timing]:
    timings = []
    for answers in sorted(EXAMPLES.glob("*.yml")):
        seconds = [
            _timed(copy_command(template, work / f"copy-{answers.stem}-{n}", answers))
            for n in range(runs)
        ]
        timings.append(Timing(f"copy {answers.stem}", seconds))
    return timings


def time_update(work: Path, template: Path, runs: int) -> Timing:
    service = edited_service(template, work / "service")
    seconds = []
    for n in range(runs):
        copy = work / f"update-{n}"
        shutil.copytree(service, copy, symlinks=True)
        argv = [COPIER, "update", "--trust", "--quiet", "--defaults", "--vcs-ref", "v2"]
        seconds.append(_timed([*argv, "--conflict", "inline"], cwd=copy))
    return Timing("update payments-api, edited, v1 -> v2", seconds)


def time_validate(work: Path, template: Path, runs: int) -> list[Timing]:
    """Cold: every check runs (an empty cache). Warm: what a second run on the same
    repository costs, the module tests' kept pass included."""
    target = work / "validate"
    _run(copy_command(template, target, EXAMPLES / "payments-api.yml"))
    argv = [str(BIN / "paved"), "validate", str(target)]
    cold = []
    for run in range(runs):
        cold.append(_timed(argv, env={"PAVED_CACHE": str(work / f"validate-cache-{run}")}))
    warm = _timed(argv, env={"PAVED_CACHE": str(work / "validate-cache-0")})
    return [
        Timing("validate payments-api, every validator", cold),
        Timing("again: validate, module tests kept", [warm]),
    ]


def time_fleet(work: Path, count: int) -> list[Timing]:
    from benchmarks.fleet_status import build  # the fleet benchmark's builder

    root = build(work / "fleet-bench", count)
    cache = work / "fleet-cache"
    env = {"PAVED_CACHE": str(cache)}
    argv = [str(BIN / "paved"), "fleet", "status", str(root), "--format", "json"]
    cold = _timed(argv, env=env)
    warm = [_timed(argv, env=env) for _ in range(2)]
    return [
        Timing(f"fleet cold, {count} repositories", [cold]),
        Timing(f"fleet warm, {count} repositories", warm),
    ]


def _target(step: str) -> float | None:
    for key, target in TARGETS.items():
        if step.startswith(key):
            return target
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each quick step (3)")
    parser.add_argument(
        "--steps", default="copy,update,validate,fleet", help="steps to time, comma-separated"
    )
    parser.add_argument("--count", type=int, default=50, help="fleet repositories (50)")
    args = parser.parse_args()
    steps = {step for step in args.steps.split(",") if step}

    with tempfile.TemporaryDirectory(prefix="paved-bench-") as scratch:
        work = Path(scratch)
        reference = time_reference(work, max(args.runs, 3))
        template = template_releases(work / "template")
        timings: list[Timing] = []
        if "copy" in steps:
            timings += time_copy(work, template, args.runs)
        if "update" in steps:
            timings.append(time_update(work, template, args.runs))
        if "validate" in steps:
            timings.extend(time_validate(work, template, 1))
        if "fleet" in steps:
            timings += time_fleet(work, args.count)
        reference += time_reference(work, max(args.runs, 3))

    base = statistics.median(reference)
    spread = f"{min(reference):.2f}-{max(reference):.2f}s"
    print(f"reference: copier copy of a two-file template, median {base:.2f}s ({spread})")
    print(f"{'step':<44} {'median':>8} {'runs':>5} {'ratio':>7} {'target':>7}")
    for timing in timings:
        target = _target(timing.step)
        ratio = timing.median / base
        mark = "" if target is None else (" ok" if ratio <= target else " OVER")
        print(
            f"{timing.step:<44} {timing.median:>7.2f}s {len(timing.seconds):>5} "
            f"{ratio:>6.1f}x {'' if target is None else f'{target:>6.1f}x'}{mark}",
            flush=True,
        )


if __name__ == "__main__":
    main()
