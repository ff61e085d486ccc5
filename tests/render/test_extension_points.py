"""The places a team extends are documented where the team reads, and exist as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, example_files, load_yaml

EXAMPLES = [path.stem for path in example_files()]
# Values made for the team's additions, as the generated README lists them.
TEAM_VALUES = [
    "config",
    "extraEnv",
    "extraEnvFrom",
    "podAnnotations",
    "podLabels",
    "extraVolumes",
    "extraVolumeMounts",
    "networkPolicy.extraIngress",
    "networkPolicy.extraEgress",
    "service.annotations",
    "serviceAccount.annotations",
    "ingress.annotations",
    "serviceMonitor.labels",
]


def _section(readme: str, title: str) -> str:
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("example", EXAMPLES)
def test_readme_names_the_files_the_template_writes_in_env_roots(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    section = _section(
        (repo / "README.md").read_text(encoding="utf-8"), "Your changes and template updates"
    )
    row = next(line for line in section.splitlines() if line.startswith("| More AWS resources |"))
    listed = set(re.findall(r"`([a-z]+\.tf)`", row))
    for env_root in (repo / "terraform" / "envs").iterdir():
        assert {p.name for p in env_root.iterdir() if p.is_file()} == listed


@pytest.mark.parametrize("example", EXAMPLES)
def test_team_values_are_documented_and_exist(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    name = load_yaml(repo / ".copier-answers.yml")["service_name"]
    values = load_yaml(repo / "helm" / name / "values.yaml")
    section = _section(
        (repo / "README.md").read_text(encoding="utf-8"), "Your changes and template updates"
    )
    for key in TEAM_VALUES:
        node = values
        for part in key.split("."):
            assert part in node, f"values.yaml has no {key}"
            node = node[part]
        assert node in ({}, []), f"{key} is the team's: the template leaves it empty"
        named = {f"`{key}`", f"`{key.split('.')[-1]}`"}
        assert any(name in section for name in named), f"the README does not name {key}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_src_placeholder_states_what_the_chart_expects(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    placeholder = (repo / "src" / "README.md").read_text(encoding="utf-8")
    assert f"HTTP on {answers['container_port']}" in placeholder
    assert f"`{answers['health_path']}`" in placeholder
    assert "UID 10001" in placeholder
    assert "./Dockerfile" in placeholder


def test_files_kept_by_updates_are_files_the_template_renders(
    rendered_examples: dict[str, Path],
) -> None:
    kept = load_yaml(ROOT / "copier.yml")["_skip_if_exists"]
    assert kept
    for repo in rendered_examples.values():
        for pattern in kept:
            assert list(repo.glob(pattern)), f"_skip_if_exists names {pattern}: not rendered"
