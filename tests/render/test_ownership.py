"""CODEOWNERS follows the ownership model (docs/ownership.md), for GitHub and GitLab alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SRE_ON_CALL, Render


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


TEAM, SRE, PLATFORM = "@acme/catalog", "@acme/sre", "@acme/platform"
EXPECTED = {
    # model: {path: owners}
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
    for path, owners in EXPECTED[model].items():
        assert _owner_of(rules, path) == owners, (model, path)
    other = ".gitlab/CODEOWNERS" if provider == "github" else ".github/CODEOWNERS"
    assert not (repo / other).exists()
    ci_path = "/.github/" if provider == "github" else "/.gitlab-ci.yml"
    if model == "platform":
        assert rules[ci_path] == [PLATFORM]


def test_owners_are_groups_never_people(render: Render, minimal_answers: dict[str, Any]) -> None:
    for model in EXPECTED:
        rules = _owners(
            render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model})
            / ".github/CODEOWNERS"
        )
        assert all(owner.startswith("@acme/") for owners in rules.values() for owner in owners)
