"""Breaking a ready repository breaks the right check, with evidence that names the file.

One table, MUTATIONS: each entry copies a ready example (or renders answers of its own),
edits it, and says which check must fail, which evidence lines must name which file, and
what else must hold. ``test_mutation`` runs them all; its ids read as the list of what is
broken and which check notices (``pytest -v``). The table is grouped by the concern of the
check, in the order of generator/readiness/checks/.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import (
    POLICY,
    example_answer,
    fast_threshold,
    number,
    require_helm,
    sla_commitment,
)
from tests.readiness.conftest import Breakable, check, report

ORG = POLICY.org["slug"]
SRE = POLICY.org["sre_team"]
SRE_CHANNEL = POLICY.org["sre_slack_channel"]
PLATFORM = POLICY.org["platform_team"]


# --- edits ------------------------------------------------------------------------------

Edit = Callable[[Path], None]


@dataclass(frozen=True)
class Replace:
    """Replace ``old`` (which must be there) in a file, ``count`` times (-1: every time)."""

    path: str
    old: str
    new: str
    count: int = 1

    def __call__(self, repo: Path) -> None:
        file = repo / self.path
        text = file.read_text(encoding="utf-8")
        assert self.old in text, f"{self.old!r} not in {self.path}"
        file.write_text(text.replace(self.old, self.new, self.count), encoding="utf-8")


@dataclass(frozen=True)
class Delete:
    path: str

    def __call__(self, repo: Path) -> None:
        (repo / self.path).unlink()


@dataclass(frozen=True)
class Append:
    path: str
    text: str

    def __call__(self, repo: Path) -> None:
        file = repo / self.path
        file.write_text(file.read_text(encoding="utf-8") + self.text, encoding="utf-8")


@dataclass(frozen=True)
class DropLines:
    """Drop every line that matches ``pattern`` (at least one must)."""

    path: str
    pattern: str

    def __call__(self, repo: Path) -> None:
        file = repo / self.path
        lines = file.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not re.search(self.pattern, line)]
        assert len(kept) < len(lines), f"no line of {self.path} matches {self.pattern!r}"
        file.write_text("\n".join(kept) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class YamlDelete:
    """Delete the key at ``keys`` of a YAML file, keeping the rest as written."""

    path: str
    keys: tuple[str, ...]

    def __call__(self, repo: Path) -> None:
        file = repo / self.path
        yaml = YAML(typ="rt")
        data = yaml.load(file.read_text(encoding="utf-8"))
        parent = data
        for key in self.keys[:-1]:
            parent = parent[key]
        del parent[self.keys[-1]]
        with file.open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle)


@dataclass(frozen=True)
class JsonDelete:
    """Delete the key at ``keys`` of a JSON file."""

    path: str
    keys: tuple[str, ...]

    def __call__(self, repo: Path) -> None:
        file = repo / self.path
        data = json.loads(file.read_text(encoding="utf-8"))
        parent = data
        for key in self.keys[:-1]:
            parent = parent[key]
        del parent[self.keys[-1]]
        file.write_text(json.dumps(data), encoding="utf-8")


# The edits that need code.


def raci_without_on_call(repo: Path) -> None:
    """docs/OWNERSHIP.md loses its RACI row for On-call; a contacts table gains an On-call
    row of its own, which does not stand in for the RACI."""
    ownership = repo / "docs/OWNERSHIP.md"
    text = ownership.read_text(encoding="utf-8")
    text = text.replace("## Contacts\n", "## Contacts\n\n| | |\n|---|---|\n| On-call | none |\n")
    # The RACI row has five cells; the contacts table above has two.
    lines = [
        line
        for line in text.splitlines()
        if not (line.lower().startswith("| on-call |") and line.count("|") > 3)
    ]
    ownership.write_text("\n".join(lines) + "\n", encoding="utf-8")


def one_paging_level(repo: Path) -> None:
    """`## Paging escalation` in docs/ESCALATION.md keeps its first level only."""
    path = repo / "docs/ESCALATION.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Paging escalation")
    kept = [
        line
        for index, line in enumerate(lines)
        if index < start or not line.startswith(("2. ", "3. ", "4. "))
    ]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


PROTECT = "ci/protect_environments.py"


def approvers_rewritten(repo: Path) -> None:
    """APPROVERS reordered, reformatted, commented: still the shared model's approvers."""
    script = repo / PROTECT
    text = script.read_text(encoding="utf-8")
    start = text.index("APPROVERS = {")
    end = text.index("}\n", start) + 2
    script.write_text(
        text[:start]
        + "APPROVERS: dict[str, list[str]] = {\n    'dev': [], 'staging': [],\n"
        + f"    # SRE may approve too\n    'prod': ['{SRE}', 'payments'],\n}}\n"
        + text[end:],
        encoding="utf-8",
    )


def gitlab_includes_moved(repo: Path) -> None:
    """The GitLab include files move from ci/gitlab/ to .gitlab/ci/, and .gitlab-ci.yml
    follows them."""
    target = repo / ".gitlab/ci"
    target.mkdir()
    for source in sorted((repo / "ci/gitlab").glob("*.yml")):
        shutil.move(source, target / source.name)
    Replace(".gitlab-ci.yml", "- local: ci/gitlab/", "- local: .gitlab/ci/", count=-1)(repo)


# --- the table ----------------------------------------------------------------------------

Says = tuple[str, tuple[str, ...]]


def says(path: str, *words: str) -> Says:
    """Some evidence line starts with ``path`` and says every one of ``words``."""
    return path, words


@dataclass(frozen=True)
class Rendered:
    """A fresh render of the catalog-api answers with ``answers`` changed. Unlike an example
    (test_examples.py proves those ready), it is not known ready: the check must pass on it
    before the edit."""

    answers: Mapping[str, Any]


@dataclass(frozen=True)
class Run:
    """One more run of readiness, with ``args``: the check fails there too, with ``exit``."""

    args: tuple[str, ...]
    exit: int


@dataclass(frozen=True)
class Mutation:
    id: str  # what is broken; the test id adds "fails-<check>" (or "passes-<check>")
    base: str | Rendered  # an example's name, or answers of its own
    edit: Edit | tuple[Edit, ...]
    check: str  # the check that must fail, with a fix (or pass, where `passes`)
    evidence: tuple[Says, ...]  # lines of that check's evidence
    exit: int | None = None  # the exit code of `paved readiness`, where it matters
    others_pass: bool = False  # every other check still passes
    passes: bool = False  # the edit is one the check must still read as right
    fix_says: str = ""  # words the check's fix must contain
    absent: tuple[str, ...] = ()  # paths no evidence line of the check may start with
    score: int | None = None  # the report's score
    also: tuple[Run, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.id}-{'passes' if self.passes else 'fails'}-{self.check}"


CODEOWNERS_GITHUB = ".github/CODEOWNERS"
OWNERSHIP_DOC = "docs/OWNERSHIP.md"
ESCALATION_DOC = "docs/ESCALATION.md"
SLOS = "observability/slos.yaml"
SLO_RULES = "observability/prometheus/slo-rules.yaml"
ROUTE = "observability/alertmanager/route.yaml"
DR_PLAN = "docs/runbooks/disaster-recovery.md"
PROD_ROOT = "terraform/envs/prod/main.tf"
POSTGRES = "terraform/modules/service/postgres.tf"
BUCKET = "terraform/modules/service/modules/bucket/main.tf"
PROTECT_WORKFLOW = ".github/workflows/protect-environments.yml"
PR_WORKFLOW = ".github/workflows/pr.yml"
HOST_PATH = "\nextraVolumes:\n  - name: host\n    hostPath:\n      path: /var/run\n"
# One day of backups: below the floor of tiers 1 and 2 (a policy that asks for one day only
# has nothing this table could break).
RETENTION_1 = Replace(
    PROD_ROOT,
    "  postgres_connections_alarm_threshold",
    "  backup_retention_days = 1\n  postgres_connections_alarm_threshold",
)
BACKUP_DAYS = {tier: POLICY.tier(tier).rds_backup_days for tier in (1, 2)}
CATALOG_OBJECTIVE = number(example_answer("catalog-api", "slo_availability"))
CATALOG_FAST_THRESHOLD = fast_threshold(example_answer("catalog-api", "slo_availability"))
PAYMENTS_OBJECTIVE = example_answer("payments-api", "slo_availability")
PAYMENTS_FAST_THRESHOLD = fast_threshold(PAYMENTS_OBJECTIVE)
PAYMENTS_SLA = sla_commitment(PAYMENTS_OBJECTIVE)
CATALOG_STRATEGY = example_answer("catalog-api", "dr_strategy")
OTHER_STRATEGY = next(s for s in ("pilot_light", "backup_restore") if s != CATALOG_STRATEGY)
PAYMENTS_RTO = example_answer("payments-api", "rto_minutes")
# Prod replicas of the examples' tiers: the mutations run one fewer.
CATALOG_REPLICAS = POLICY.tier(int(example_answer("catalog-api", "tier"))).prod_min_replicas
PAYMENTS_REPLICAS = POLICY.tier(int(example_answer("payments-api", "tier"))).prod_min_replicas

MUTATIONS = [
    # --- ownership: ownership, contacts, escalation ---------------------------------------
    Mutation(
        "codeowners-removed-github",
        "payments-api",
        Delete(CODEOWNERS_GITHUB),
        "ownership",
        (says(CODEOWNERS_GITHUB, "missing"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "codeowners-removed-gitlab",
        "inventory-sync",
        Delete(".gitlab/CODEOWNERS"),
        "ownership",
        (says(".gitlab/CODEOWNERS", "missing"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "a-person-as-catalog-owner",
        "catalog-api",
        Replace("catalog-info.yaml", 'owner: "group:catalog"', 'owner: "user:jdoe"'),
        "ownership",
        (says("catalog-info.yaml:", "user:jdoe", "a person"),),
    ),
    Mutation(
        "a-person-in-codeowners",
        "payments-api",
        Replace(
            CODEOWNERS_GITHUB, f"/terraform/                 @{ORG}/payments", "/terraform/ @jdoe"
        ),
        "ownership",
        (says(".github/CODEOWNERS:8", "@jdoe", "a person"),),
    ),
    # shared: SRE reviews Terraform and the chart.
    Mutation(
        "codeowners-not-following-the-model",
        "payments-api",
        Replace(
            CODEOWNERS_GITHUB,
            f"/helm/                      @{ORG}/payments @{ORG}/{SRE}",
            f"/helm/ @{ORG}/payments",
        ),
        "ownership",
        (says(".github/CODEOWNERS:", "values-prod.yaml", f"@{ORG}/{SRE}"),),
    ),
    Mutation(
        "catalog-owner-other-than-the-team",
        "payments-api",
        Replace("catalog-info.yaml", 'owner: "group:payments"', 'owner: "group:checkout"'),
        "ownership",
        (says("catalog-info.yaml:", "group:checkout", "payments"),),
    ),
    Mutation(
        "a-raci-row-without-accountable",
        "docs-portal",
        raci_without_on_call,
        "ownership",
        (says(OWNERSHIP_DOC, "no row 'On-call'"),),
    ),
    Mutation(
        "escalation-without-sre-under-shared-ownership",
        "payments-api",
        tuple(
            Replace(doc, old, new, count=-1)
            for doc in (OWNERSHIP_DOC, ESCALATION_DOC)
            for old, new in ((SRE, PLATFORM), ("SRE", "Platform"))
        ),
        "escalation",
        (says(OWNERSHIP_DOC, SRE),),
        exit=0,  # scored, not required
    ),
    Mutation(
        "a-single-level-paging-escalation",
        "catalog-api",
        one_paging_level,
        "escalation",
        (says("docs/ESCALATION.md:", "`## Paging escalation` has 1 numbered level(s)"),),
        exit=0,  # scored, not required
    ),
    # --- slo: sli, slo, sla ---------------------------------------------------------------
    Mutation(
        "latency-threshold-off-the-buckets",
        "payments-api",
        Replace(SLOS, 'le=~\\"0\\\\\\\\.250*\\"', 'le=~\\"0\\\\\\\\.30*\\"'),
        "sli",
        (says(f"{SLOS}:", "latency", "bucket boundary"),),
    ),
    Mutation(
        "slo-rule-file-deleted",
        "catalog-api",
        Delete(SLO_RULES),
        "slo",
        (says(SLO_RULES, "missing"),),
        exit=1,
    ),
    Mutation(
        "objective-edited-away-from-the-answers",
        "catalog-api",
        Replace(SLOS, f"objective: {CATALOG_OBJECTIVE}", "objective: 97.5"),
        "slo",
        (says(f"{SLOS}:", "objective 97.5", CATALOG_OBJECTIVE),),
    ),
    Mutation(
        "tier-3-paging",
        "docs-portal",
        Replace(SLO_RULES, 'severity: "ticket"', 'severity: "page"'),
        "slo",
        (says(f"{SLO_RULES}:", "tickets only"),),
    ),
    # 14.4 x the 10% budget of a 90% objective: an error ratio no service can reach.
    Mutation(
        "a-page-that-can-never-fire",
        "catalog-api",
        Replace(
            SLO_RULES,
            'slo:sli_error:ratio_rate1h{service="catalog-api",slo="availability"} > '
            + CATALOG_FAST_THRESHOLD,
            'slo:sli_error:ratio_rate1h{service="catalog-api",slo="availability"} > 1.44',
        ),
        "slo",
        (says(f"{SLO_RULES}:", "1.44", "it never fires"),),
    ),
    Mutation(
        "sla-not-below-the-slo",
        "payments-api",
        Replace("docs/SLA.md", f"commitment:** {PAYMENTS_SLA}%", "commitment:** 99.999%"),
        "sla",
        (says("docs/SLA.md:", "99.999%", "not below"),),
        exit=0,  # scored, not required ...
        also=(Run(("--min-score", "100"), exit=1),),  # ... unless every point is asked for
    ),
    # --- delivery: deploy-strategy, ci, cd, static-analysis, rollback ---------------------
    Mutation(
        "a-release-gate-that-can-never-fail",
        "payments-api",
        Replace(
            "helm/payments-api/templates/analysistemplate.yaml",
            f'failureCondition: "result[0] > {PAYMENTS_FAST_THRESHOLD}"',
            'failureCondition: "result[0] > 1.44"',
        ),
        "deploy-strategy",
        (says("helm/payments-api/templates/analysistemplate.yaml:", "1.44", "no ratio"),),
        others_pass=True,
    ),
    Mutation(
        "no-tests-on-pull-requests",
        "catalog-api",
        (
            Replace(PR_WORKFLOW, "make -n test", "true"),
            Replace(PR_WORKFLOW, "make test", "echo no tests", count=-1),
        ),
        "ci",
        (says(PR_WORKFLOW, "tests"),),
    ),
    Mutation(
        "a-missing-gitlab-include",
        "inventory-sync",
        Delete("ci/gitlab/checks.yml"),
        "ci",
        (says(".gitlab-ci.yml:", "ci/gitlab/checks.yml", "does not exist"),),
    ),
    Mutation(
        "gitlab-prod-deploy-without-approval",
        "inventory-sync",
        Replace("ci/gitlab/deploy.yml", "      when: manual\n", ""),
        "cd",
        (says("ci/gitlab/deploy.yml:", "deploy:prod", "without an approval"),),
    ),
    Mutation(
        "prod-deploy-without-slo-gate",
        "catalog-api",
        Replace(
            ".github/workflows/deploy.yml",
            "run: python3 ci/slo_gate.py --env prod",
            "run: echo skipped",
        ),
        "cd",
        (says(".github/workflows/deploy.yml:", "deploy-prod", "SLO gate"),),
    ),
    # Prod approvers: ci/protect_environments.py follows the model and is applied.
    Mutation(
        "the-team-approving-prod-under-sre-only",
        "docs-portal",
        Replace(PROTECT, f'"prod": ["{SRE}"]', '"prod": ["devex"]'),
        "cd",
        (says(f"{PROTECT}:", "prod approvers devex", f"the sre_only model needs {SRE} only"),),
        exit=1,
        fix_says=f'APPROVERS["prod"] in ci/protect_environments.py ["{SRE}"]',
        others_pass=True,
    ),
    Mutation(
        "a-shared-service-without-sre-approving",
        "payments-api",
        Replace(PROTECT, f'"prod": {json.dumps(["payments", SRE])}', '"prod": ["payments"]'),
        "cd",
        (says(f"{PROTECT}:", "prod approvers payments", f"shared model needs payments or {SRE}"),),
        exit=1,
    ),
    Mutation(
        "approvers-read-as-python-reads-them",
        "payments-api",
        approvers_rewritten,
        "cd",
        (says(f"{PROTECT}:"),),
        exit=0,
        passes=True,
    ),
    Mutation(
        "approvers-that-cannot-be-read",
        "catalog-api",
        Replace(PROTECT, '"prod": ["catalog"],', '"prod": [ORG + "-admins"],'),
        "cd",
        (says(f"{PROTECT}:", "APPROVERS['prod'] is not a literal list"),),
    ),
    Mutation(
        "a-lower-environment-waiting-for-approval",
        "catalog-api",
        Replace(PROTECT, '"staging": [],', '"staging": ["catalog"],'),
        "cd",
        (says(f"{PROTECT}:", "staging approvers catalog", "deploys on merge"),),
    ),
    # The workflow still calls the script, but nothing it could apply is left.
    Mutation(
        "protection-script-deleted",
        "catalog-api",
        Delete(PROTECT),
        "cd",
        (says(PROTECT, "missing"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "protection-workflow-removed",
        "docs-portal",
        Delete(PROTECT_WORKFLOW),
        "cd",
        (says(PROTECT_WORKFLOW, "missing", "no job applies"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "a-protection-workflow-that-only-dry-runs",
        "payments-api",
        Replace(PROTECT_WORKFLOW, f"run: python {PROTECT}", f"run: python {PROTECT} --dry-run"),
        "cd",
        (says(PROTECT_WORKFLOW, "no job applies"),),
    ),
    Mutation(
        "a-gitlab-job-that-ignores-changes-of-the-script",
        "inventory-sync",
        Replace("ci/gitlab/protect-environments.yml", f'        - "{PROTECT}"\n', ""),
        "cd",
        (
            says(
                "ci/gitlab/protect-environments.yml:",
                "protect:environments",
                "no push to main that changes it starts the job",
            ),
        ),
    ),
    Mutation(
        "checkov-removed-from-ci",
        "catalog-api",
        YamlDelete(PR_WORKFLOW, ("jobs", "checkov")),
        "static-analysis",
        (says(PR_WORKFLOW, "checkov"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "checkov-soft-fail",
        "inventory-sync",
        Replace("ci/gitlab/checks.yml", "--quiet --compact", "--quiet --compact --soft-fail"),
        "static-analysis",
        (says("ci/gitlab/checks.yml:", "--soft-fail"),),
    ),
    # GitLab includes are found wherever they live.
    Mutation(
        "gitlab-includes-moved",
        "inventory-sync",
        gitlab_includes_moved,
        "static-analysis",
        (says(".gitlab/ci/checks.yml:"),),
        exit=0,
        passes=True,
        score=100,
    ),
    Mutation(
        "rollback-workflow-removed",
        "docs-portal",
        Delete(".github/workflows/rollback.yml"),
        "rollback",
        (says(".github/workflows/rollback.yml", "missing"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "gitlab-rollback-jobs-removed",
        "inventory-sync",
        (
            Delete("ci/gitlab/rollback.yml"),
            Replace(".gitlab-ci.yml", "  - local: ci/gitlab/rollback.yml\n", ""),
        ),
        "rollback",
        (says(".gitlab-ci.yml", "no manual CI job rolls prod back"),),
    ),
    # --- data: dr-plan, backups -----------------------------------------------------------
    Mutation(
        "dr-rto-not-matching-the-answers",
        "payments-api",
        Replace(DR_PLAN, f"- **RTO:** {PAYMENTS_RTO} minutes", "- **RTO:** 9999 minutes"),
        "dr-plan",
        (says(f"{DR_PLAN}:", "RTO 9999 minutes", f"{PAYMENTS_RTO} minutes"),),
        exit=1,
    ),
    Mutation(
        "dr-strategy-not-matching-the-answers",
        "catalog-api",
        Replace(DR_PLAN, f"**Strategy:** {CATALOG_STRATEGY}", f"**Strategy:** {OTHER_STRATEGY}"),
        "dr-plan",
        (says(f"{DR_PLAN}:", OTHER_STRATEGY, CATALOG_STRATEGY),),
    ),
    Mutation(
        "a-dr-plan-never-tested",
        "inventory-sync",
        DropLines(DR_PLAN, r"(?i)test|drill|exercise|game ?day"),
        "dr-plan",
        (says(DR_PLAN, "no test procedure"),),
    ),
    Mutation(
        "rds-backup-retention-below-tier-1",
        "payments-api",
        RETENTION_1,
        "backups",
        (
            says(f"{PROD_ROOT}:", "backup_retention_days = 1", f"at least {BACKUP_DAYS[1]}"),
            says(f"{POSTGRES}:", f"tier 1 needs at least {BACKUP_DAYS[1]}"),
        ),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "rds-backup-retention-below-tier-2",
        "catalog-api",
        RETENTION_1,
        "backups",
        (
            says(f"{PROD_ROOT}:", "backup_retention_days = 1", f"at least {BACKUP_DAYS[2]}"),
            says(f"{POSTGRES}:", f"tier 2 needs at least {BACKUP_DAYS[2]}"),
        ),
        exit=1,
        others_pass=True,
    ),
    # The bucket module is called once per bucket: each one is named.
    Mutation(
        "s3-versioning-suspended",
        "docs-portal",
        Replace(BUCKET, 'status = "Enabled"', 'status = "Suspended"'),
        "backups",
        tuple(
            says(f"{BUCKET}:", f"module.{module}.aws_s3_bucket_versioning.this", "Suspended")
            for module in ("data_bucket", "logs_bucket")
        ),
    ),
    Mutation(
        "a-lower-tier-in-the-prod-root",
        "payments-api",
        Replace(PROD_ROOT, "  tier        = 1\n", "  tier        = 3\n"),
        "backups",
        (says(f"{PROD_ROOT}:", "tier = 3"),),
    ),
    # --- runtime: redundancy, observability, security-context -----------------------------
    # The chart's schema refuses one replica too; the check names the value either way.
    Mutation(
        "one-prod-replica",
        "catalog-api",
        Replace(
            "helm/catalog-api/values-prod.yaml",
            f"replicaCount: {CATALOG_REPLICAS}",
            f"replicaCount: {CATALOG_REPLICAS - 1}",
        ),
        "redundancy",
        (
            says(
                "helm/catalog-api/values-prod.yaml:8",
                f"replicaCount {CATALOG_REPLICAS - 1}",
                f"at least {CATALOG_REPLICAS}",
            ),
        ),
        exit=1,
    ),
    Mutation(
        "hpa-floor-below-tier",
        "payments-api",
        Replace(
            "helm/payments-api/values-prod.yaml",
            f"minReplicas: {PAYMENTS_REPLICAS}",
            f"minReplicas: {PAYMENTS_REPLICAS - 1}",
        ),
        "redundancy",
        (
            says(
                "helm/payments-api/values-prod.yaml:",
                f"minReplicas {PAYMENTS_REPLICAS - 1}",
                f"at least {PAYMENTS_REPLICAS}",
            ),
        ),
    ),
    Mutation(
        "no-pdb",
        "docs-portal",
        Delete("helm/docs-portal/templates/pdb.yaml"),
        "redundancy",
        (says("helm/docs-portal/templates", "no PodDisruptionBudget"),),
        exit=1,
        others_pass=True,
    ),
    Mutation(
        "no-zone-spread-for-tier-2",
        "catalog-api",
        Append(
            "helm/catalog-api/values-prod.yaml", "\ntopologySpread:\n  zone:\n    enabled: false\n"
        ),
        "redundancy",
        (says("helm/catalog-api/values-prod.yaml:", "topology.kubernetes.io/zone"),),
    ),
    Mutation(
        "rds-without-multi-az",
        "catalog-api",
        Replace(
            POSTGRES,
            "multi_az                  = local.tier_settings.multi_az",
            "multi_az                  = false",
        ),
        "redundancy",
        (says(f"{POSTGRES}:", "multi_az = false"),),
    ),
    Mutation(
        "scraping-turned-off-in-prod",
        "docs-portal",
        Append("helm/docs-portal/values-prod.yaml", "\nserviceMonitor:\n  enabled: false\n"),
        "observability",
        (says("helm/docs-portal/values-prod.yaml:", "no ServiceMonitor"),),
    ),
    Mutation(
        "pss-violation-refused-by-the-chart-schema",
        "payments-api",
        Append("helm/payments-api/values-prod.yaml", HOST_PATH),
        "security-context",
        (says("helm/payments-api/values-prod.yaml", "does not render", "hostPath"),),
        exit=1,
    ),
    # With the schema's guard gone the chart renders; the prod values are named, dev's not.
    Mutation(
        "pss-violation-in-values-prod",
        "payments-api",
        (
            JsonDelete(
                "helm/payments-api/values.schema.json",
                ("properties", "extraVolumes", "items", "propertyNames"),
            ),
            Append("helm/payments-api/values-prod.yaml", HOST_PATH),
        ),
        "security-context",
        (says("helm/payments-api/values-prod.yaml:", "prod:", "hostPath not allowed"),),
        absent=("helm/payments-api/values-dev.yaml:",),
    ),
    Mutation(
        "privilege-escalation-in-the-template",
        "catalog-api",
        Replace(
            "helm/catalog-api/templates/_helpers.tpl",
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        ),
        "security-context",
        (says("helm/catalog-api/templates/_helpers.tpl:", "allowPrivilegeEscalation"),),
    ),
    # --- alerting: alert-routing, runbooks ------------------------------------------------
    Mutation(
        "an-alert-without-team-label",
        "payments-api",
        Replace(SLO_RULES, '          team: "payments"\n', ""),
        "alert-routing",
        (says(f"{SLO_RULES}:", "no team label"),),
        exit=1,
    ),
    Mutation(
        "pages-routed-to-chat",
        "catalog-api",
        Replace(ROUTE, 'receiver: "catalog-api-page"', 'receiver: "catalog-api-ticket"'),
        "alert-routing",
        (says(f"{ROUTE}:", "page alert", "policy"),),
    ),
    Mutation(
        "tickets-routed-nowhere",
        "docs-portal",
        Replace(ROUTE, '  - name: "docs-portal-ticket"', '  - name: "docs-portal-chat"'),
        "alert-routing",
        (says(ROUTE, "not defined"),),
    ),
    # The page goes to the team's policy again, as before SRE's on-call was asked for.
    Mutation(
        "sre-only-page-to-the-team-policy",
        Rendered({"ownership_model": "sre_only", "sre_escalation_policy": "PSRE1"}),
        Replace(ROUTE, 'escalation_policy: "PSRE1"', 'escalation_policy: "PCATALOG1"'),
        "alert-routing",
        (says(f"{ROUTE}:", "page alert", "PSRE1", f"of {SRE}"),),
    ),
    Mutation(
        "route-for-every-service",
        "catalog-api",
        Replace(ROUTE, '  matchers:\n    - "service=\\"catalog-api\\""\n', ""),
        "alert-routing",
        (says(f"{ROUTE}:", 'service="catalog-api"', "shared"),),
    ),
    Mutation(
        "receiver-named-per-team",
        "inventory-sync",
        Replace(ROUTE, "inventory-sync-page", "fulfilment-page", 2),
        "alert-routing",
        (says(f"{ROUTE}:", "'fulfilment-page'", "collides"),),
    ),
    Mutation(
        "shared-pages-not-mirrored-to-sre",
        "payments-api",
        Replace(ROUTE, "      continue: true\n", ""),
        "alert-routing",
        (says(f"{ROUTE}:", "page alert", SRE_CHANNEL),),
    ),
    Mutation(
        "alarm-without-action",
        "catalog-api",
        Replace(
            POSTGRES,
            "alarm_actions       = [aws_sns_topic.this.arn]",
            "alarm_actions       = []",
        ),
        "alert-routing",
        (says(f"{POSTGRES}:", "alarm_actions"),),
    ),
    # An answers file edited past the questionnaire: tier 2 pages, nobody carries a pager.
    Mutation(
        "a-paging-tier-without-a-pager",
        "docs-portal",
        Replace(".copier-answers.yml", "tier: 3", "tier: 2"),
        "alert-routing",
        (says(".copier-answers.yml:", "tier 2 pages on fast burn", "'none'"),),
    ),
    Mutation(
        "runbook-an-alert-points-to-deleted",
        "payments-api",
        Delete("docs/runbooks/slo-latency.md"),
        "runbooks",
        (says("docs/runbooks/slo-latency.md", "missing", "ErrorBudgetFastBurn"),),
        exit=1,
        others_pass=True,
    ),
]


# --- the test -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _helm() -> None:
    require_helm()


def _base(mutation: Mutation, request: pytest.FixtureRequest, example_copy: Breakable) -> Path:
    if isinstance(mutation.base, str):
        return example_copy(mutation.base)
    render = request.getfixturevalue("render")
    minimal_answers = request.getfixturevalue("minimal_answers")
    repo: Path = render({**minimal_answers, **mutation.base.answers})
    _, data = report(repo)
    assert check(data, mutation.check)["status"] == "pass"
    return repo


def _checked(mutation: Mutation, repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run readiness; the check passes or fails as the mutation says, failing with a fix."""
    code, data = report(repo, *args)
    result = check(data, mutation.check)
    if mutation.passes:
        assert result["status"] == "pass", result
    else:
        assert result["status"] == "fail", result
        assert result["fix"]
    return code, data


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda mutation: mutation.name)
def test_mutation(
    mutation: Mutation, request: pytest.FixtureRequest, example_copy: Breakable
) -> None:
    repo = _base(mutation, request, example_copy)
    for edit in mutation.edit if isinstance(mutation.edit, tuple) else (mutation.edit,):
        edit(repo)
    code, data = _checked(mutation, repo)
    result = check(data, mutation.check)
    if mutation.exit is not None:
        assert code == mutation.exit, result
    for path, words in mutation.evidence:
        lines = [e for e in result["evidence"] if e.startswith(path)]
        assert lines, (path, result["evidence"])
        assert any(all(w in line for w in words) for line in lines), (words, lines)
    for path in mutation.absent:
        assert not any(e.startswith(path) for e in result["evidence"]), (path, result)
    assert mutation.fix_says in result["fix"]
    if mutation.others_pass:
        failed = {c["id"] for c in data["checks"] if c["status"] == "fail"}
        assert failed - {mutation.check} == set()
    if mutation.score is not None:
        assert data["score"] == mutation.score
    for run in mutation.also:
        code, _ = _checked(mutation, repo, *run.args)
        assert code == run.exit
