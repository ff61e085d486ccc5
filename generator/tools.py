"""Finding and running the external tools the validators use."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Completed:
    """What a tool run printed and how it ended."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        """stdout and stderr together, for a failure report."""
        return "\n".join(part for part in (self.stdout.strip(), self.stderr.strip()) if part)


def which(tool: str) -> str | None:
    """The path of ``tool``: ``$PAVED_<TOOL>`` when set, else the first one on ``PATH``."""
    override = os.environ.get(f"PAVED_{tool.upper().replace('-', '_')}")
    if override:
        return override if Path(override).is_file() else None
    return shutil.which(tool)


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> Completed:
    """Run a tool to completion, capturing its output."""
    merged = {**os.environ, **(env or {})}
    process = subprocess.run(
        list(args),
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Completed(tuple(args), process.returncode, process.stdout, process.stderr)
