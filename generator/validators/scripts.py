"""Shell scripts: shellcheck on every script the repository runs in CI."""

from __future__ import annotations

from pathlib import Path

from generator.tools import run, which
from generator.validators.base import Context, Outcome

SCRIPT_DIRS = ("ci",)


def shell_scripts(repo: Path) -> list[Path]:
    """``*.sh`` files under the script folders (``ci/``)."""
    return sorted(p for folder in SCRIPT_DIRS for p in (repo / folder).rglob("*.sh") if p.is_file())


class Shellcheck:
    name = "shellcheck"
    description = "shellcheck of the CI scripts (ci/*.sh), following what they source"

    def applies(self, repo: Path) -> bool:
        return bool(shell_scripts(repo))

    def run(self, context: Context) -> Outcome:
        shellcheck = which("shellcheck")
        if shellcheck is None:
            return Outcome.skipped(
                self.name, "shellcheck not found on PATH (apt-get install shellcheck)"
            )
        scripts = shell_scripts(context.repo)
        relative = [str(path.relative_to(context.repo)) for path in scripts]
        done = run([shellcheck, "--external-sources", *relative], cwd=context.repo)
        summary = f"{len(scripts)} script(s) checked"
        if not done.ok:
            return Outcome.failed(self.name, summary + ": findings", done.output)
        return Outcome.passed(self.name, summary + ", clean")
