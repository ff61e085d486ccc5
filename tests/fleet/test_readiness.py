"""Fleet readiness is the real `paved readiness` score, the same in every run and with any
number of jobs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import __version__
from generator.fleet import fleet_status
from generator.fleet.status import toolkit_differs
from generator.readiness import readiness
from generator.readiness.sources.repo import _parse_hcl, _parse_yaml
from tests.fleet.builders import Member, Original
from tests.fleet.conftest import Fleet


@pytest.fixture(scope="module")
def small_fleet(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four repositories of the fleet with datastores (whose Terraform python-hcl2 misread in
    threads), at four versions, one with its runbooks deleted."""
    root = tmp_path_factory.mktemp("small-fleet")
    stores = [m for m in fleet.members if not m.broken and m.original.name != "docs-portal"]
    chosen = [next(m for m in stores if m.original is original) for original in _originals(stores)]
    for member in chosen[:4]:
        shutil.copytree(member.path, root / member.path.name, symlinks=True)
    shutil.rmtree(root / chosen[0].path.name / "docs" / "runbooks")
    return root


def _originals(members: list[Member]) -> list[Original]:
    return list({id(m.original): m.original for m in members}.values())


def test_scores_agree_with_readiness_run_alone_whatever_the_jobs(
    small_fleet: Path, fleet: Fleet, tmp_path: Path
) -> None:
    # Readiness checks at once used to share python-hcl2's serialization state (in threads):
    # a repository scored 100 in one run and 88 (backups: "cannot tell") in the next.
    alone = {str(repo): readiness(repo).score for repo in sorted(small_fleet.iterdir())}
    assert len(set(alone.values())) > 1, "the deleted runbooks must cost points"
    runs = []
    for run, jobs in enumerate((4, 2, 4, 3)):
        # Each `paved fleet status` is a new process: nothing parsed by an earlier run, and
        # no score cached (a cache of its own per run), so every run scores every repository.
        _parse_hcl.cache_clear()
        _parse_yaml.cache_clear()
        cache = tmp_path / f"cache-{run}"
        rows = fleet_status([small_fleet], jobs=jobs, cache=cache, with_drift=False)
        runs.append(rows)
        assert {row.path: row.readiness for row in rows} == alone, f"--jobs {jobs}"
    assert all(rows == runs[0] for rows in runs)
    assert {(row.toolkit, row.toolkit_differs) for row in runs[0]} == {(__version__, True)}


@pytest.mark.parametrize(
    ("version", "toolkit", "differs"),
    [
        ("v1.2.0", "1.2.0", False),
        ("1.2.0", "1.2.0", False),
        ("v1.2.0", "1.3.0", True),
        ("v1.3.0", "1.2.0", True),
        # Commits past the tag carry a toolkit no release number names.
        ("v1.2.0-3-gabc1234", "1.2.0", True),
        ("abc1234", "1.2.0", True),
        ("v1.2.0", "1.2.0.dev0", True),
    ],
)
def test_a_toolkit_differs_unless_it_is_the_one_of_the_release(
    version: str, toolkit: str, differs: bool
) -> None:
    assert toolkit_differs(version, toolkit) is differs


def test_a_warm_run_scores_only_the_repositories_that_changed(
    small_fleet: Path, tmp_path: Path
) -> None:
    fleet_root = Path(shutil.copytree(small_fleet, tmp_path / "fleet", symlinks=True))
    cache = tmp_path / "cache"
    lines: list[str] = []
    first = fleet_status([fleet_root], cache=cache, with_drift=False, progress=lines.append)
    assert "readiness: 0 cached, 4 to score" in lines
    # A team edits one repository: its runbooks go, which costs points.
    edited = next(row for row in first if row.readiness == 100)
    shutil.rmtree(Path(edited.path) / "docs" / "runbooks")
    lines.clear()
    second = fleet_status([fleet_root], cache=cache, with_drift=False, progress=lines.append)
    assert "readiness: 3 cached, 1 to score" in lines
    now = {row.path: row.readiness for row in second}
    score = now[edited.path]
    assert score == readiness(Path(edited.path)).score
    assert score is not None
    assert score < 100
    assert {p: s for p, s in now.items() if p != edited.path} == {
        row.path: row.readiness for row in first if row.path != edited.path
    }
    # Unchanged again: everything from the cache, the same rows.
    lines.clear()
    third = fleet_status([fleet_root], cache=cache, with_drift=False, progress=lines.append)
    assert "readiness: 4 cached, 0 to score" in lines
    assert third == second
