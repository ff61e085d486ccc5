"""CODEOWNERS as GitHub and GitLab read it: which patterns match a path, and which line owns
it."""

from __future__ import annotations

import pytest

from generator.readiness.checks.ownership import _owners_of, _pattern_matches


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "src/app.py", True),
        ("/terraform/", "terraform/envs/prod/main.tf", True),
        ("/terraform/", "modules/terraform/x.tf", False),
        ("docs/", "service/docs/a.md", True),
        ("/.gitlab-ci.yml", ".gitlab-ci.yml", True),
        ("*.tf", "terraform/envs/prod/main.tf", True),
        ("/helm/**/values.yaml", "helm/api/values.yaml", True),
    ],
)
def test_codeowners_patterns(pattern: str, path: str, matches: bool) -> None:
    assert _pattern_matches(pattern, path) is matches


def test_codeowners_last_match_wins() -> None:
    rules = [(1, "*", ["@acme/team"]), (2, "/terraform/", ["@acme/platform"])]
    assert _owners_of(rules, "terraform/main.tf") == (2, ["@acme/platform"])
    assert _owners_of(rules, "README.md") == (1, ["@acme/team"])
