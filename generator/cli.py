"""The `paved` command line: parse, call, report. The logic lives in the modules it calls."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import click

from generator import __version__
from generator.alertmanager import merge_files
from generator.errors import PavedError
from generator.fleet import fleet_status, plan
from generator.fleet.plan import MAX_WAVE_SIZE
from generator.fleet.plan import to_json as plan_json
from generator.fleet.status import to_json as status_json
from generator.fleet.status import to_table as status_table
from generator.new import parse_data, render
from generator.policy import load_policy
from generator.policy import to_json as policy_json
from generator.policy import to_table as policy_table
from generator.readiness import CHECKS
from generator.readiness import readiness as run_readiness
from generator.readiness.formats import FORMATS, to_text
from generator.upgrade import upgrade as run_upgrade
from generator.validate import validate as run_validate


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _warn(message: str) -> None:
    click.echo(f"paved: warning: {message}", err=True)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class PavedGroup(click.Group):
    """Turns user errors into one line on stderr and their exit code; bugs keep their traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PavedError as error:
            click.echo(f"paved: error: {error}", err=True)
            ctx.exit(error.exit_code)


_text_or_json = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
_require_all = click.option(
    "--require-all", is_flag=True, help="Fail when a validator is skipped for a missing tool."
)


@click.group(cls=PavedGroup)
@click.version_option(__version__, prog_name="paved")
def cli() -> None:
    """Render production-ready services from the paved-road template and prove them valid."""


@cli.command()
@click.argument("answers", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--template", "template", help="Template source: a path or git URL (default: this checkout)."
)
@click.option(
    "--vcs-ref",
    help="Git tag, branch or commit of the template to render (default: a local template as "
    "it is on disk, a remote one at its latest release).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    metavar="KEY=VALUE",
    help="An answer over those of the ANSWERS file (repeatable), as `copier copy --data`.",
)
@click.option("--no-validate", is_flag=True, help="Render only; skip `paved validate`.")
@click.option("--require-all", is_flag=True, help="Fail validation when a tool is missing.")
def new(
    answers: Path,
    dest: Path,
    template: str | None,
    vcs_ref: str | None,
    data: tuple[str, ...],
    no_validate: bool,
    require_all: bool,
) -> None:
    """Render a service repository into DEST from the ANSWERS file, then validate it."""
    _progress(f"rendering {dest} from {answers} ...")
    render(answers, dest, template=template, vcs_ref=vcs_ref, data=parse_data(data), warn=_warn)
    _progress(f"rendered {dest}")
    if no_validate:
        return
    report = run_validate(dest, require_all=require_all, progress=_progress)
    click.echo(report.to_text())
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--only",
    multiple=True,
    help="Validators to run, comma-separated names or groups (e.g. terraform,checkov).",
)
@_text_or_json
@_require_all
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Validators to run at the same time (default: one per CPU; 1: one after another).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Run every check, even one that passed before on the same inputs (kept under "
    "$PAVED_CACHE/terraform-test/).",
)
def validate(
    path: Path,
    only: tuple[str, ...],
    output_format: str,
    require_all: bool,
    jobs: int | None,
    no_cache: bool,
) -> None:
    """Run every validator that applies to the rendered repository at PATH."""
    report = run_validate(
        path,
        only=_split(only),
        require_all=require_all,
        progress=_progress,
        jobs=jobs,
        keep_results=not no_cache,
    )
    click.echo(report.to_json() if output_format == "json" else report.to_text())
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--to",
    "--vcs-ref",
    "to",
    metavar="REF",
    help="Template tag, branch or commit to update to (default: the latest release).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would change, with the diff; the repository is not touched.",
)
@_text_or_json
def upgrade(path: Path, to: str | None, dry_run: bool, output_format: str) -> None:
    """Update the generated repository at PATH to a newer template version.

    Exit codes: 0 updated (or up to date), 3 conflicts need a person (the files and lines are
    listed; in a dry run: would need), 2 the update could not start or stopped.
    """
    report = run_upgrade(path, to=to, dry_run=dry_run, progress=_progress)
    click.echo(report.to_json() if output_format == "json" else report.to_text())
    if report.exit_code:
        sys.exit(report.exit_code)


@cli.group()
def template() -> None:
    """The platform team's commands for the template itself."""


@template.command("test")
@click.argument(
    "template_dir",
    metavar="[TEMPLATE]",
    default=".",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
)
@click.option(
    "--examples",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of answers files to render (default: TEMPLATE/examples/answers).",
)
@click.option(
    "--sweep",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Answer combinations to draw from copier.yml, render and check (fast validators).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sweep.")
@click.option(
    "--from",
    "from_refs",
    multiple=True,
    metavar="REF",
    help="Release (tag, branch or commit) to update each example from (repeatable; default: "
    "the latest release tag, when there is one).",
)
@click.option("--no-update", is_flag=True, help="Skip the update stage.")
@click.option(
    "--only",
    multiple=True,
    help="Validators to run, comma-separated names or groups, as `paved validate --only` "
    "(default: all; the sweep runs the fast ones among them).",
)
@_text_or_json
@_require_all
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Parallel workers (default: the number of CPUs).",
)
def template_test(
    template_dir: Path,
    examples: Path | None,
    sweep: int,
    seed: int,
    from_refs: tuple[str, ...],
    no_update: bool,
    only: tuple[str, ...],
    output_format: str,
    require_all: bool,
    jobs: int | None,
) -> None:
    """Check the template's working tree before a release: render and validate every
    example, render and check a sweep of answer combinations, and update each example from
    the latest release (or each --from REF) with a team's edits.

    Exit codes: 0 everything holds; 1 a render, update or validation failed, or an update
    lost a team's edit; 3 only conflicts remain that the upgrade notes do not announce (a
    person merges them); 2 the check could not run.
    """
    from generator.template_check.check import template_test as run_template_test

    refs: list[str] | None = [] if no_update else (list(from_refs) or None)
    report = run_template_test(
        template_dir,
        examples=examples,
        sweep=sweep,
        seed=seed,
        from_refs=refs,
        jobs=jobs,
        require_all=require_all,
        only=_split(only),
        progress=_progress,
    )
    click.echo(report.to_json() if output_format == "json" else report.to_text())
    if report.exit_code:
        sys.exit(report.exit_code)


_TEMPLATE_HELP = "Template source, a path or git URL (default: each repository's _src_path)."
_JOBS_HELP = "Parallel workers (default: the number of CPUs)."


@cli.group()
def fleet() -> None:
    """Every service repository under the given paths: versions, drift, readiness, waves."""


@fleet.command("status")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--template", "template", help=_TEMPLATE_HELP)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--jobs", type=click.IntRange(min=1), help=_JOBS_HELP)
def fleet_status_command(
    paths: tuple[Path, ...], template: str | None, output_format: str, jobs: int | None
) -> None:
    """Report version, latest release, drift and readiness of every repository under PATHS."""
    statuses = fleet_status(paths, template, jobs=jobs, progress=_progress)
    click.echo(status_json(statuses) if output_format == "json" else status_table(statuses))


@fleet.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--wave-size",
    type=click.IntRange(1, MAX_WAVE_SIZE),
    default=10,
    show_default=True,
    help="Most services in one wave.",
)
@click.option(
    "--canary",
    multiple=True,
    help="Services to upgrade first in their tier (repeat, or separate with commas).",
)
@click.option("--template", "template", help=_TEMPLATE_HELP)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the plan to this file (default: stdout).",
)
@click.option("--jobs", type=click.IntRange(min=1), help=_JOBS_HELP)
def fleet_plan_command(
    paths: tuple[Path, ...],
    wave_size: int,
    canary: tuple[str, ...],
    template: str | None,
    output: Path | None,
    jobs: int | None,
) -> None:
    """Order the behind services under PATHS into upgrade waves, as JSON with CI matrices."""
    statuses = fleet_status(paths, template, with_readiness=False, jobs=jobs, progress=_progress)
    data = plan(statuses, wave_size, canaries=_split(canary))
    text = plan_json(data)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    _progress(f"wrote {output}: {data['planned']} services in {len(data['waves'])} waves")


@cli.group()
def alertmanager() -> None:
    """Alert routing of many services in one Alertmanager."""


@alertmanager.command("merge")
@click.argument("root", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("repos", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the merged configuration to this file (default: stdout).",
)
def alertmanager_merge(root: Path, repos: tuple[Path, ...], output: Path | None) -> None:
    """Merge the routing of every repository in REPOS into the Alertmanager configuration ROOT.

    Each REPO is a generated repository (its observability/alertmanager/route.yaml) or a route
    file. Its route is appended to the root route's routes, its receivers and inhibit rules to
    the root's. A receiver name or a service route that is already there is refused, and
    nothing is written.
    """
    text = merge_files(root, repos)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    _progress(f"wrote {output}: {len(repos)} service route(s) merged into {root}")


def _colour() -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _listing(label: str, names: list[str]) -> str:
    return textwrap.fill(
        ", ".join(names), width=78, initial_indent=label, subsequent_indent=" " * len(label)
    )


def _policy_template(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--template DIR``: a template checkout whose policy.yml to read."""
    return click.option(
        "--template",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help=f"{what} (default: the template this toolkit comes from).",
    )


READINESS_HELP = f"""Score the repository at PATH against the production readiness checklist.

Reads the generated repository as it is now (the chart rendered for prod, Terraform, CI,
rules, docs) and compares it with the answers in .copier-answers.yml. Each check passes,
fails or does not apply, with evidence (path:line) and a fix.

\b
{_listing("Checks:   ", CHECKS.ids())}
{_listing("Required: ", [c.id for c in CHECKS if c.required])}

Score: 100 x passed / applicable checks, rounded down (checks that do not apply are left
out). Exit 0 when every required check passes and the score is at least --min-score, 1
otherwise, 2 when PATH is not a generated repository or a file in it cannot be parsed.
See docs/readiness.md.
"""


@cli.command(help=READINESS_HELP)
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text: a table for people; json: for machines; markdown: for a PR comment or wiki.",
)
@click.option(
    "--min-score",
    type=click.IntRange(0, 100),
    default=0,
    show_default=True,
    help="Fail when the score is below this, even if every required check passes.",
)
@_policy_template("Hold the repository to the policy (policy.yml) of this template checkout")
def readiness(path: Path, output_format: str, min_score: int, template: Path | None) -> None:
    policy = load_policy(template) if template is not None else None
    report = run_readiness(path, min_score=min_score, progress=_progress, policy=policy)
    if output_format == "text":
        click.echo(to_text(report, colour=_colour()), color=_colour())
    else:
        click.echo(FORMATS[output_format](report))
    if not report.passed:
        sys.exit(1)


@cli.group()
def policy() -> None:
    """The platform's standards: the template's org profile and tier table (policy.yml)."""


@policy.command("show")
@_policy_template("A template checkout")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: for people; json: for machines, with a `sources` map of key to path:line.",
)
def policy_show(template: Path | None, output_format: str) -> None:
    """The effective policy of a template, each value with the path:line it comes from.

    Editing the value at that line and rendering again is how a platform team changes its
    standards (docs/adopting.md).
    """
    loaded = load_policy(template)
    click.echo(policy_json(loaded) if output_format == "json" else policy_table(loaded))


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
