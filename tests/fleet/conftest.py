"""Fixtures of the fleet tests: a template with releases, and a fleet of fifty generated from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli
from tests.conftest import example_files, load_yaml
from tests.fleet.builders import Member, build_fleet, template_repo


@dataclass(frozen=True)
class ReleasedTemplate:
    path: Path
    refs: dict[str, str]


@dataclass(frozen=True)
class Fleet:
    root: Path
    members: list[Member]
    cache: Path


@pytest.fixture(scope="session")
def answer_sets() -> dict[str, dict[str, Any]]:
    """The example answers files, by service name."""
    return {path.stem: load_yaml(path) for path in example_files()}


@pytest.fixture(scope="session")
def released_template(
    template_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> ReleasedTemplate:
    """The template in a git repository tagged v1.0.0 ... v2.1.1, a file changing each time."""
    path = tmp_path_factory.mktemp("released") / "template"
    return ReleasedTemplate(path, template_repo(template_dir, path))


@pytest.fixture(scope="session")
def fleet(
    released_template: ReleasedTemplate,
    answer_sets: dict[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Fleet:
    """Fifty repositories at mixed versions, some drifting, three broken."""
    work = tmp_path_factory.mktemp("fleet")
    root, members = build_fleet(released_template.path, released_template.refs, answer_sets, work)
    return Fleet(root, members, work / "cache")


StatusRun = tuple[list[dict[str, Any]], str]


def fake_readiness(repo: Path) -> int:
    """A stand-in score that differs per repository, so the test sees it travel to its row.

    The fleet scores in spawned processes; it sends them this function by module and name
    (tests.fleet.conftest.fake_readiness), so it must stay a module-level function here.
    """
    return len(repo.name)


def run_fleet(fleet: Fleet, *args: str) -> tuple[Any, str]:
    """`paved fleet ARGS` with the fleet's render cache; parsed JSON stdout (if any) and stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("generator.fleet.status.readiness_score", fake_readiness)
        result = CliRunner().invoke(cli, ["fleet", *args], env={"PAVED_CACHE": str(fleet.cache)})
    assert result.exit_code == 0, result.stderr + str(result.exception)
    return result.stdout, result.stderr


@pytest.fixture(scope="session")
def cold_status(fleet: Fleet) -> StatusRun:
    """`paved fleet status --format json` over the fleet, from an empty render cache."""
    assert not fleet.cache.exists()
    stdout, stderr = run_fleet(fleet, "status", "--format", "json", str(fleet.root))
    return json.loads(stdout), stderr
