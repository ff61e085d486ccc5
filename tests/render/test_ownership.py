"""CODEOWNERS follows the ownership model (docs/ownership.md), for GitHub and GitLab alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SRE_ON_CALL, Render, load_yaml


def _owners(path: Path) -> dict[str, list[str]]:
    rules = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            rules[pattern] = owners
    return rules


def _owner_of(rules: dict[str, list[str]], path: str) -> list[str]:
    """The owners of a repository path: the last matching pattern wins, as on the git hosts."""
    found: list[str] = []
    for pattern, owners in rules.items():
        if pattern == "*" or path.startswith(pattern.lstrip("/")):
            found = owners
    return found


def _handles(repo: Path) -> dict[str, str]:
    """The group handles of the service team, SRE and the platform team, as the answers
    ``repo`` was rendered with name them (org and team slugs)."""
    answers = load_yaml(repo / ".copier-answers.yml")
    org = answers["org"]
    return {
        TEAM: f"@{org}/{answers['team']}",
        SRE: f"@{org}/{answers['sre_team']}",
        PLATFORM: f"@{org}/{answers['platform_team']}",
    }


TEAM, SRE, PLATFORM = "team", "sre", "platform"
EXPECTED = {
    # model: {path: owners, by role}
    "dev_only": {
        "terraform/envs/prod/main.tf": [TEAM],
        "helm/catalog-api/values.yaml": [TEAM],
        "src/app.py": [TEAM],
    },
    "shared": {
        "terraform/envs/prod/main.tf": [TEAM, SRE],
        "helm/catalog-api/values.yaml": [TEAM, SRE],
        "src/app.py": [TEAM],
    },
    "platform": {
        "terraform/envs/prod/main.tf": [PLATFORM],
        "helm/catalog-api/values.yaml": [PLATFORM],
        "observability/slos.yaml": [PLATFORM],
        "src/app.py": [TEAM],
    },
    "sre_only": {
        "terraform/envs/prod/main.tf": [SRE],
        "helm/catalog-api/values.yaml": [SRE],
        "src/app.py": [SRE],
        "docs/runbooks/README.md": [TEAM, SRE],
    },
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
@pytest.mark.parametrize(
    ("provider", "location"), [("github", ".github/CODEOWNERS"), ("gitlab", ".gitlab/CODEOWNERS")]
)
def test_codeowners_follow_the_ownership_model(
    render: Render, minimal_answers: dict[str, Any], model: str, provider: str, location: str
) -> None:
    repo = render(
        {
            **minimal_answers,
            **SRE_ON_CALL,
            "ownership_model": model,
            "ci_provider": provider,
            "environments": ["prod"],
        }
    )
    rules = _owners(repo / location)
    handles = _handles(repo)
    for path, owners in EXPECTED[model].items():
        assert _owner_of(rules, path) == [handles[role] for role in owners], (model, path)
    other = ".gitlab/CODEOWNERS" if provider == "github" else ".github/CODEOWNERS"
    assert not (repo / other).exists()
    ci_path = "/.github/" if provider == "github" else "/.gitlab-ci.yml"
    if model == "platform":
        assert rules[ci_path] == [handles[PLATFORM]]


def test_owners_are_groups_never_people(render: Render, minimal_answers: dict[str, Any]) -> None:
    for model in EXPECTED:
        repo = render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model})
        rules = _owners(repo / ".github/CODEOWNERS")
        org = load_yaml(repo / ".copier-answers.yml")["org"]
        assert all(owner.startswith(f"@{org}/") for owners in rules.values() for owner in owners)
