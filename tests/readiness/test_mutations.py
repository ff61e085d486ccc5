"""Breaking a ready repository breaks the right check, with evidence that names the file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.policy import load_policy
from tests.conftest import ROOT, Render, load_yaml, require_helm
from tests.readiness.conftest import Breakable, check, report

# The policy readiness holds the examples to (the toolkit's own: this checkout's).
POLICY = load_policy(ROOT)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` (which must be there) in a file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def failing(repo: Path, check_id: str, *args: str) -> tuple[int, dict[str, Any]]:
    """Run readiness; the check must fail. Returns the exit code and the check's result."""
    code, data = report(repo, *args)
    result = check(data, check_id)
    assert result["status"] == "fail", result
    assert result["fix"]
    return code, result


def names(result: dict[str, Any], path: str, *words: str) -> None:
    """Some evidence line starts with ``path`` and says every one of ``words``."""
    lines = [e for e in result["evidence"] if e.startswith(path)]
    assert lines, (path, result["evidence"])
    assert any(all(w in line for w in words) for line in lines), (words, lines)


def answers(repo: Path) -> dict[str, Any]:
    """The answers ``repo`` was rendered with, defaults included (org, teams, objectives)."""
    recorded: dict[str, Any] = load_yaml(repo / ".copier-answers.yml")
    return recorded


def others_pass(repo: Path, *broken: str) -> None:
    _, data = report(repo)
    still = {c["id"] for c in data["checks"] if c["status"] == "fail"} - set(broken)
    assert still == set()


@pytest.fixture(autouse=True)
def _helm() -> None:
    require_helm()


# --- the acceptance mutations ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codeowners"),
    [("payments-api", ".github/CODEOWNERS"), ("inventory-sync", ".gitlab/CODEOWNERS")],
)
def test_removing_codeowners_fails_ownership(
    example_copy: Breakable, name: str, codeowners: str
) -> None:
    repo = example_copy(name)
    (repo / codeowners).unlink()
    code, result = failing(repo, "ownership")
    assert code == 1
    names(result, codeowners, "missing")
    others_pass(repo, "ownership")


def test_one_prod_replica_fails_redundancy(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    needed = POLICY.tier(answers(repo)["tier"]).prod_min_replicas
    values = repo / "helm/catalog-api/values-prod.yaml"
    edit(values, f"replicaCount: {needed}", "replicaCount: 1")
    code, result = failing(repo, "redundancy")
    assert code == 1
    # The chart's schema refuses it too; the check names the value either way.
    names(result, "helm/catalog-api/values-prod.yaml:8", "replicaCount 1", f"at least {needed}")


def test_hpa_floor_below_tier_fails_redundancy(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    needed = POLICY.tier(answers(repo)["tier"]).prod_min_replicas
    values = repo / "helm/payments-api/values-prod.yaml"
    edit(values, f"minReplicas: {needed}", f"minReplicas: {needed - 1}")
    _, result = failing(repo, "redundancy")
    names(
        result,
        "helm/payments-api/values-prod.yaml:",
        f"minReplicas {needed - 1}",
        f"at least {needed}",
    )


def test_deleting_a_runbook_an_alert_points_to_fails_runbooks(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    (repo / "docs/runbooks/slo-latency.md").unlink()
    code, result = failing(repo, "runbooks")
    assert code == 1
    names(result, "docs/runbooks/slo-latency.md", "missing", "ErrorBudgetFastBurn")
    others_pass(repo, "runbooks")


def test_removing_the_rollback_workflow_fails_rollback(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    (repo / ".github/workflows/rollback.yml").unlink()
    code, result = failing(repo, "rollback")
    assert code == 1
    names(result, ".github/workflows/rollback.yml", "missing")
    others_pass(repo, "rollback")


def test_removing_the_gitlab_rollback_jobs_fails_rollback(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    (repo / "ci/gitlab/rollback.yml").unlink()
    edit(repo / ".gitlab-ci.yml", "  - local: ci/gitlab/rollback.yml\n", "")
    _, result = failing(repo, "rollback")
    names(result, ".gitlab-ci.yml", "no manual CI job rolls prod back")


@pytest.mark.parametrize(("name", "tier"), [("payments-api", 1), ("catalog-api", 2)])
def test_rds_backup_retention_below_tier_fails_backups(
    example_copy: Breakable, name: str, tier: int
) -> None:
    repo = example_copy(name)
    assert answers(repo)["tier"] == tier
    needed = POLICY.tier(tier).rds_backup_days
    short = f"backup_retention_days = {needed - 1}"
    edit(
        repo / "terraform/envs/prod/main.tf",
        "  postgres_connections_alarm_threshold",
        f"  {short}\n  postgres_connections_alarm_threshold",
    )
    code, result = failing(repo, "backups")
    assert code == 1
    names(result, "terraform/envs/prod/main.tf:", short, f"at least {needed}")
    names(result, "terraform/modules/service/postgres.tf:", f"tier {tier} needs at least {needed}")
    others_pass(repo, "backups")


def test_deleting_the_slo_rule_file_fails_slo(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    (repo / "observability/prometheus/slo-rules.yaml").unlink()
    code, result = failing(repo, "slo")
    assert code == 1
    names(result, "observability/prometheus/slo-rules.yaml", "missing")


# --- more ways to break a repository --------------------------------------------------


def test_a_person_as_catalog_owner_fails_ownership(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(repo / "catalog-info.yaml", 'owner: "group:catalog"', 'owner: "user:jdoe"')
    _, result = failing(repo, "ownership")
    names(result, "catalog-info.yaml:", "user:jdoe", "a person")


def test_a_person_in_codeowners_fails_ownership(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(
        repo / ".github/CODEOWNERS",
        f"/terraform/                 @{answers(repo)['org']}/payments",
        "/terraform/ @jdoe",
    )
    _, result = failing(repo, "ownership")
    names(result, ".github/CODEOWNERS:8", "@jdoe", "a person")


def test_codeowners_not_following_the_model_fails_ownership(example_copy: Breakable) -> None:
    # shared: SRE reviews Terraform and the chart.
    repo = example_copy("payments-api")
    org, sre = answers(repo)["org"], answers(repo)["sre_team"]
    edit(
        repo / ".github/CODEOWNERS",
        f"/helm/                      @{org}/payments @{org}/{sre}",
        f"/helm/ @{org}/payments",
    )
    _, result = failing(repo, "ownership")
    names(result, ".github/CODEOWNERS:", "values-prod.yaml", f"@{org}/{sre}")


def test_catalog_owner_other_than_the_team_fails_ownership(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(repo / "catalog-info.yaml", 'owner: "group:payments"', 'owner: "group:checkout"')
    _, result = failing(repo, "ownership")
    names(result, "catalog-info.yaml:", "group:checkout", "payments")


def test_a_raci_row_without_accountable_fails_ownership(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    ownership = repo / "docs/OWNERSHIP.md"
    text = ownership.read_text()
    # A contacts table with an On-call row of its own does not stand in for the RACI.
    text = text.replace("## Contacts\n", "## Contacts\n\n| | |\n|---|---|\n| On-call | none |\n")
    # The RACI row has five cells; the contacts table above has two.
    lines = [
        line
        for line in text.splitlines()
        if not (line.lower().startswith("| on-call |") and line.count("|") > 3)
    ]
    ownership.write_text("\n".join(lines) + "\n")
    _, result = failing(repo, "ownership")
    names(result, "docs/OWNERSHIP.md", "no row 'On-call'")


def test_dr_rto_not_matching_the_answers_fails_dr_plan(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    rto = answers(repo)["rto_minutes"]
    later = rto * 4
    edit(
        repo / "docs/runbooks/disaster-recovery.md",
        f"- **RTO:** {rto} minutes",
        f"- **RTO:** {later} minutes",
    )
    code, result = failing(repo, "dr-plan")
    assert code == 1
    names(result, "docs/runbooks/disaster-recovery.md:", f"RTO {later} minutes", f"{rto} minutes")


def test_dr_strategy_not_matching_the_answers_fails_dr_plan(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "docs/runbooks/disaster-recovery.md",
        "**Strategy:** backup_restore",
        "**Strategy:** pilot_light",
    )
    _, result = failing(repo, "dr-plan")
    names(result, "docs/runbooks/disaster-recovery.md:", "pilot_light", "backup_restore")


def test_a_dr_plan_never_tested_fails_dr_plan(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    path = repo / "docs/runbooks/disaster-recovery.md"
    lines = [
        line
        for line in path.read_text().splitlines()
        if not re.search(r"(?i)test|drill|exercise|game ?day", line)
    ]
    path.write_text("\n".join(lines) + "\n")
    _, result = failing(repo, "dr-plan")
    names(result, "docs/runbooks/disaster-recovery.md", "no test procedure")


def test_checkov_removed_from_ci_fails_static_analysis(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    workflow = repo / ".github/workflows/pr.yml"
    data = YAML(typ="rt").load(workflow.read_text())
    del data["jobs"]["checkov"]
    with workflow.open("w") as handle:
        YAML(typ="rt").dump(data, handle)
    code, result = failing(repo, "static-analysis")
    assert code == 1
    names(result, ".github/workflows/pr.yml", "checkov")
    others_pass(repo, "static-analysis")


def test_checkov_soft_fail_fails_static_analysis(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    edit(repo / "ci/gitlab/checks.yml", "--quiet --compact", "--quiet --compact --soft-fail")
    _, result = failing(repo, "static-analysis")
    names(result, "ci/gitlab/checks.yml:", "--soft-fail")


def test_an_alert_without_team_label_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(repo / "observability/prometheus/slo-rules.yaml", '          team: "payments"\n', "")
    code, result = failing(repo, "alert-routing")
    assert code == 1
    names(result, "observability/prometheus/slo-rules.yaml:", "no team label")


def test_pages_routed_to_chat_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "observability/alertmanager/route.yaml",
        'receiver: "catalog-api-page"',
        'receiver: "catalog-api-ticket"',
    )
    _, result = failing(repo, "alert-routing")
    names(result, "observability/alertmanager/route.yaml:", "page alert", "policy")


def test_tickets_routed_nowhere_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    edit(
        repo / "observability/alertmanager/route.yaml",
        '  - name: "docs-portal-ticket"',
        '  - name: "docs-portal-chat"',
    )
    _, result = failing(repo, "alert-routing")
    names(result, "observability/alertmanager/route.yaml", "not defined")


def test_sre_only_page_to_the_team_policy_fails_alert_routing(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render(
        {**minimal_answers, "ownership_model": "sre_only", "sre_escalation_policy": "PSRE1"}
    )
    _, data = report(repo)
    assert check(data, "alert-routing")["status"] == "pass"
    # The page goes to the team's policy again, as before SRE's on-call was asked for.
    edit(
        repo / "observability/alertmanager/route.yaml",
        'escalation_policy: "PSRE1"',
        'escalation_policy: "PCATALOG1"',
    )
    _, result = failing(repo, "alert-routing")
    sre = answers(repo)["sre_team"]
    names(result, "observability/alertmanager/route.yaml:", "page alert", "PSRE1", f"of {sre}")


def test_route_for_every_service_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "observability/alertmanager/route.yaml",
        '  matchers:\n    - "service=\\"catalog-api\\""\n',
        "",
    )
    _, result = failing(repo, "alert-routing")
    names(result, "observability/alertmanager/route.yaml:", 'service="catalog-api"', "shared")


def test_receiver_named_per_team_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    edit(
        repo / "observability/alertmanager/route.yaml", "inventory-sync-page", "fulfilment-page", 2
    )
    _, result = failing(repo, "alert-routing")
    names(result, "observability/alertmanager/route.yaml:", "'fulfilment-page'", "collides")


def test_shared_pages_not_mirrored_to_sre_fail_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(repo / "observability/alertmanager/route.yaml", "      continue: true\n", "")
    _, result = failing(repo, "alert-routing")
    channel = answers(repo)["sre_slack_channel"]
    names(result, "observability/alertmanager/route.yaml:", "page alert", channel)


def test_alarm_without_action_fails_alert_routing(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "terraform/modules/service/postgres.tf",
        "alarm_actions       = [aws_sns_topic.this.arn]",
        "alarm_actions       = []",
    )
    _, result = failing(repo, "alert-routing")
    names(result, "terraform/modules/service/postgres.tf:", "alarm_actions")


def test_pss_violation_refused_by_the_chart_schema_fails_security_context(
    example_copy: Breakable,
) -> None:
    repo = example_copy("payments-api")
    values = repo / "helm/payments-api/values-prod.yaml"
    values.write_text(
        values.read_text() + "\nextraVolumes:\n  - name: host\n    hostPath:\n"
        "      path: /var/run\n"
    )
    code, result = failing(repo, "security-context")
    assert code == 1
    names(result, "helm/payments-api/values-prod.yaml", "does not render", "hostPath")


def test_pss_violation_in_values_prod_fails_security_context(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    schema_path = repo / "helm/payments-api/values.schema.json"
    schema = json.loads(schema_path.read_text())
    del schema["properties"]["extraVolumes"]["items"]["propertyNames"]
    schema_path.write_text(json.dumps(schema))
    values = repo / "helm/payments-api/values-prod.yaml"
    values.write_text(
        values.read_text() + "\nextraVolumes:\n  - name: host\n    hostPath:\n"
        "      path: /var/run\n"
    )
    _, result = failing(repo, "security-context")
    names(result, "helm/payments-api/values-prod.yaml:", "prod:", "hostPath not allowed")
    assert not any(
        line.startswith("helm/payments-api/values-dev.yaml:") for line in result["evidence"]
    )


def test_privilege_escalation_in_the_template_fails_security_context(
    example_copy: Breakable,
) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "helm/catalog-api/templates/_helpers.tpl",
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: true",
    )
    _, result = failing(repo, "security-context")
    names(result, "helm/catalog-api/templates/_helpers.tpl:", "allowPrivilegeEscalation")


def test_no_pdb_fails_redundancy(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    (repo / "helm/docs-portal/templates/pdb.yaml").unlink()
    code, result = failing(repo, "redundancy")
    assert code == 1
    names(result, "helm/docs-portal/templates", "no PodDisruptionBudget")
    others_pass(repo, "redundancy")


def test_no_zone_spread_fails_redundancy_for_tier_2(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    values = repo / "helm/catalog-api/values-prod.yaml"
    values.write_text(values.read_text() + "\ntopologySpread:\n  zone:\n    enabled: false\n")
    _, result = failing(repo, "redundancy")
    names(result, "helm/catalog-api/values-prod.yaml:", "topology.kubernetes.io/zone")


def test_rds_without_multi_az_fails_redundancy(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / "terraform/modules/service/postgres.tf",
        "multi_az                  = local.tier_settings.multi_az",
        "multi_az                  = false",
    )
    _, result = failing(repo, "redundancy")
    names(result, "terraform/modules/service/postgres.tf:", "multi_az = false")


def test_s3_versioning_suspended_fails_backups(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    edit(repo / "terraform/modules/service/s3.tf", 'status = "Enabled"', 'status = "Suspended"')
    _, result = failing(repo, "backups")
    names(result, "terraform/modules/service/s3.tf:", "aws_s3_bucket_versioning.data", "Suspended")


def test_a_lower_tier_in_the_prod_root_fails_backups(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(repo / "terraform/envs/prod/main.tf", "  tier        = 1\n", "  tier        = 3\n")
    _, result = failing(repo, "backups")
    names(result, "terraform/envs/prod/main.tf:", "tier = 3")


def test_gitlab_prod_deploy_without_approval_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    edit(repo / "ci/gitlab/deploy.yml", "      when: manual\n", "")
    _, result = failing(repo, "cd")
    names(result, "ci/gitlab/deploy.yml:", "deploy:prod", "without an approval")


# --- prod approvers: ci/protect_environments.py follows the model and is applied ---------

PROTECT = "ci/protect_environments.py"


def test_the_team_approving_prod_under_sre_only_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    sre = answers(repo)["sre_team"]
    edit(repo / PROTECT, f'"prod": ["{sre}"]', '"prod": ["devex"]')
    code, result = failing(repo, "cd")
    assert code == 1
    names(result, f"{PROTECT}:", "prod approvers devex", f"the sre_only model needs {sre} only")
    assert f'APPROVERS["prod"] in ci/protect_environments.py ["{sre}"]' in result["fix"]
    others_pass(repo, "cd")


def test_a_shared_service_without_sre_approving_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    sre = answers(repo)["sre_team"]
    edit(repo / PROTECT, f'"prod": ["payments", "{sre}"]', '"prod": ["payments"]')
    code, result = failing(repo, "cd")
    assert code == 1
    names(result, f"{PROTECT}:", "prod approvers payments", f"shared model needs payments or {sre}")


def test_approvers_read_as_python_reads_them(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    script = repo / PROTECT
    text = script.read_text()
    start = text.index("APPROVERS = {")
    end = text.index("}\n", start) + 2
    # Reordered, reformatted, commented: still the shared model's approvers.
    script.write_text(
        text[:start]
        + "APPROVERS: dict[str, list[str]] = {\n    'dev': [], 'staging': [],\n"
        + f"    # SRE may approve too\n    'prod': ['{answers(repo)['sre_team']}', 'payments'],\n}}\n"
        + text[end:]
    )
    code, data = report(repo)
    assert code == 0, check(data, "cd")
    assert f"{PROTECT}:" in " ".join(check(data, "cd")["evidence"])


def test_approvers_that_cannot_be_read_fail_cd(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(repo / PROTECT, '"prod": ["catalog"],', '"prod": [ORG + "-admins"],')
    _, result = failing(repo, "cd")
    names(result, f"{PROTECT}:", "APPROVERS['prod'] is not a literal list")


def test_a_lower_environment_waiting_for_approval_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(repo / PROTECT, '"staging": [],', '"staging": ["catalog"],')
    _, result = failing(repo, "cd")
    names(result, f"{PROTECT}:", "staging approvers catalog", "deploys on merge")


def test_deleting_the_protection_script_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    (repo / PROTECT).unlink()
    code, result = failing(repo, "cd")
    assert code == 1
    names(result, PROTECT, "missing")
    # The workflow still calls it, but nothing it could apply is left.
    others_pass(repo, "cd")


def test_removing_the_protection_workflow_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    (repo / ".github/workflows/protect-environments.yml").unlink()
    code, result = failing(repo, "cd")
    assert code == 1
    names(result, ".github/workflows/protect-environments.yml", "missing", "no job applies")
    others_pass(repo, "cd")


def test_a_protection_workflow_that_only_dry_runs_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    workflow = repo / ".github/workflows/protect-environments.yml"
    edit(workflow, f"run: python {PROTECT}", f"run: python {PROTECT} --dry-run")
    _, result = failing(repo, "cd")
    names(result, ".github/workflows/protect-environments.yml", "no job applies")


def test_a_gitlab_job_that_ignores_changes_of_the_script_fails_cd(
    example_copy: Breakable,
) -> None:
    repo = example_copy("inventory-sync")
    edit(repo / "ci/gitlab/protect-environments.yml", f'        - "{PROTECT}"\n', "")
    _, result = failing(repo, "cd")
    names(
        result,
        "ci/gitlab/protect-environments.yml:",
        "protect:environments",
        "no push to main that changes it starts the job",
    )


def test_prod_deploy_without_slo_gate_fails_cd(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(
        repo / ".github/workflows/deploy.yml",
        "run: python3 ci/slo_gate.py --env prod",
        "run: echo skipped",
    )
    _, result = failing(repo, "cd")
    names(result, ".github/workflows/deploy.yml:", "deploy-prod", "SLO gate")


def test_no_tests_on_pull_requests_fails_ci(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    edit(repo / ".github/workflows/pr.yml", "make -n test", "true")
    edit(repo / ".github/workflows/pr.yml", "make test", "echo no tests", count=-1)
    _, result = failing(repo, "ci")
    names(result, ".github/workflows/pr.yml", "tests")


def test_objective_edited_away_from_the_answers_fails_slo(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    objective = answers(repo)["slo_availability"]
    other = 99.0 if objective != 99.0 else 98.0
    edit(repo / "observability/slos.yaml", f"objective: {objective:g}", f"objective: {other:g}")
    _, result = failing(repo, "slo")
    names(result, "observability/slos.yaml:", f"objective {other:g}", f"{objective:g}")


def test_tier_3_paging_fails_slo(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    edit(repo / "observability/prometheus/slo-rules.yaml", 'severity: "ticket"', 'severity: "page"')
    _, result = failing(repo, "slo")
    names(result, "observability/prometheus/slo-rules.yaml:", "tickets only")


def test_a_page_that_can_never_fire_fails_slo(example_copy: Breakable) -> None:
    """14.4 x the 10% budget of a 90% objective: an error ratio no service can reach."""
    repo = example_copy("catalog-api")
    rules = repo / "observability/prometheus/slo-rules.yaml"
    expr = 'slo:sli_error:ratio_rate1h{service="catalog-api",slo="availability"} > '
    match = re.search(re.escape(expr) + r"[0-9.e-]+", rules.read_text())
    assert match, expr
    edit(rules, match.group(0), expr + "1.44")
    _, result = failing(repo, "slo")
    names(result, "observability/prometheus/slo-rules.yaml:", "1.44", "it never fires")


def test_a_release_gate_that_can_never_fail_fails_deploy_strategy(
    example_copy: Breakable,
) -> None:
    repo = example_copy("payments-api")
    template = repo / "helm/payments-api/templates/analysistemplate.yaml"
    match = re.search(r'failureCondition: "result\[0\] > [0-9.e-]+"', template.read_text())
    assert match, template
    edit(template, match.group(0), 'failureCondition: "result[0] > 1.44"')
    _, result = failing(repo, "deploy-strategy")
    names(result, "helm/payments-api/templates/analysistemplate.yaml:", "1.44", "no ratio")
    others_pass(repo, "deploy-strategy")


def test_a_paging_tier_without_a_pager_fails_alert_routing(example_copy: Breakable) -> None:
    """An answers file edited past the questionnaire: tier 2 pages, nobody carries a pager."""
    repo = example_copy("docs-portal")
    edit(repo / ".copier-answers.yml", "tier: 3", "tier: 2")
    _, result = failing(repo, "alert-routing")
    names(result, ".copier-answers.yml:", "tier 2 pages on fast burn", "'none'")


def test_latency_threshold_off_the_buckets_fails_sli(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    edit(repo / "observability/slos.yaml", 'le=~\\"0\\\\\\\\.250*\\"', 'le=~\\"0\\\\\\\\.30*\\"')
    _, result = failing(repo, "sli")
    names(result, "observability/slos.yaml:", "latency", "bucket boundary")


def test_scraping_turned_off_in_prod_fails_observability(example_copy: Breakable) -> None:
    repo = example_copy("docs-portal")
    values = repo / "helm/docs-portal/values-prod.yaml"
    values.write_text(values.read_text() + "\nserviceMonitor:\n  enabled: false\n")
    _, result = failing(repo, "observability")
    names(result, "helm/docs-portal/values-prod.yaml:", "no ServiceMonitor")


def test_escalation_without_sre_under_shared_ownership_fails_escalation(
    example_copy: Breakable,
) -> None:
    repo = example_copy("payments-api")
    sre, platform = answers(repo)["sre_team"], answers(repo)["platform_team"]
    for doc in ("docs/OWNERSHIP.md", "docs/ESCALATION.md"):
        path = repo / doc
        path.write_text(path.read_text().replace(sre, platform).replace("SRE", "Platform"))
    code, result = failing(repo, "escalation")
    assert code == 0  # scored, not required
    names(result, "docs/OWNERSHIP.md", sre)


def test_sla_not_below_the_slo_fails_sla(example_copy: Breakable) -> None:
    repo = example_copy("payments-api")
    sla = repo / "docs/SLA.md"
    match = re.search(r"commitment:\*\* [0-9.]+%", sla.read_text())
    assert match, sla
    above = f"{(answers(repo)['slo_availability'] + 100) / 2:g}%"
    edit(sla, match.group(0), f"commitment:** {above}")
    code, result = failing(repo, "sla")
    assert code == 0
    names(result, "docs/SLA.md:", above, "not below")
    code, _ = failing(repo, "sla", "--min-score", "100")
    assert code == 1


def test_gitlab_includes_are_found_wherever_they_live(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    target = repo / ".gitlab/ci"
    target.mkdir()
    for source in sorted((repo / "ci/gitlab").glob("*.yml")):
        shutil.move(source, target / source.name)
    edit(repo / ".gitlab-ci.yml", "- local: ci/gitlab/", "- local: .gitlab/ci/", count=-1)
    code, data = report(repo)
    assert code == 0
    assert data["score"] == 100
    assert any(
        e.startswith(".gitlab/ci/checks.yml:") for e in check(data, "static-analysis")["evidence"]
    )


def test_a_missing_gitlab_include_is_named(example_copy: Breakable) -> None:
    repo = example_copy("inventory-sync")
    (repo / "ci/gitlab/checks.yml").unlink()
    _, result = failing(repo, "ci")
    names(result, ".gitlab-ci.yml:", "ci/gitlab/checks.yml", "does not exist")


def test_a_single_level_paging_escalation_fails_escalation(example_copy: Breakable) -> None:
    repo = example_copy("catalog-api")
    path = repo / "docs/ESCALATION.md"
    lines = path.read_text().splitlines()
    start = lines.index("## Paging escalation")
    kept = [
        line
        for index, line in enumerate(lines)
        if index < start or not line.startswith(("2. ", "3. ", "4. "))
    ]
    path.write_text("\n".join(kept) + "\n")
    code, result = failing(repo, "escalation")
    assert code == 0  # scored, not required
    names(result, "docs/ESCALATION.md:", "`## Paging escalation` has 1 numbered level(s)")
