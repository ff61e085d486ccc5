"""The platform's standards live once, in policy.yml: a changed value reaches the chart, the
Terraform, the alerts, the docs, CI and readiness, and `paved policy show` says where it is."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.policy import POLICY_FILE, PolicyError, load_policy
from generator.readiness import readiness
from generator.validators.terraform import init
from tests.conftest import (
    EXAMPLES,
    ROOT,
    copy_template,
    edit_policy,
    load_yaml,
    require_tool,
    snapshot_template,
)

# Values the shipped tier 2 does not have (3 replicas, 21 days, ... for the shipped 2, 14),
# so every file that follows the policy shows them.
SHIPPED = load_policy(ROOT)
TIER_2 = SHIPPED.tier(2)
REPLICAS = TIER_2.prod_min_replicas + 1
BACKUP_DAYS = TIER_2.rds_backup_days + 7
ESCALATE_MINUTES = TIER_2.escalate_after_minutes - 3
MIN_SCORE = min(TIER_2.readiness_min_score + 5, 100)
BUDGET_USD = TIER_2.budget_usd + 150
# A fast-burn rate above the slower fast pair's (6), and not the shipped one.
FAST_RATE = 12.0 if SHIPPED.fast_burn_rate() != 12 else 10.0
CHANGES = {
    "tiers.2.prod_min_replicas": REPLICAS,
    "tiers.2.rds_backup_days": BACKUP_DAYS,
    "tiers.2.escalate_after_minutes": ESCALATE_MINUTES,
    "tiers.2.readiness_min_score": MIN_SCORE,
    "tiers.2.budget_usd": BUDGET_USD,
    "slo.burn_windows.0.rate": FAST_RATE,
}
AVAILABILITY_1H = re.compile(
    r'ratio_rate1h\{service="catalog-api",slo="availability"\} > ([0-9.e-]+)'
)


def _show(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["policy", "show", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_show_lists_the_org_and_every_tier_with_the_line_each_value_is_on() -> None:
    shown = _show("--template", str(ROOT))
    assert shown["org"]["slug"]
    assert sorted(shown["tiers"]) == ["1", "2", "3"]
    lines = (ROOT / POLICY_FILE).read_text(encoding="utf-8").splitlines()
    for tier in ("1", "2", "3"):
        for key in ("prod_min_replicas", "zone_spread", "rds_backup_days", "pages"):
            value = shown["tiers"][tier][key]
            path, line = shown["sources"][f"tiers.{tier}.{key}"].rsplit(":", 1)
            assert Path(path).name == POLICY_FILE
            text = lines[int(line) - 1]
            assert re.match(rf"\s*{key}: {str(value).lower()}\s*(#.*)?$", text), (tier, key, text)
    assert shown["sources"]["org.slug"].endswith(f":{_line_of(lines, 'slug:')}")


def _line_of(lines: list[str], start: str) -> int:
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(start))


def test_the_table_names_the_line_to_edit() -> None:
    result = CliRunner().invoke(cli, ["policy", "show", "--template", str(ROOT)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "prod_min_replicas" in line)
    policy = load_policy(ROOT)
    assert row.split()[1:4] == [str(policy.tier(t).prod_min_replicas) for t in (1, 2, 3)]
    assert all(str(policy.sources[f"tiers.{t}.prod_min_replicas"]) in row for t in (1, 2, 3))


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A template whose policy has the CHANGES, and a tier-2 service rendered from it."""
    template = snapshot_template(tmp_path_factory.mktemp("template"))
    edit_policy(template, CHANGES)
    answers = load_yaml(EXAMPLES / "catalog-api.yml")
    assert answers.get("tier", 2) == 2
    service = copy_template(template, tmp_path_factory.mktemp("svc") / "catalog-api", answers)
    return template, service


def test_a_changed_policy_reaches_every_file_that_states_it(changed: tuple[Path, Path]) -> None:
    _, service = changed
    chart = service / "helm" / "catalog-api"
    prod = load_yaml(chart / "values-prod.yaml")
    assert prod["replicaCount"] == REPLICAS
    assert prod["autoscaling"]["minReplicas"] == REPLICAS
    schema = json.loads((chart / "values.schema.json").read_text())
    assert f'"minimum": {REPLICAS}' in json.dumps(schema)
    tiers_tf = (service / "terraform" / "modules" / "service" / "tiers.tf").read_text()
    tier2 = tiers_tf.split('"2" = {', 1)[1].split("}", 1)[0]
    assert re.search(rf"backup_retention_days\s+= {BACKUP_DAYS}\n", tier2)
    assert re.search(rf"budget_limit_usd\s+= {BUDGET_USD}\n", tier2)
    module_tests = service / "terraform" / "modules" / "service" / "tests"
    tests = (module_tests / "service.tftest.hcl").read_text()
    assert f"backup_retention_period == {BACKUP_DAYS}" in tests
    # The fast-burn page waits for 12 x the 0.1% budget of 99.9 (the new rate x the budget).
    rules = (service / "observability" / "prometheus" / "slo-rules.yaml").read_text()
    budget = (100 - TIER_2.slo_availability) / 100
    thresholds = [float(found) for found in AVAILABILITY_1H.findall(rules)]
    assert thresholds
    assert thresholds == [pytest.approx(FAST_RATE * budget)] * len(thresholds)
    assert f"{ESCALATE_MINUTES} minutes" in (service / "docs" / "ESCALATION.md").read_text()
    assert (
        f"READINESS_MIN_SCORE=${{READINESS_MIN_SCORE:-{MIN_SCORE}}}"
        in (service / "ci" / "common.sh").read_text()
    )


def test_readiness_holds_the_repository_to_its_templates_policy(
    changed: tuple[Path, Path],
) -> None:
    template, service = changed
    policy = load_policy(template)
    assert readiness(service, policy=policy).score == 100
    values_prod = service / "helm" / "catalog-api" / "values-prod.yaml"
    original = values_prod.read_text()
    try:
        values_prod.write_text(
            original.replace(f"replicaCount: {REPLICAS}", f"replicaCount: {REPLICAS - 1}").replace(
                f"minReplicas: {REPLICAS}", f"minReplicas: {REPLICAS - 1}"
            )
        )
        report = readiness(service, policy=policy)
        redundancy = next(r for r in report.results if r.id == "redundancy")
        assert redundancy.status.value == "fail"
        assert any(f"tier 2 needs at least {REPLICAS}" in line for line in redundancy.evidence)
    finally:
        values_prod.write_text(original)


def test_readiness_of_a_shipped_service_under_the_changed_policy(
    changed: tuple[Path, Path], tmp_path: Path
) -> None:
    """The same files pass or fail by the policy they are held to: the shipped tier 2's prod
    replicas (2) meet it and fail the changed one (3)."""
    template, _ = changed
    service = copy_template(
        snapshot_template(tmp_path / "shipped"),
        tmp_path / "svc",
        load_yaml(EXAMPLES / "catalog-api.yml"),
    )
    values_prod = load_yaml(service / "helm" / "catalog-api" / "values-prod.yaml")
    assert values_prod["replicaCount"] == TIER_2.prod_min_replicas
    shipped = readiness(service)
    assert shipped.score == 100
    changed_report = readiness(service, policy=load_policy(template))
    failed = {r.id: r for r in changed_report.results if r.status.value == "fail"}
    assert set(failed) == {"redundancy", "backups", "slo"}
    slo = failed["slo"].evidence
    assert any(f"fast-burn alert at {FAST_RATE:g} x budget" in line for line in slo)
    assert any(
        f"tier 2 needs at least {REPLICAS}" in line for line in failed["redundancy"].evidence
    )
    assert any(
        f"tier 2 needs at least {BACKUP_DAYS}" in line for line in failed["backups"].evidence
    )


@pytest.mark.slow
def test_the_module_tests_follow_the_changed_policy(changed: tuple[Path, Path]) -> None:
    """terraform test of the rendered module: tiers.tf and the assertions agree (21 days for
    the shipped 14)."""
    terraform = require_tool("terraform")
    module = changed[1] / "terraform" / "modules" / "service"
    assert init(terraform, module).returncode == 0
    import subprocess

    done = subprocess.run(
        [terraform, "test", "-no-color", "-filter=tests/service.tftest.hcl"],
        cwd=module,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Success! \d+ passed, 0 failed", done.stdout)


def test_a_broken_value_is_refused_with_its_line_and_rule(tmp_path: Path) -> None:
    (tmp_path / POLICY_FILE).write_text((ROOT / POLICY_FILE).read_text(encoding="utf-8"))
    edit_policy(tmp_path, {"tiers.2.rds_backup_days": 40})
    line = load_policy(ROOT).sources["tiers.2.rds_backup_days"]
    with pytest.raises(
        PolicyError,
        match=rf"policy.yml:{line}: tiers.2.rds_backup_days is 40; the rule is a whole number 1-35",
    ):
        load_policy(tmp_path)
    result = CliRunner().invoke(cli, ["policy", "show", "--template", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "tiers.2.rds_backup_days is 40" in result.output


def test_every_fix_text_names_only_values_the_policy_has() -> None:
    """A check's fix may name its tier's policy values ({prod_min_replicas}, ...)."""
    from dataclasses import asdict

    from generator.readiness import CHECKS

    policy = load_policy(ROOT)
    for tier in (1, 2, 3):
        values = {"tier": tier, **asdict(policy.tier(tier))}
        fixes = {check.id: check.fix.format_map(values) for check in CHECKS}
        assert (
            f"autoscaling.minReplicas: {policy.tier(tier).prod_min_replicas} for tier {tier}"
            in fixes["redundancy"]
        )
        assert f"({policy.tier(tier).rds_backup_days} days for tier {tier})" in fixes["backups"]


def test_every_declared_datastore_has_its_terraform_runbook_and_module_support() -> None:
    """A datastore is declared once (policy.yml: datastores); the template must carry what
    each one needs, so a declaration without them fails here, not in a service."""
    declared = sorted(load_policy(ROOT).datastores)
    module = ROOT / "templates" / "terraform" / "modules" / "service"
    variables = (module / "variables.tf").read_text(encoding="utf-8")
    supported = re.search(r"contains\(\[([^\]]*)\], d\)", variables)
    assert supported, "the module's datastores validation"
    assert sorted(json.loads(f"[{supported.group(1)}]")) == declared
    runbooks = ROOT / "templates" / "docs" / "runbooks"
    for name in declared:
        assert (module / f"{name}.tf").is_file(), name
        runbook = (
            runbooks / f"{{% if '{name}' in datastores %}}datastore-{name}.md{{% endif %}}.jinja"
        )
        assert runbook.is_file(), name
    copier = load_yaml(ROOT / "copier.yml")
    assert "POLICY.datastores" in copier["datastores"]["choices"]


def test_a_datastore_the_policy_does_not_declare_fails_backups(
    changed: tuple[Path, Path], tmp_path: Path
) -> None:
    service = copy_template(
        snapshot_template(tmp_path / "shipped"),
        tmp_path / "svc",
        {**load_yaml(EXAMPLES / "catalog-api.yml"), "datastores": ["s3"]},
    )
    answers = service / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("- s3\n", "- s3\n- redis\n"))
    backups = next(r for r in readiness(service).results if r.id == "backups")
    assert backups.status.value == "fail"
    assert any("datastore 'redis' is not declared" in line for line in backups.evidence)
