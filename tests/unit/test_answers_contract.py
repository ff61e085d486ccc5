"""The answers contract: every bad answer is refused before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.policy import Policy
from tests.conftest import SRE_ON_CALL, Render, copy_template, load_yaml

TIER1 = {"tier": 1, "dr_region": "eu-central-1", **SRE_ON_CALL}
SHARED = {"ownership_model": "shared", **SRE_ON_CALL}

# (id, changes to the minimal valid answers, question the error must name, words of the rule)
BAD_ANSWERS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "name-uppercase",
        {"service_name": "Orders"},
        "service_name",
        "^[a-z][a-z0-9-]{1,30}[a-z0-9]$",
    ),
    ("name-too-short", {"service_name": "ab"}, "service_name", "3 to 32 characters"),
    ("name-too-long", {"service_name": "a" * 33}, "service_name", "3 to 32 characters"),
    ("name-double-hyphen", {"service_name": "orders--api"}, "service_name", "single hyphens"),
    (
        "name-trailing-hyphen",
        {"service_name": "orders-"},
        "service_name",
        "^[a-z][a-z0-9-]{1,30}[a-z0-9]$",
    ),
    ("name-leading-digit", {"service_name": "1orders"}, "service_name", "starting with a letter"),
    ("description-empty", {"description": "   "}, "description", "1 to 300"),
    ("description-too-long", {"description": "x" * 301}, "description", "1 to 300"),
    ("description-newline", {"description": "line one\nline two"}, "description", "printable"),
    ("org-not-slug", {"org": "Acme Corp"}, "org", "lowercase slug"),
    ("org-domain-underscore", {"org_domain": "acme_example.com"}, "org_domain", "DNS subdomain"),
    ("team-not-slug", {"team": "Payments Team"}, "team", "lowercase slug"),
    ("team-too-long", {"team": "t" * 64}, "team", "at most 63"),
    ("owner-email", {"owner_email": "not-an-email"}, "owner_email", "email address"),
    ("slack-channel-no-hash", {"slack_channel": "payments-alerts"}, "slack_channel", "^#[a-z0-9]"),
    ("oncall-provider", {"oncall_provider": "victorops"}, "oncall_provider", "is not in"),
    (
        "tier-1-pages-nobody",
        {**TIER1, "oncall_provider": "none"},
        "oncall_provider",
        "tier 1 pages on fast burn, so it needs an on-call provider",
    ),
    (
        "tier-2-pages-nobody",
        {"tier": 2, "oncall_provider": "none"},
        "oncall_provider",
        "the rule is pagerduty or opsgenie for tiers 1 and 2",
    ),
    (
        "escalation-policy-space",
        {"oncall_escalation_policy": "on call"},
        "oncall_escalation_policy",
        "^[A-Za-z0-9_-]{1,64}$",
    ),
    ("ownership-model", {"ownership_model": "devs"}, "ownership_model", "is not in"),
    (
        "sre-escalation-policy-space",
        {**SHARED, "sre_escalation_policy": "sre on call"},
        "sre_escalation_policy",
        "^[A-Za-z0-9_-]{1,64}$",
    ),
    (
        "sre-escalation-policy-the-team's",
        {"ownership_model": "sre_only", "sre_escalation_policy": "PCATALOG1"},
        "sre_escalation_policy",
        "is also oncall_escalation_policy; the rule is SRE's own policy",
    ),
    (
        "sre-slack-channel-no-hash",
        {**SHARED, "sre_slack_channel": "sre-alerts"},
        "sre_slack_channel",
        "^#[a-z0-9]",
    ),
    (
        "sre-slack-channel-the-team's",
        {**SHARED, "sre_slack_channel": "#catalog-alerts"},
        "sre_slack_channel",
        "is also slack_channel; the rule is SRE's own channel",
    ),
    ("tier-out-of-range", {"tier": 4}, "tier", "is not in"),
    ("tier-not-number", {"tier": "one"}, "tier", "is not in"),
    ("port-not-whole", {"container_port": 8080.5}, "container_port", "whole number"),
    ("availability-not-number", {"slo_availability": "high"}, "slo_availability", "not a number"),
    (
        "cost-center",
        {"cost_center": "CC_4102"},
        "cost_center",
        "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$",
    ),
    ("data-classification", {"data_classification": "secret"}, "data_classification", "is not in"),
    ("repository-no-owner", {"repository": "catalog-api"}, "repository", "<owner>/<name>"),
    ("aws-region", {"aws_region": "europe-west1"}, "aws_region", "AWS region"),
    (
        "dr-region-same",
        {**TIER1, "aws_region": "eu-west-1", "dr_region": "eu-west-1"},
        "dr_region",
        "other than aws_region",
    ),
    ("dr-region-bad", {**TIER1, "dr_region": "mars-1"}, "dr_region", "AWS region"),
    ("environments-no-prod", {"environments": ["dev", "staging"]}, "environments", "includes prod"),
    ("environments-unknown", {"environments": ["dev", "qa", "prod"]}, "environments", "is not in"),
    ("port-privileged", {"container_port": 80}, "container_port", "1024 <= value <= 65535"),
    ("port-too-high", {"container_port": 70000}, "container_port", "1024 <= value <= 65535"),
    ("health-path-relative", {"health_path": "healthz"}, "health_path", 'starts with "/"'),
    ("datastore-unknown", {"datastores": ["redis"]}, "datastores", "is not in"),
    ("deploy-strategy", {"deploy_strategy": "recreate"}, "deploy_strategy", "is not in"),
    ("availability-100", {"slo_availability": 100}, "slo_availability", "90 <= value < 100"),
    ("availability-low", {"slo_availability": 89.9}, "slo_availability", "90 <= value < 100"),
    ("latency-off-bucket", {"slo_latency_ms": 300}, "slo_latency_ms", "bucket boundary"),
    ("latency-target-low", {"slo_latency_target": 49.5}, "slo_latency_target", "50 <= value < 100"),
    (
        "requests-metric",
        {"sli_requests_metric": "http-requests"},
        "sli_requests_metric",
        "Prometheus metric name",
    ),
    (
        "latency-metric-suffix",
        {"sli_latency_metric": "http_request_duration_seconds_bucket"},
        "sli_latency_metric",
        "base name",
    ),
    (
        "buckets-descending",
        {"sli_latency_buckets": [0.1, 0.05]},
        "sli_latency_buckets",
        "ascending",
    ),
    ("buckets-not-list", {"sli_latency_buckets": "fast"}, "sli_latency_buckets", "not a list"),
    ("rto-zero", {"rto_minutes": 0}, "rto_minutes", "> 0"),
    ("dr-strategy", {"dr_strategy": "hope"}, "dr_strategy", "is not in"),
    ("ci-provider", {"ci_provider": "jenkins"}, "ci_provider", "is not in"),
]

MISSING_REQUIRED = [
    "service_name",
    "description",
    "team",
    "owner_email",
    "cost_center",
    "oncall_escalation_policy",
]


def _refused(template_dir: Path, destination: Path, answers: dict[str, Any]) -> str:
    with pytest.raises((ValueError, TypeError)) as caught:
        copy_template(template_dir, destination, answers)
    return str(caught.value)


@pytest.mark.parametrize(
    ("changes", "question", "rule"),
    [
        pytest.param(changes, question, rule, id=case)
        for case, changes, question, rule in BAD_ANSWERS
    ],
)
def test_bad_answer_is_refused_naming_question_and_rule(
    template_dir: Path,
    tmp_path: Path,
    minimal_answers: dict[str, Any],
    changes: dict[str, Any],
    question: str,
    rule: str,
) -> None:
    destination = tmp_path / "service"
    message = _refused(template_dir, destination, {**minimal_answers, **changes})
    assert f"'{question}'" in message or f'"{question}"' in message, message
    assert rule in message, message
    assert not destination.exists(), "a refused copy must write nothing"


def test_bad_answer_table_is_broad() -> None:
    assert len({case for case, *_ in BAD_ANSWERS}) >= 20
    assert len({question for _, _, question, _ in BAD_ANSWERS}) >= 20


@pytest.mark.parametrize("question", MISSING_REQUIRED)
def test_required_question_missing_is_refused(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any], question: str
) -> None:
    answers = {key: value for key, value in minimal_answers.items() if key != question}
    destination = tmp_path / "service"
    message = _refused(template_dir, destination, answers)
    assert question in message
    assert not destination.exists()


def test_refused_copy_leaves_existing_directory_untouched(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    destination = tmp_path / "service"
    destination.mkdir()
    (destination / "keep.txt").write_text("mine")
    _refused(template_dir, destination, {**minimal_answers, "tier": 9})
    assert sorted(p.name for p in destination.iterdir()) == ["keep.txt"]


def test_escalation_policy_not_asked_without_oncall_provider(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    answers = {k: v for k, v in minimal_answers.items() if k != "oncall_escalation_policy"}
    repo = render({**answers, "tier": 3, "oncall_provider": "none"})
    recorded = (repo / ".copier-answers.yml").read_text()
    assert "oncall_provider: none" in recorded
    assert "oncall_escalation_policy" not in recorded


SRE_ANSWERS = ("sre_escalation_policy", "sre_slack_channel")


@pytest.mark.parametrize(
    ("changes", "asked"),
    [
        ({"ownership_model": "dev_only"}, set()),
        ({"ownership_model": "platform"}, set()),
        ({"ownership_model": "platform", "tier": 1}, set(SRE_ANSWERS)),
        ({"ownership_model": "shared"}, set(SRE_ANSWERS)),
        ({"ownership_model": "sre_only"}, {"sre_escalation_policy"}),
        ({"ownership_model": "sre_only", "oncall_provider": "none", "tier": 3}, set()),
    ],
)
def test_sre_on_call_is_asked_where_sre_is_reached(
    render: Render,
    minimal_answers: dict[str, Any],
    policy: Policy,
    changes: dict[str, Any],
    asked: set[str],
) -> None:
    answers = {**minimal_answers, **SRE_ON_CALL, **changes}
    if changes.get("oncall_provider") == "none":
        del answers["oncall_escalation_policy"]
    recorded = load_yaml(render(answers) / ".copier-answers.yml")
    assert {key for key in SRE_ANSWERS if key in recorded} == asked
    if "sre_slack_channel" in asked:
        assert recorded["sre_slack_channel"] == policy.org["sre_slack_channel"]


@pytest.mark.parametrize(
    "changes", [{"ownership_model": "sre_only"}, {"ownership_model": "shared"}, {"tier": 1}]
)
def test_sre_escalation_policy_is_required_where_sre_is_paged(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any], changes: dict[str, Any]
) -> None:
    destination = tmp_path / "service"
    message = _refused(template_dir, destination, {**minimal_answers, **changes})
    assert "sre_escalation_policy" in message
    assert not destination.exists()


def test_defaults_follow_the_tier(
    render: Render, minimal_answers: dict[str, Any], policy: Policy
) -> None:
    from tests.conftest import load_yaml

    expected = {
        tier: {
            "slo_availability": policy.tier(tier).slo_availability,
            "dr_strategy": "warm_standby" if tier == 1 else "backup_restore",
            "rto_minutes": policy.tier(tier).rto_minutes,
            "rpo_minutes": policy.tier(tier).rpo_minutes,
        }
        for tier in (1, 2, 3)
    }
    for tier, values in expected.items():
        repo = render({**minimal_answers, **SRE_ON_CALL, "tier": tier})
        recorded = load_yaml(repo / ".copier-answers.yml")
        assert {key: recorded[key] for key in values} == values
        assert ("dr_region" in recorded) == (tier == 1)


def test_defaults_fill_the_contract(
    render: Render, minimal_answers: dict[str, Any], policy: Policy
) -> None:
    from tests.conftest import load_yaml

    assert "org" not in minimal_answers
    recorded = load_yaml(render(minimal_answers) / ".copier-answers.yml")
    assert recorded["org"] == policy.org["slug"]
    assert recorded["org_domain"] == policy.org["domain"]
    assert recorded["slack_channel"] == "#catalog-alerts"
    assert recorded["repository"] == f"{policy.org['slug']}/catalog-api"
    assert recorded["environments"] == ["dev", "staging", "prod"]
    assert recorded["ownership_model"] == policy.org["ownership_model"]
    assert recorded["deploy_strategy"] == "rolling"
    assert recorded["slo_latency_ms"] == 250
    assert recorded["sli_latency_buckets"] == [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
    ]


def test_dr_region_default_never_equals_primary(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    from tests.conftest import load_yaml

    repo = render({**minimal_answers, **SRE_ON_CALL, "tier": 1, "aws_region": "eu-central-1"})
    recorded = load_yaml(repo / ".copier-answers.yml")
    assert recorded["dr_region"] != "eu-central-1"


def test_latency_threshold_on_custom_bucket_is_accepted(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render(
        {**minimal_answers, "sli_latency_buckets": [0.1, 0.3, 1.2], "slo_latency_ms": 300}
    )
    assert (repo / "terraform").is_dir()
