"""`paved fleet plan`: waves by tier and canaries, each with a GitHub Actions matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.fleet.plan import plan
from generator.fleet.status import RepoStatus
from tests.fleet.builders import LATEST
from tests.fleet.conftest import Fleet, StatusRun, run_fleet


def _status(
    service: str, tier: int | None, model: str, behind: str = "minor", **extra: object
) -> RepoStatus:
    return RepoStatus(
        path=f"/fleet/{service}",
        service=service,
        team="t",
        tier=tier,
        ownership_model=model,
        repository=f"acme/{service}",
        template="gh:acme/paved-road",
        version="v1.0.0",
        latest="v1.1.0",
        behind=behind,
        **extra,  # type: ignore[arg-type]
    )


FLEET = [
    _status("t1-a", 1, "shared"),
    _status("t1-b", 1, "shared", "major"),
    _status("t2-a", 2, "platform"),
    _status("t2-b", 2, "platform", "patch"),
    _status("t2-c", 2, "platform"),
    _status("t2-d", 2, "dev_only"),
    _status("t2-e", 2, "dev_only"),
    _status("t3-a", 3, "sre_only"),
    _status("t3-b", 3, "sre_only"),
    _status("t3-c", 3, "sre_only"),
    _status("t3-d", 3, "sre_only"),
    _status("t3-e", 3, "sre_only"),
    _status("unknown-tier", None, "platform"),
    _status("current", 2, "platform", "none"),
    _status("broken", 2, "platform", error="not valid YAML"),
]


def test_tier_3_first_tier_1_last_canaries_first_in_each_tier() -> None:
    waves = plan(FLEET, wave_size=2)["waves"]
    assert [(w["tier"], w["canary"], w["services"]) for w in waves] == [
        (3, True, ["t3-a"]),
        (3, False, ["t3-b", "t3-c"]),
        (3, False, ["t3-d", "t3-e"]),
        (2, True, ["t2-a", "t2-d"]),  # one canary per ownership model
        (2, False, ["t2-b", "t2-c"]),
        (2, False, ["t2-e"]),
        (1, True, ["t1-a"]),
        (1, False, ["t1-b"]),
        (None, True, ["unknown-tier"]),
    ]
    assert [w["number"] for w in waves] == list(range(1, 10))


def test_named_canaries_replace_the_default_of_their_ownership_model() -> None:
    waves = plan(FLEET, wave_size=10, canaries=["t3-c", "t2-e"])["waves"]
    canary_waves = [w["services"] for w in waves if w["canary"]]
    assert canary_waves == [["t3-c"], ["t2-a", "t2-e"], ["t1-a"], ["unknown-tier"]]


@pytest.mark.parametrize("size", [1, 3, 256])
def test_no_wave_is_larger_than_the_wave_size_and_every_service_is_planned_once(size: int) -> None:
    result = plan(FLEET, wave_size=size)
    planned = [s for w in result["waves"] for s in w["services"]]
    assert all(len(w["services"]) <= size for w in result["waves"])
    assert sorted(planned) == sorted(
        str(s.service) for s in FLEET if s.service not in ("current", "broken")
    )
    assert result["planned"] == len(planned) == 13
    assert result["not_planned"] == [
        {"path": "/fleet/current", "service": "current", "reason": "up to date"},
        {"path": "/fleet/broken", "service": "broken", "reason": "error: not valid YAML"},
    ]


def test_each_wave_carries_a_matrix_of_one_entry_per_service() -> None:
    wave = plan(FLEET, wave_size=5)["waves"][1]
    assert list(wave["matrix"]) == ["include"]
    assert [entry["service"] for entry in wave["matrix"]["include"]] == wave["services"]
    assert wave["matrix"]["include"][0] == {
        "service": "t3-b",
        "repository": "acme/t3-b",
        "path": "/fleet/t3-b",
        "team": "t",
        "tier": 3,
        "ownership_model": "sre_only",
        "template": "gh:acme/paved-road",
        "from": "v1.0.0",
        "to": "v1.1.0",
        "behind": "minor",
        "drifted_files": 0,
        "canary": False,
    }


@pytest.mark.parametrize("size", [0, 257])
def test_wave_size_outside_what_a_matrix_takes_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="wave_size"):
        plan(FLEET, wave_size=size)


def test_plan_of_the_fleet_written_to_a_file(
    cold_status: StatusRun, fleet: Fleet, tmp_path: Path
) -> None:
    rows, _ = cold_status
    output = tmp_path / "plan.json"
    stdout, stderr = run_fleet(
        fleet, "plan", str(fleet.root), "--wave-size", "4", "--output", str(output)
    )
    assert stdout == ""
    assert "7 cached" in stderr  # the renders of `fleet status` serve the plan too
    result = json.loads(output.read_text())
    assert f"wrote {output}: {result['planned']} services in {len(result['waves'])} waves" in stderr
    behind = {row["path"] for row in rows if row["behind"] in ("patch", "minor", "major")}
    entries = [e for w in result["waves"] for e in w["matrix"]["include"]]
    assert sorted(e["path"] for e in entries) == sorted(behind)
    assert {e["to"] for e in entries} == {LATEST}
    assert all(len(w["services"]) <= 4 for w in result["waves"])
    tiers = [w["tier"] for w in result["waves"]]
    assert tiers == sorted(tiers, key=lambda t: (3, 2, 1).index(t))
    assert tiers[0] == 3
    assert tiers[-1] == 1
    assert len(result["not_planned"]) == len(rows) - len(behind)


def test_plan_refuses_a_wave_size_github_cannot_run(fleet: Fleet) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["fleet", "plan", str(fleet.root), "--wave-size", "300"])
    assert result.exit_code == 2
    assert "--wave-size" in result.stderr
