"""Fixtures of the readiness tests: every example rendered once, made ready, and copied for
each test that breaks it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

Breakable = Callable[[str], Path]


@pytest.fixture(scope="session")
def ready_examples(rendered_examples: dict[str, Path]) -> dict[str, Path]:
    """Every example as rendered: ready for production the moment it is created."""
    return rendered_examples


@pytest.fixture
def example_copy(ready_examples: dict[str, Path], tmp_path: Path) -> Breakable:
    """A private copy of a ready example, for a test to break."""

    def _copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(ready_examples[name], target)
        return target

    return _copy


def invoke(path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["readiness", str(path), *args])


def report(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """The exit code and the JSON report of `paved readiness PATH --format json`."""
    result = invoke(path, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def check(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    found = [c for c in data["checks"] if c["id"] == check_id]
    assert len(found) == 1, check_id
    result: dict[str, Any] = found[0]
    return result
