"""Every page can fire: no alert, release gate or severity waits for an error ratio that no
service can reach, for any objective the questionnaire accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POLICY, ROOT, Render, copy_template, load_yaml, require_tool

RULES = Path("observability/prometheus/slo-rules.yaml")
TESTS = Path("observability/prometheus/tests/slo-rules.test.yaml")
# The policy's burn-rate pairs, in its order (the order includes/slo.jinja renders them).
RATES = tuple(float(pair["rate"]) for pair in POLICY.slo["burn_windows"])


def _accepted_range(question: str) -> tuple[float, float]:
    """The low (inclusive) and high (exclusive) bounds of ``question``'s validator."""
    validator = load_yaml(ROOT / "copier.yml")[question]["validator"]
    match = re.search(rf"number_range\({question}, ([0-9.]+), ([0-9.]+), false\)", validator)
    assert match, validator
    return float(match.group(1)), float(match.group(2))


def _grid(question: str) -> list[float]:
    """Objectives from the lowest accepted to just below the top, in hundredths."""
    low, high = _accepted_range(question)
    return [round(low + step / 100, 2) for step in range(round((high - low) * 100))]


@pytest.fixture(scope="module")
def thresholds(tmp_path_factory: pytest.TempPathFactory) -> dict[float, list[float]]:
    """``burn_threshold`` of includes/slo.jinja, through Copier, for every objective the
    availability or latency question accepts: objective -> the four pairs' thresholds."""
    objectives = sorted(set(_grid("slo_availability")) | set(_grid("slo_latency_target")))
    template = tmp_path_factory.mktemp("thresholds")
    shutil.copytree(ROOT / "includes", template / "includes")
    shutil.copy2(ROOT / "policy.yml", template / "policy.yml")
    (template / "copier.yml").write_text("_subdirectory: out\nobjectives:\n  type: yaml\n")
    (template / "out").mkdir()
    (template / "out" / "thresholds.txt.jinja").write_text(
        "{%- from 'includes/slo.jinja' import burn_threshold, BURN_WINDOWS -%}\n"
        "{%- for objective in objectives %}\n"
        "{{ objective }}{% for pair in BURN_WINDOWS %} {{ burn_threshold(pair.rate, objective) }}"
        "{% endfor %}\n"
        "{%- endfor %}\n"
    )
    out = copy_template(template, tmp_path_factory.mktemp("out"), {"objectives": objectives})
    table: dict[float, list[float]] = {}
    for line in (out / "thresholds.txt").read_text().strip().splitlines():
        objective, *values = (float(v) for v in line.split())
        table[objective] = values
    assert len(table) == len(objectives)
    return table


def test_no_threshold_needs_more_than_half_the_requests_failing(
    thresholds: dict[float, list[float]],
) -> None:
    ceiling = float(POLICY.slo["max_error_ratio"])
    for objective, values in thresholds.items():
        budget = (100 - objective) / 100
        for rate, value in zip(RATES, values, strict=True):
            assert value <= ceiling < 1, (objective, rate, value)
            assert value == pytest.approx(min(rate * budget, ceiling), abs=1e-9)


def test_a_looser_objective_never_pages_sooner(thresholds: dict[float, list[float]]) -> None:
    """The cap keeps the thresholds monotonic: lowering the objective never lowers one."""
    ordered = sorted(thresholds)
    for tighter, looser in zip(ordered[1:], ordered[:-1], strict=True):
        for a, b in zip(thresholds[tighter], thresholds[looser], strict=True):
            assert a <= b, (tighter, looser)


def _numbers_after(pattern: str, text: str) -> list[float]:
    return [float(n) for n in re.findall(pattern + r"\s*([0-9]*\.?[0-9]+)", text)]


# The edges of what the questionnaire accepts, and where the cap starts to bite.
EDGES = [
    pytest.param(90, 50, id="lowest-objectives"),
    pytest.param(93, 90, id="availability-93-latency-90"),
    pytest.param(96.5, 95, id="just-below-the-1h-cap"),
    pytest.param(99.99, 99.9, id="tight"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("availability", "latency"), EDGES)
def test_pages_fire_at_the_edges_of_the_objective_range(
    render: Render,
    minimal_answers: dict[str, Any],
    availability: float,
    latency: float,
) -> None:
    promtool = require_tool("promtool")
    repo = render(
        {
            **minimal_answers,
            "slo_availability": availability,
            "slo_latency_target": latency,
            "deploy_strategy": "canary",
            "environments": ["prod"],
        }
    )
    rules = (repo / RULES).read_text()
    alert_thresholds = _numbers_after(r"ratio_rate\w+\{[^}]*\} >", rules)
    assert len(alert_thresholds) == 16
    analysis = (repo / "helm/catalog-api/templates/analysistemplate.yaml").read_text()
    gate = _numbers_after(r"result\[0\] (?:<=|>)", analysis)
    assert len(gate) == 2
    escalation = (repo / "docs/ESCALATION.md").read_text()
    sev1 = _numbers_after(r"fast-burn threshold \(", escalation)
    assert len(sev1) == 1
    for value in [*alert_thresholds, *gate, *sev1]:
        assert value < 1, value

    # The service's own rule tests prove the page comes: promtool runs them.
    done = subprocess.run(
        [promtool, "test", "rules", TESTS.name],
        cwd=repo / TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    groups = load_yaml(repo / TESTS)["tests"]
    pages = [
        (check["eval_time"], alert["exp_labels"]["slo"])
        for group in groups
        for check in group["alert_rule_test"]
        for alert in check["exp_alerts"]
        if check["alertname"] == "ErrorBudgetFastBurn" and alert["exp_labels"]["severity"] == "page"
    ]
    assert ("20m", "availability") in pages
    assert ("20m", "latency") in pages
    # Each comment says what its scenario asserts, with this service's numbers.
    text = (repo / TESTS).read_text()
    assert "threshold of the 1h/5m pair: the fast-burn alert fires within 20 minutes (a page)" in (
        " ".join(line.strip("# ") for line in text.splitlines() if line.startswith("  #"))
    )
