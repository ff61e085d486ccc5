"""The Helm chart of every example, rendered per environment with in-process Helm 4."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.policy import load_policy
from generator.validators.base import Context
from generator.validators.helm import load_values, rendered, targets
from generator.validators.kubernetes import Manifest, pod_spec
from tests.conftest import ROOT, Render, example_files, load_yaml, require_helm

EXAMPLE_NAMES = [path.stem for path in example_files()]
PROD_KINDS = {
    "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "NetworkPolicy", "ServiceMonitor", "ConfigMap", "PrometheusRule", "AlertmanagerConfig",
}  # fmt: skip
# The policy the examples render with (policy.yml: tiers, slo).
POLICY = load_policy(ROOT)


@pytest.fixture(autouse=True)
def _helm() -> None:
    require_helm()


def _render(repo: Path, environment: str) -> list[Manifest]:
    (target,) = [t for t in targets(repo) if t.environment == environment]
    return rendered(Context(repo), target)


def _by_kind(manifests: list[Manifest], kind: str) -> list[dict[str, Any]]:
    return [m.obj for m in manifests if m.kind == kind]


def _one(manifests: list[Manifest], kind: str, name_suffix: str = "") -> dict[str, Any]:
    found = [o for o in _by_kind(manifests, kind) if o["metadata"]["name"].endswith(name_suffix)]
    assert len(found) == 1, (
        f"expected one {kind}*{name_suffix}, got {[o['metadata']['name'] for o in found]}"
    )
    return found[0]


def _egress_ports(policies: list[dict[str, Any]]) -> set[Any]:
    return {
        port.get("port")
        for policy in policies
        for rule in policy["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }


def _fast_burn(repo: Path) -> float:
    """The error ratio of the fast burn at the objective ``repo`` answered: the policy's
    fastest rate times the error budget."""
    objective = float(load_yaml(repo / ".copier-answers.yml")["slo_availability"])
    ratio = POLICY.fast_burn_rate() * (100 - objective) / 100
    return round(min(ratio, float(POLICY.slo["max_error_ratio"])), 10)


def _numbers(obj: Any) -> set[float]:
    return {round(float(n), 10) for n in re.findall(r"\d+\.\d+(?:e-?\d+)?", json.dumps(obj))}


def _workload(manifests: list[Manifest]) -> dict[str, Any]:
    workloads = _by_kind(manifests, "Deployment") + _by_kind(manifests, "Rollout")
    assert len(workloads) == 1
    return workloads[0]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_chart_has_a_values_file_per_environment(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    assert sorted(t.environment for t in targets(repo)) == sorted(answers["environments"])
    for target in targets(repo):
        assert load_values(target.values_file)["environment"] == target.environment


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_prod_render_has_every_production_object(
    rendered_examples: dict[str, Path], example: str
) -> None:
    manifests = _render(rendered_examples[example], "prod")
    kinds = {m.kind for m in manifests}
    assert kinds >= PROD_KINDS
    assert kinds & {"Deployment", "Rollout"}


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_prod_redundancy_meets_the_tier(rendered_examples: dict[str, Path], example: str) -> None:
    repo = rendered_examples[example]
    tier = load_yaml(repo / ".copier-answers.yml")["tier"]
    manifests = _render(repo, "prod")
    workload = _workload(manifests)
    hpa = _one(manifests, "HorizontalPodAutoscaler")
    floor = POLICY.tier(tier).prod_min_replicas
    assert workload["spec"]["replicas"] >= floor
    assert hpa["spec"]["minReplicas"] >= floor
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    assert _one(manifests, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    spread = {
        c["topologyKey"]: c
        for c in workload["spec"]["template"]["spec"]["topologySpreadConstraints"]
    }
    assert "kubernetes.io/hostname" in spread
    assert ("topology.kubernetes.io/zone" in spread) == POLICY.tier(tier).zone_spread
    assert all(c["maxSkew"] == 1 for c in spread.values())
    pod = workload["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > 0
    assert "preStop" in pod["containers"][0]["lifecycle"]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_object_carries_the_contract_and_the_release_namespace(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    domain = answers["org_domain"]
    for target in targets(repo):
        for manifest in rendered(Context(repo), target):
            labels = manifest.obj["metadata"].get("labels", {})
            assert labels.get(f"{domain}/service") == answers["service_name"], manifest
            assert labels.get(f"{domain}/environment") == target.environment, manifest
            assert labels.get(f"{domain}/team") == answers["team"], manifest
            assert labels.get(f"{domain}/cost-center") == answers["cost_center"], manifest
            assert labels.get(f"{domain}/tier") == str(answers["tier"]), manifest
            assert labels.get("app.kubernetes.io/name") == answers["service_name"], manifest
            assert manifest.obj["metadata"].get("namespace") == target.release, manifest
            spec = pod_spec(manifest)
            if spec is not None and manifest.kind != "Pod":
                pod_labels = manifest.obj["spec"]["template"]["metadata"]["labels"]
                assert pod_labels.get(f"{domain}/service") == answers["service_name"]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_service_monitor_sets_job_to_the_service_name(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    service_name = load_yaml(repo / ".copier-answers.yml")["service_name"]
    monitor = _one(_render(repo, "prod"), "ServiceMonitor")
    manifests = _render(repo, "prod")
    job_label = monitor["spec"].get("jobLabel")
    if job_label:
        services = _by_kind(manifests, "Service")
        selected = [
            s
            for s in services
            if all(
                s["metadata"]["labels"].get(k) == v
                for k, v in monitor["spec"]["selector"]["matchLabels"].items()
            )
        ]
        assert selected
        assert {s["metadata"]["labels"][job_label] for s in selected} == {service_name}
    else:
        relabel = [
            r
            for e in monitor["spec"]["endpoints"]
            for r in e.get("relabelings", [])
            if r.get("targetLabel") == "job"
        ]
        assert relabel
        assert relabel[0]["replacement"] == service_name


def test_canary_renders_a_rollout_with_analysis(rendered_examples: dict[str, Path]) -> None:
    repo = rendered_examples["payments-api"]
    manifests = _render(repo, "prod")
    rollout = _one(manifests, "Rollout")
    canary = rollout["spec"]["strategy"]["canary"]
    weights = [step["setWeight"] for step in canary["steps"] if "setWeight" in step]
    assert weights == sorted(weights)
    assert weights[-1] < 100
    template_names = {t["templateName"] for t in canary["analysis"]["templates"]}
    analysis = _one(manifests, "AnalysisTemplate")
    assert analysis["metadata"]["name"] in template_names
    metric = analysis["spec"]["metrics"][0]
    assert 'job="payments-api"' in metric["provider"]["prometheus"]["query"]
    assert 'code=~"5.."' in metric["provider"]["prometheus"]["query"]
    # Fast burn: 14.4 x 0.0005 = 0.0072 for 99.95.
    assert _fast_burn(repo) in _numbers(metric), metric
    assert not _by_kind(manifests, "Deployment")


def test_blue_green_renders_preview_and_gated_promotion(rendered_examples: dict[str, Path]) -> None:
    repo = rendered_examples["inventory-sync"]
    for environment in ("staging", "prod"):
        manifests = _render(repo, environment)
        blue_green = _one(manifests, "Rollout")["spec"]["strategy"]["blueGreen"]
        services = {s["metadata"]["name"] for s in _by_kind(manifests, "Service")}
        assert blue_green["activeService"] in services
        assert blue_green["previewService"] in services
        assert blue_green["activeService"] != blue_green["previewService"]
        names = {t["templateName"] for t in blue_green["prePromotionAnalysis"]["templates"]}
        assert _one(manifests, "AnalysisTemplate")["metadata"]["name"] in names
        if environment == "prod":
            assert blue_green["autoPromotionEnabled"] is False
        # Fast burn: 14.4 x 0.001 = 0.0144 for 99.9.
        assert _fast_burn(repo) in _numbers(_one(manifests, "AnalysisTemplate"))


def test_rolling_renders_a_deployment(rendered_examples: dict[str, Path]) -> None:
    manifests = _render(rendered_examples["catalog-api"], "prod")
    deployment = _one(manifests, "Deployment")
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert not _by_kind(manifests, "Rollout")
    assert not _by_kind(manifests, "AnalysisTemplate")


def test_service_account_does_not_mount_its_token(rendered_examples: dict[str, Path]) -> None:
    manifests = _render(rendered_examples["payments-api"], "prod")
    account = _one(manifests, "ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    assert (
        _workload(manifests)["spec"]["template"]["spec"].get("automountServiceAccountToken")
        is not True
    )


def test_network_policy_denies_by_default(rendered_examples: dict[str, Path]) -> None:
    manifests = _render(rendered_examples["payments-api"], "prod")
    policies = _by_kind(manifests, "NetworkPolicy")
    types = {t for p in policies for t in p["spec"]["policyTypes"]}
    assert types == {"Ingress", "Egress"}
    egress_ports = _egress_ports(policies)
    assert {53, 443, 5432} <= egress_ports


def test_datastore_egress_follows_the_answers(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render({**minimal_answers, "datastores": [], "environments": ["prod"]})
    policies = _by_kind(_render(repo, "prod"), "NetworkPolicy")
    egress_ports = _egress_ports(policies)
    assert 5432 not in egress_ports
    assert 53 in egress_ports


def test_hostile_description_lands_literally_in_chart_yaml(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    text = "Bridges WMS ↔ carrier: {{ x }}, 'q', \"dq\", back\\slash, ${HOME}, 100% # not a comment"
    repo = render({**minimal_answers, "description": text, "environments": ["prod"]})
    (chart,) = list((repo / "helm").iterdir())
    assert load_yaml(chart / "Chart.yaml")["description"] == text
    assert _render(repo, "prod")


def _chart(repo: Path) -> Path:
    (chart,) = list((repo / "helm").iterdir())
    return chart


def _schema_refusal(repo: Path, values: dict[str, Any]) -> str:
    import helm_python

    chart = helm_python.Chart.load(str(_chart(repo)))
    with pytest.raises(helm_python.HelmValuesError) as caught:
        chart.render(values, name="x", namespace="x")
    return str(caught.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"replicaCount": "two"}, "replicaCount", id="replicas-not-a-number"),
        pytest.param({"replicaCount": 2, "replicas": 3}, "replicas", id="unknown-top-level-key"),
        pytest.param({"resources": {"requests": {"cpu": "-100m"}}}, "cpu", id="negative-resource"),
        pytest.param({"image": {"tag": "latest"}}, "tag", id="latest-tag"),
        pytest.param({"environment": "qa"}, "environment", id="unknown-environment"),
    ],
)
def test_schema_refuses_bad_values_with_helms_error(
    rendered_examples: dict[str, Path], values: dict[str, Any], expected: str
) -> None:
    repo = rendered_examples["catalog-api"]
    base = load_values(_chart(repo) / "values-prod.yaml")
    message = _schema_refusal(repo, {**base, **values})
    assert expected in message
    assert "schema" in message.lower()


def test_values_and_schema_agree(rendered_examples: dict[str, Path]) -> None:
    import helm_python

    for repo in rendered_examples.values():
        chart = helm_python.Chart.load(str(_chart(repo)))
        chart.validate_schema(None)
        for target in targets(repo):
            chart.validate_schema(load_values(target.values_file))


def _objects_without_closed_properties(schema: dict[str, Any], path: str = "$") -> list[str]:
    found = []
    if (
        schema.get("type") == "object"
        and "properties" in schema
        and schema.get("additionalProperties") is not False
    ):
        found.append(path)
    for key, sub in schema.get("properties", {}).items():
        found += _objects_without_closed_properties(sub, f"{path}.{key}")
    items = schema.get("items")
    if isinstance(items, dict):
        found += _objects_without_closed_properties(items, f"{path}[]")
    for name, sub in schema.get("definitions", {}).items():
        found += _objects_without_closed_properties(sub, f"#/definitions/{name}")
    return found


def test_values_schema_is_strict(rendered_examples: dict[str, Path]) -> None:
    schema = json.loads(
        (_chart(rendered_examples["payments-api"]) / "values.schema.json").read_text()
    )
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    assert _objects_without_closed_properties(schema) == []


def test_every_value_is_documented(rendered_examples: dict[str, Path]) -> None:
    lines = (_chart(rendered_examples["payments-api"]) / "values.yaml").read_text().splitlines()
    undocumented = []
    for index, line in enumerate(lines):
        if re.match(r"^\s*[A-Za-z0-9_]+:", line):
            above = index - 1
            while (
                above >= 0
                and lines[above].strip().startswith("#")
                and not lines[above].strip().startswith("# --")
            ):
                above -= 1
            if above < 0 or not lines[above].strip().startswith("# --"):
                undocumented.append(line.strip())
    assert undocumented == []
