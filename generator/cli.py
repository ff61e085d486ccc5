"""The `paved` command line: parse, call, report. The logic lives in the modules it calls."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator import __version__
from generator.errors import PavedError
from generator.new import render
from generator.upgrade import upgrade as run_upgrade
from generator.validate import validate as run_validate


def _progress(message: str) -> None:
    click.echo(message, err=True)


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
@click.option("--no-validate", is_flag=True, help="Render only; skip `paved validate`.")
@click.option("--require-all", is_flag=True, help="Fail validation when a tool is missing.")
def new(
    answers: Path,
    dest: Path,
    template: str | None,
    vcs_ref: str | None,
    no_validate: bool,
    require_all: bool,
) -> None:
    """Render a service repository into DEST from the ANSWERS file, then validate it."""
    _progress(f"rendering {dest} from {answers} ...")
    render(answers, dest, template=template, vcs_ref=vcs_ref)
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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--require-all", is_flag=True, help="Fail when a validator is skipped for a missing tool."
)
def validate(path: Path, only: tuple[str, ...], output_format: str, require_all: bool) -> None:
    """Run every validator that applies to the rendered repository at PATH."""
    report = run_validate(path, only=_split(only), require_all=require_all, progress=_progress)
    click.echo(report.to_json() if output_format == "json" else report.to_text())
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--to",
    "to",
    metavar="REF",
    help="Template tag, branch or commit to update to (default: the latest release).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would change, with the diff; the repository is not touched.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def upgrade(path: Path, to: str | None, dry_run: bool, output_format: str) -> None:
    """Update the generated repository at PATH to a newer template version.

    Exit codes: 0 updated (or up to date), 3 conflicts need a person (the files and lines are
    listed; in a dry run: would need), 2 the update could not start or stopped.
    """
    report = run_upgrade(path, to=to, dry_run=dry_run, progress=_progress)
    click.echo(report.to_json() if output_format == "json" else report.to_text())
    if report.exit_code:
        sys.exit(report.exit_code)


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
