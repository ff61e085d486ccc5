"""Where the checks look: the files and folders of a generated repository, the contract
names they must carry and the commands CI must run."""

from __future__ import annotations

PROD = "prod"
CATALOG = "catalog-info.yaml"
OWNERSHIP_DOC = "docs/OWNERSHIP.md"
ESCALATION_DOC = "docs/ESCALATION.md"
SLA_DOC = "docs/SLA.md"
RUNBOOKS = "docs/runbooks"
DR_RUNBOOK = f"{RUNBOOKS}/disaster-recovery.md"
ROLLBACK_RUNBOOK = f"{RUNBOOKS}/rollback.md"
SLOS = "observability/slos.yaml"
RULES_DIR = "observability/prometheus"
RULES_FILE = f"{RULES_DIR}/slo-rules.yaml"
ROUTE = "observability/alertmanager/route.yaml"
PROD_ROOT = "terraform/envs/prod"
COMMON_SH = "ci/common.sh"
RACI_ROWS = (
    "Code",
    "Deploys",
    "Infrastructure",
    "On-call",
    "Incident command",
    "Rollback",
    "Post-incident review",
)
RUNBOOK_SECTIONS = ("Symptoms", "Impact", "Diagnosis", "Mitigation", "Escalation", "Verification")
CONTRACT_RUNBOOKS = ("rollback", "deploy-failure", "disaster-recovery", "dependency-outage")
HOSTNAME_KEY = "kubernetes.io/hostname"
ZONE_KEY = "topology.kubernetes.io/zone"
WORKLOADS = ("Deployment", "Rollout", "StatefulSet")
TEST_COMMAND = (
    r"\bmake\s+(\S+\s+)*test\b|\bpytest\b|\bgo test\b|\b(npm|pnpm|yarn)( run)? test\b"
    r"|\bmvn\b.*\b(test|verify)\b|\bgradlew?\b.*\b(test|check)\b|\bcargo test\b|\btox\b"
)
BUILD_COMMAND = (
    r"\bdocker (buildx )?build\b|\bbuildah (bud|build)\b|\bkaniko\b|\bmake build\b"
    r"|\bgo build\b|\b(npm|pnpm|yarn)( run)? build\b|\bmvn\b.*\bpackage\b|\bcargo build\b"
)
DEPLOY_COMMAND = r"ci/deploy\.sh|\bhelm\s+upgrade\b|\bhelm\s+install\b|\bkubectl\s+apply\b"
ROLLBACK_COMMAND = r"ci/rollback\.sh|\bhelm\s+rollback\b|\brollouts\s+undo\b"
HELM_ROLLBACK = r"\bhelm\b.*\brollback\b|set -- rollback|\brollouts\s+undo\b"
