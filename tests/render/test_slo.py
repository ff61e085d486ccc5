"""SLO rules, routing and their promtool tests, rendered from the answers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.policy import load_policy
from generator.validate import validate
from generator.validators import Status
from tests.conftest import (
    ROOT,
    SRE_ON_CALL,
    Render,
    example_files,
    load_yaml,
    require_helm,
    require_tool,
)

EXAMPLE_NAMES = [path.stem for path in example_files()]
RULES = Path("observability/prometheus/slo-rules.yaml")
TESTS = Path("observability/prometheus/tests/slo-rules.test.yaml")
ROUTE = Path("observability/alertmanager/route.yaml")
# The policy's burn-rate pairs (policy.yml: slo.burn_windows) by the alert they feed.
ALERT_NAMES = {"fast": "ErrorBudgetFastBurn", "slow": "ErrorBudgetSlowBurn"}
BURN: dict[str, list[tuple[float, str, str]]] = {
    ALERT_NAMES[kind]: [
        (float(pair["rate"]), pair["long"], pair["short"])
        for pair in load_policy(ROOT).slo["burn_windows"]
        if pair["alert"] == kind
    ]
    for kind in ALERT_NAMES
}


def _rules(repo: Path) -> list[dict[str, Any]]:
    return [rule for group in load_yaml(repo / RULES)["groups"] for rule in group["rules"]]


def _alerts(repo: Path) -> list[dict[str, Any]]:
    return [rule for rule in _rules(repo) if "alert" in rule]


@pytest.mark.parametrize("objective", [99.5, 99.9, 99.95])
def test_thresholds_are_burn_rate_times_error_budget(
    render: Render, minimal_answers: dict[str, Any], objective: float
) -> None:
    repo = render({**minimal_answers, "slo_availability": objective, "slo_latency_target": 99.0})
    objectives = {"availability": objective, "latency": 99.0}
    seen = 0
    for alert in _alerts(repo):
        if alert["alert"] not in BURN:
            continue
        slo = alert["labels"]["slo"]
        for burn, long_window, short_window in BURN[alert["alert"]]:
            expected = burn * (100 - objectives[slo]) / 100
            for window in (long_window, short_window):
                pattern = (
                    rf'ratio_rate{window}\{{service="catalog-api",slo="{slo}"\}} > ([0-9.e-]+)'
                )
                (found,) = re.findall(pattern, alert["expr"])
                assert float(found) == pytest.approx(expected, rel=1e-9), (
                    alert["alert"],
                    slo,
                    window,
                )
                seen += 1
    assert seen == 16  # 2 SLOs x 4 window pairs x 2 windows


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_alert_is_labelled_annotated_and_has_a_runbook_in_the_repo(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    alerts = _alerts(repo)
    assert {a["alert"] for a in alerts} == {
        "ErrorBudgetFastBurn",
        "ErrorBudgetSlowBurn",
        "SLINoData",
    }
    for alert in alerts:
        labels = alert["labels"]
        assert labels["service"] == answers["service_name"]
        assert labels["team"] == answers["team"]
        assert labels["tier"] == str(answers["tier"])
        assert labels["severity"] in {"page", "ticket"}
        assert labels["slo"] in {"availability", "latency"}
        assert labels["cost_center"] == answers["cost_center"]
        assert labels["data_classification"] == answers["data_classification"]
        annotations = alert["annotations"]
        assert {"summary", "description", "runbook_url", "dashboard_url"} <= set(annotations)
        path = re.sub(
            r"^https://[^/]+/" + re.escape(answers["repository"]) + r"/(-/)?blob/main/",
            "",
            annotations["runbook_url"],
        )
        assert path != annotations["runbook_url"], annotations["runbook_url"]
        assert (repo / path).is_file(), f"{alert['alert']}: runbook {path} is not in the repository"


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_only_tiers_one_and_two_page(
    render: Render, minimal_answers: dict[str, Any], tier: int
) -> None:
    alerts = _alerts(render({**minimal_answers, **SRE_ON_CALL, "tier": tier}))
    fast = {a["labels"]["severity"] for a in alerts if a["alert"] == "ErrorBudgetFastBurn"}
    assert fast == ({"ticket"} if tier == 3 else {"page"})
    assert {a["labels"]["severity"] for a in alerts if a["alert"] != "ErrorBudgetFastBurn"} == {
        "ticket"
    }


def _firing(
    checks: list[tuple[dict[str, Any], dict[str, Any]]], eval_time: str, alertname: str, slo: str
) -> list[str]:
    """Severities the generated tests expect of `alertname` for `slo` at `eval_time`."""
    return [
        alert["exp_labels"]["severity"]
        for _, check in checks
        if check["eval_time"] == eval_time and check["alertname"] == alertname
        for alert in check["exp_alerts"]
        if alert["exp_labels"]["slo"] == slo
    ]


def test_generated_tests_cover_the_behaviours(rendered_examples: dict[str, Path]) -> None:
    for example, repo in rendered_examples.items():
        tier = load_yaml(repo / ".copier-answers.yml")["tier"]
        groups = load_yaml(repo / TESTS)["tests"]
        checks = [(g, c) for g in groups for c in g["alert_rule_test"]]

        assert _firing(checks, "20m", "ErrorBudgetFastBurn", "availability") == [
            "ticket" if tier == 3 else "page"
        ], example
        assert _firing(checks, "20m", "ErrorBudgetFastBurn", "latency") == [
            "ticket" if tier == 3 else "page"
        ], example
        assert _firing(checks, "9h", "ErrorBudgetSlowBurn", "availability") == ["ticket"], example
        quiet_8h = [c for _, c in checks if c["eval_time"] == "8h"]
        assert {c["alertname"] for c in quiet_8h} == {
            "ErrorBudgetFastBurn",
            "ErrorBudgetSlowBurn",
            "SLINoData",
        }
        assert all(c["exp_alerts"] == [] for c in quiet_8h)
        slow_group = next(g for g, c in checks if c["eval_time"] == "9h")
        assert all(
            c["exp_alerts"] == []
            for c in slow_group["alert_rule_test"]
            if c["alertname"] == "ErrorBudgetFastBurn"
        )


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_rules_check_and_generated_tests_pass_with_promtool(
    rendered_examples: dict[str, Path], example: str
) -> None:
    require_tool("promtool")
    require_helm()
    report = validate(rendered_examples[example], only=["promtool"], require_all=True)
    failures = [
        f"{o.validator}: {o.summary}\n{o.details}"
        for o in report.outcomes
        if o.status is not Status.PASSED
    ]
    assert not failures, "\n".join(failures)
    summaries = {o.validator: o.summary for o in report.outcomes}
    envs = len(load_yaml(rendered_examples[example] / ".copier-answers.yml")["environments"])
    assert summaries["promtool-check"].startswith(
        f"1 rule file(s) and {envs} PrometheusRule(s) checked"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("window", "threshold"),
    [
        pytest.param("1h", "0.9", id="page-1h-threshold-too-high"),
        pytest.param("5m", "0.9", id="page-5m-threshold-too-high"),
        pytest.param("1h", "0.0001", id="page-1h-threshold-too-low"),
        pytest.param("6h", "0.9", id="page-6h-threshold-too-high"),
        pytest.param("30m", "0.9", id="page-30m-threshold-too-high"),
        pytest.param("3d", "0.9", id="ticket-3d-threshold-too-high"),
    ],
)
def test_generated_tests_catch_broken_rules(
    rendered_examples: dict[str, Path], tmp_path: Path, window: str, threshold: str
) -> None:
    """Each mutation breaks one threshold; some generated scenario must notice."""
    promtool = require_tool("promtool")
    repo = tmp_path / "repo"
    shutil.copytree(rendered_examples["catalog-api"] / "observability", repo / "observability")
    rules = repo / RULES
    pattern = rf"(ratio_rate{window}\{{[^}}]*\}} > )([0-9.]+)"
    text, count = re.subn(pattern, rf"\g<1>{threshold}", rules.read_text())
    assert count > 0
    rules.write_text(text)
    done = subprocess.run(
        [promtool, "test", "rules", TESTS.name],
        cwd=repo / TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0, done.stdout


def test_prometheus_rule_in_the_chart_carries_the_same_groups(
    rendered_examples: dict[str, Path],
) -> None:
    require_helm()
    from generator.validators.base import Context
    from generator.validators.helm import rendered, targets

    repo = rendered_examples["payments-api"]
    groups = load_yaml(repo / RULES)["groups"]
    for target in targets(repo):
        (rule,) = [m.obj for m in rendered(Context(repo), target) if m.kind == "PrometheusRule"]
        assert rule["spec"]["groups"] == groups


@pytest.mark.parametrize(
    ("model", "tier", "policy", "sre_sees_pages"),
    [
        ("dev_only", 2, "PCATALOG1", False),
        ("shared", 2, "PCATALOG1", True),
        ("platform", 2, "PCATALOG1", False),
        ("platform", 1, "PCATALOG1", True),
        ("sre_only", 2, "PSRE1", False),
    ],
)
def test_routing_follows_the_ownership_model(
    render: Render,
    minimal_answers: dict[str, Any],
    model: str,
    tier: int,
    policy: str,
    sre_sees_pages: bool,
) -> None:
    answers = {**minimal_answers, "ownership_model": model, "tier": tier, "environments": ["prod"]}
    if model in ("shared", "sre_only") or tier == 1:
        answers["sre_escalation_policy"] = "PSRE1"
    route = load_yaml(render(answers) / ROUTE)
    assert route["route"]["matchers"] == ['service="catalog-api"']
    routes = route["route"]["routes"]
    pages = [r["receiver"] for r in routes if r["matchers"] == ['severity="page"']]
    tickets = [r["receiver"] for r in routes if r["matchers"] == ['severity="ticket"']]
    assert pages[0] == "catalog-api-page"
    assert ("catalog-api-sre-mirror" in pages) == sre_sees_pages
    assert tickets == ["catalog-api-ticket"]
    receivers = {r["name"]: r for r in route["receivers"]}
    assert receivers["catalog-api-ticket"]["slack_configs"][0]["channel"] == "#catalog-alerts"
    assert (
        receivers["catalog-api-page"]["pagerduty_configs"][0]["details"]["escalation_policy"]
        == policy
    )
    assert route["inhibit_rules"][0]["equal"] == ["service", "slo"]
    assert "routing_key" not in str(route).replace("routing_key_file", "")


def test_without_an_on_call_provider_pages_go_to_the_channel(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    answers = {k: v for k, v in minimal_answers.items() if k != "oncall_escalation_policy"}
    route = load_yaml(render({**answers, "oncall_provider": "none", "tier": 3}) / ROUTE)
    routes = route["route"]["routes"]
    assert {r["receiver"] for r in routes} == {"catalog-api-ticket"}
    assert [r["name"] for r in route["receivers"]] == ["catalog-api-ticket"]


def test_opsgenie_pages_the_escalation(render: Render, minimal_answers: dict[str, Any]) -> None:
    route = load_yaml(render({**minimal_answers, "oncall_provider": "opsgenie"}) / ROUTE)
    receivers = {r["name"]: r for r in route["receivers"]}
    responders = receivers["catalog-api-page"]["opsgenie_configs"][0]["responders"]
    assert responders == [{"name": "PCATALOG1", "type": "escalation"}]


def test_latency_rules_select_the_threshold_bucket(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render(
        {**minimal_answers, "sli_latency_buckets": [0.1, 0.5, 1, 2.5], "slo_latency_ms": 1000}
    )
    latency = [
        r
        for r in _rules(repo)
        if r.get("record") == "slo:sli_error:ratio_rate5m" and r["labels"]["slo"] == "latency"
    ]
    assert 'le=~"1(\\\\.0+)?"' in latency[0]["expr"]
