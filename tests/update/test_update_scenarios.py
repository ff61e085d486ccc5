"""A hand-edited service takes a template release with `copier update`, for every example.

Copier's own shape: template v0.1.0 in a git repository, copy, commit, the team's edits,
template v0.2.0 (a line changed, a file added, a question added, a default changed, an answer
renamed with a migration), `copier update`, then check what the team would check.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.validate import validate
from generator.validators import Status
from tests.conftest import (
    EXAMPLES,
    ROOT,
    example_files,
    git,
    load_yaml,
    require,
    require_crd_schemas,
    require_helm,
    require_tool,
)
from tests.update.conftest import (
    MAX_REPLICAS_V2,
    MIGRATION,
    README_V2,
    RENAME,
    RUNBOOK_V2,
    TEAM_DOCKERFILE,
    TEAM_MEMORY,
    TEAM_README,
    TEAM_RUNBOOK,
    TEAM_SRC_README,
    TEAM_TERRAFORM,
    V2,
    TemplateReleases,
    copy_service,
    files_with_markers,
    service_name,
    take_ours,
    team_edits,
    update,
    values_prod,
)

NAMES = [path.stem for path in example_files()]


@dataclass(frozen=True)
class Updated:
    """A service right after `copier update` to v0.2.0, conflicts not yet resolved."""

    example: str
    answers: dict[str, Any]
    service: Path


@pytest.fixture(scope="session", params=NAMES)
def updated(
    request: pytest.FixtureRequest,
    template_releases: TemplateReleases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Updated:
    answers = load_yaml(EXAMPLES / f"{request.param}.yml")
    service = tmp_path_factory.mktemp(f"updated-{request.param}") / "service"
    copy_service(template_releases.path, service, answers)
    team_edits(service)
    update(service, V2)
    return Updated(request.param, answers, service)


@pytest.fixture(scope="session")
def resolved(updated: Updated, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The updated service after the team resolved the conflict (keeping its pod size)."""
    service = tmp_path_factory.mktemp(f"resolved-{updated.example}") / "service"
    shutil.copytree(updated.service, service, symlinks=True)
    take_ours(values_prod(service))
    git(service, "add", "-A")
    git(service, "commit", "-qm", f"template {V2}")
    return service


def _read(service: Path, name: str) -> str:
    return (service / name).read_text(encoding="utf-8")


def test_no_team_edit_is_lost(updated: Updated) -> None:
    service = updated.service
    prod = values_prod(service).read_text(encoding="utf-8")
    assert prod.endswith(
        '    value: "https://api.psp.example"\npodAnnotations:\n'
        '  team.acme.example/dashboard: "https://grafana.acme.example/d/service"\n'
    )
    assert TEAM_MEMORY in prod
    assert _read(service, "terraform/envs/prod/team.tf") == TEAM_TERRAFORM
    assert _read(service, "docs/runbooks/README.md").endswith(TEAM_RUNBOOK)
    assert _read(service, "README.md").endswith(TEAM_README)
    assert _read(service, "src/README.md") == TEAM_SRC_README, "the placeholder is the team's"
    assert _read(service, "Dockerfile") == TEAM_DOCKERFILE
    assert not (service / ".pre-commit-config.yaml").exists(), "a deleted file stays deleted"


def test_template_changes_arrive(updated: Updated) -> None:
    service = updated.service
    tier = updated.answers.get("tier", 2)
    prod = load_yaml(service / "helm" / service_name(service) / "values.yaml")
    assert prod["autoscaling"]["maxReplicas"] == MAX_REPLICAS_V2[tier]
    assert f"maxReplicas: {MAX_REPLICAS_V2[tier]}\n" in values_prod(service).read_text()
    staging = service / "helm" / service_name(service) / "values-staging.yaml"
    if staging.exists():
        assert load_yaml(staging)["resources"]["requests"]["cpu"] == "250m"
    assert README_V2 in _read(service, "README.md")
    assert RUNBOOK_V2 in _read(service, "docs/runbooks/README.md")
    assert _read(service, "docs/operations.md").startswith(f"# {service_name(service)} operations")
    assert "Applications log at `info`" in _read(service, "docs/operations.md")


def test_overlapping_edits_are_left_as_conflict_markers(updated: Updated) -> None:
    service = updated.service
    assert files_with_markers(service) == [str(values_prod(service).relative_to(service))]
    text = values_prod(service).read_text(encoding="utf-8")
    ours = text.split("<<<<<<< before updating\n", 1)[1].split("=======\n", 1)[0]
    theirs = text.split("=======\n", 1)[1].split(">>>>>>> after updating\n", 1)[0]
    assert TEAM_MEMORY in ours
    assert 'cpu: "500m"' in ours
    assert 'cpu: "250m"' in theirs
    unmerged = git(service, "diff", "--name-only", "--diff-filter=U").split()
    assert unmerged == [str(values_prod(service).relative_to(service))]


def test_no_rejected_hunks(updated: Updated) -> None:
    assert sorted(updated.service.rglob("*.rej")) == []


def test_answers_file_is_at_the_new_release(updated: Updated) -> None:
    recorded = load_yaml(updated.service / ".copier-answers.yml")
    assert recorded["_commit"] == V2
    old, new = RENAME
    assert old not in recorded, "the migration renamed the answer"
    assert recorded[new] == updated.answers[old]
    assert recorded["log_level"] == "info", "a new question gets its default"
    # A changed default does not change an answer the repository already recorded.
    assert recorded["slo_latency_target"] == updated.answers.get("slo_latency_target", 99.0)


def test_renamed_answer_still_reaches_the_outputs(updated: Updated) -> None:
    cost_centre = updated.answers[RENAME[0]]
    providers = _read(updated.service, "terraform/envs/prod/providers.tf")
    assert re.search(rf'"cost-center" += "{re.escape(cost_centre)}"\n', providers)
    assert f"| Cost centre | {cost_centre} |" in _read(updated.service, "README.md")


def test_second_update_is_a_no_op(resolved: Path) -> None:
    head = git(resolved, "rev-parse", "HEAD")
    update(resolved, V2)
    assert git(resolved, "status", "--porcelain") == ""
    assert git(resolved, "rev-parse", "HEAD") == head


VALIDATOR_TOOLS = ("terraform", "checkov", "promtool", "amtool", "shellcheck")


@pytest.mark.slow
def test_updated_repository_passes_validate(resolved: Path) -> None:
    for tool in VALIDATOR_TOOLS:
        require_tool(tool)
    require_helm()
    require_crd_schemas()
    require(bool(os.environ.get("TF_PLUGIN_DIR")), "TF_PLUGIN_DIR is not set (provider mirror)")
    report = validate(resolved, require_all=True)
    failures = [
        f"{o.validator}: {o.summary}\n{o.details}"
        for o in report.outcomes
        if o.status is not Status.PASSED
    ]
    assert not failures, "\n\n".join(failures)


def test_the_documented_migration_is_the_one_tested_here() -> None:
    docs = (ROOT / "docs" / "upgrading.md").read_text(encoding="utf-8")
    block = docs.split("```yaml\n   _migrations:\n", 1)[1].split("   ```", 1)[0]
    unindented = "".join(line.removeprefix("   ") for line in block.splitlines(keepends=True))
    assert "_migrations:\n" + unindented == MIGRATION
    config = (ROOT / "copier.yml").read_text(encoding="utf-8")
    commented = config.split("#   - version:", 1)[1].split("\n_migrations:", 1)[0]
    entry = "  - version:" + commented.replace("\n#   ", "\n  ")
    entry = entry.replace("old_name, new_name", ", ".join(RENAME))
    assert "_migrations:\n" + entry + "\n" == MIGRATION
