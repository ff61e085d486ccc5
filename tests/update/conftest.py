"""Template releases and generated services for update tests, in Copier's own test shape.

The template of this working tree becomes release v0.1.0 of a temporary git repository;
v0.2.0 evolves it the ways a platform team does (a line changed, a file added, a question
added, a default changed, an answer renamed with a migration) and v0.3.0 adds a small change
on top. A service is copied at v0.1.0, committed, and edited the ways a product team does.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import pytest

from tests.conftest import edit_policy, git, load_yaml

V1, V2, V3 = "v0.1.0", "v0.2.0", "v0.3.0"


# -- v0.2.0: what the platform team changes ------------------------------------------------

# Policy lines changed (policy.yml): a larger prod HPA ceiling for every tier, and, where
# teams also tune, the standard pod's CPU request.
MAX_REPLICAS_V2 = {1: 16, 2: 10, 3: 6}
POLICY_V2 = {
    **{f"tiers.{tier}.prod_max_replicas": ceiling for tier, ceiling in MAX_REPLICAS_V2.items()},
    "pod_sizes.standard.requests.cpu": "250m",
}
# A changed line in the README and in the runbook, away from where teams append.
README_V1 = "State is kept in the S3 bucket"
README_V2 = "Terraform state is kept in the S3 bucket"
RUNBOOK_V1 = "# What changed recently? Every deploy is a Helm revision with the image tag it ran."
RUNBOOK_V2 = (
    "# What changed recently? Every deploy is a Helm revision with the image tag it ran;\n"
    "# `helm get values` shows what it was deployed with."
)
PRE_COMMIT_V2 = "# Hooks of paved-road v0.2.0.\n"
SRC_README_V2 = "\nThe platform's newer placeholder text.\n"
# A file added, using a question added in v0.2.0.
OPERATIONS = (
    "# {{ service_name }} operations\n\n"
    "Applications log at `{{ log_level }}` unless an environment sets otherwise.\n"
)
LOG_LEVEL_QUESTION = """
log_level:
  type: str
  help: Log level the application starts with.
  choices: [debug, info, warning, error]
  default: info
"""
# A default changed: existing repositories keep the answer they recorded.
TARGET_DEFAULT_V1, TARGET_DEFAULT_V2 = "default: 99.0", "default: 99.5"
# An answer renamed, with the migration that rewrites old answers files.
RENAME = ("cost_center", "cost_centre")
RENAMED_IN = ("copier.yml", "includes/tags.jinja", "templates/README.md.jinja")
MIGRATION = """_migrations:
  - version: v0.2.0
    when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/rename_answer.py", "{{ _copier_conf.answers_file }}", cost_center, cost_centre]
"""
NOTES_V2 = """## 0.2.0

### Changed

- Larger prod HPA ceilings; a smaller CPU request for standard pods.

### Upgrade notes

- The answer `cost_center` is now `cost_centre`; `copier update` renames it in
  `.copier-answers.yml`. Rename it in answers files kept elsewhere.
- New question `log_level` (default `info`).
- `resources.requests.cpu` in values-staging.yaml and values-prod.yaml drops to 250m: check
  tuned values.

"""
NOTES_V3 = """## 0.3.0

### Upgrade notes

- docs/operations.md names the on-call escalation.

"""
OPERATIONS_V3 = "\nPages go to the on-call escalation of the team.\n"

# -- what a product team changes after the copy --------------------------------------------

TEAM_VALUES = """
# Team settings: the payment provider's sandbox in prod is a mistake we made once.
extraEnv:
  - name: PAYMENT_PROVIDER_URL
    value: "https://api.psp.example"
podAnnotations:
  team.acme.example/dashboard: "https://grafana.acme.example/d/service"
"""
TEAM_MEMORY = 'memory: "1Gi"'
TEAM_TERRAFORM = """# Team addition: the dashboard the runbook links to.
output "team_dashboard_url" {
  description = "The team's Grafana dashboard of the service."
  value       = "https://grafana.acme.example/d/service"
}
"""
TEAM_RUNBOOK = """
## Team notes: payment provider outage

Check the provider's status page first; our retries back off for 10 minutes.
"""
TEAM_README = """
## Team notes

Deploys freeze on the last Friday of the month.
"""
TEAM_SRC_README = "# Checkout service\n\nGo 1.23; `make test` runs the unit tests.\n"
TEAM_DOCKERFILE = "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path}: expected {count} x {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _release(template: Path, tag: str) -> None:
    git(template, "add", "-A")
    git(template, "commit", "-qm", f"template {tag}")
    git(template, "tag", tag)


def _add_notes(template: Path, notes: str) -> None:
    _edit(template / "CHANGELOG.md", "## 0.1.0\n", notes + "## 0.1.0\n")


def evolve_to_v2(template: Path) -> None:
    """The platform team's changes for v0.2.0, as string edits of known template files."""
    edit_policy(template, POLICY_V2)
    _edit(template / "templates" / "README.md.jinja", README_V1, README_V2)
    _edit(template / "templates" / "docs" / "runbooks" / "README.md.jinja", RUNBOOK_V1, RUNBOOK_V2)
    pre_commit = template / "templates" / ".pre-commit-config.yaml.jinja"
    pre_commit.write_text(PRE_COMMIT_V2 + pre_commit.read_text(encoding="utf-8"))
    src_readme = template / "templates" / "src" / "README.md.jinja"
    src_readme.write_text(src_readme.read_text(encoding="utf-8") + SRC_README_V2)
    (template / "templates" / "docs" / "operations.md.jinja").write_text(OPERATIONS)
    config = template / "copier.yml"
    config.write_text(config.read_text(encoding="utf-8") + LOG_LEVEL_QUESTION)
    target = config.read_text(encoding="utf-8")
    start = target.index("slo_latency_target:")
    end = target.index("\n\n", start)
    config.write_text(
        target[:start]
        + target[start:end].replace(TARGET_DEFAULT_V1, TARGET_DEFAULT_V2)
        + target[end:]
    )
    old, new = RENAME
    for name in RENAMED_IN:
        path = template / name
        text = path.read_text(encoding="utf-8")
        renamed, count = re.subn(rf"\b{old}\b", new, text)
        assert count, f"{name} does not use {old}"
        path.write_text(renamed, encoding="utf-8")
    _edit(config, "_migrations: []\n", MIGRATION)
    _add_notes(template, NOTES_V2)


@dataclass(frozen=True)
class TemplateReleases:
    """A template git repository with releases v0.1.0, v0.2.0 and v0.3.0."""

    path: Path


@pytest.fixture(scope="session")
def template_releases(
    template_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> TemplateReleases:
    template = tmp_path_factory.mktemp("releases") / "template"
    shutil.copytree(template_dir, template)
    git(template, "init", "-q", "-b", "main")
    _release(template, V1)
    evolve_to_v2(template)
    _release(template, V2)
    operations = template / "templates" / "docs" / "operations.md.jinja"
    operations.write_text(operations.read_text(encoding="utf-8") + OPERATIONS_V3)
    _add_notes(template, NOTES_V3)
    _release(template, V3)
    return TemplateReleases(template)


def copy_service(template: Path, destination: Path, answers: dict[str, Any]) -> Path:
    """Copy release v0.1.0 as a team does, and commit the result."""
    copier.run_copy(
        str(template), destination, data=answers, defaults=True, unsafe=True, vcs_ref=V1, quiet=True
    )
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", "generated from the template")
    return destination


def service_name(service: Path) -> str:
    name = load_yaml(service / ".copier-answers.yml")["service_name"]
    assert isinstance(name, str)
    return name


def values_prod(service: Path) -> Path:
    return service / "helm" / service_name(service) / "values-prod.yaml"


def team_edits(service: Path, overlapping: bool = True) -> None:
    """The edits a team makes, committed. ``overlapping`` also tunes the prod pod size on the
    lines next to the CPU request v0.2.0 changes."""
    prod_values = values_prod(service)
    if overlapping:
        _edit(prod_values, 'memory: "512Mi"', TEAM_MEMORY, count=2)
    prod_values.write_text(prod_values.read_text(encoding="utf-8") + TEAM_VALUES)
    (service / "terraform" / "envs" / "prod" / "team.tf").write_text(TEAM_TERRAFORM)
    runbook = service / "docs" / "runbooks" / "README.md"
    runbook.write_text(runbook.read_text(encoding="utf-8") + TEAM_RUNBOOK)
    readme = service / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + TEAM_README)
    (service / ".pre-commit-config.yaml").unlink()
    (service / "src" / "README.md").write_text(TEAM_SRC_README)
    (service / "Dockerfile").write_text(TEAM_DOCKERFILE)
    git(service, "add", "-A")
    git(service, "commit", "-qm", "team edits")


def update(service: Path, ref: str) -> None:
    """`copier update --trust --defaults --conflict inline --vcs-ref REF`."""
    copier.run_update(
        service,
        defaults=True,
        unsafe=True,
        overwrite=True,
        vcs_ref=ref,
        quiet=True,
        conflict="inline",
    )


def take_ours(path: Path) -> None:
    """Resolve every conflict block in ``path`` with the team's side."""
    kept: list[str] = []
    side = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            side = "ours"
        elif line.startswith("=======") and side == "ours":
            side = "theirs"
        elif line.startswith(">>>>>>> ") and side == "theirs":
            side = None
        elif side != "theirs":
            kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")


def files_with_markers(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(root).parts
        and any(
            line.startswith("<<<<<<< ")
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        )
    )
