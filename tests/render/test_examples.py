"""Every example answers file renders a repository that passes its checks with the real tools."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import hcl2
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from generator.validate import validate
from generator.validators import Status
from tests.conftest import (
    example_files,
    load_yaml,
    require,
    require_crd_schemas,
    require_helm,
    require_tool,
)

MANDATORY_TAGS = {
    "service",
    "environment",
    "team",
    "cost-center",
    "tier",
    "data-classification",
    "ownership-model",
    "repository",
    "managed-by",
}
EXAMPLES = [path.stem for path in example_files()]
ENV_ROOT_FILES = ["main.tf", "outputs.tf", "providers.tf", "variables.tf", "versions.tf"]


def _hcl(path: Path) -> dict[str, Any]:
    return hcl2.loads(path.read_text(encoding="utf-8"))


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def test_examples_cover_the_contract() -> None:
    answers = [load_yaml(path) for path in example_files()]
    assert len(answers) >= 3
    assert {a.get("tier", 2) for a in answers} == {1, 2, 3}
    assert {a.get("ownership_model", "platform") for a in answers} == {
        "dev_only",
        "shared",
        "platform",
        "sre_only",
    }
    assert {a.get("deploy_strategy", "rolling") for a in answers} == {
        "rolling",
        "canary",
        "blue_green",
    }
    assert set().union(*(a.get("datastores", []) for a in answers)) == {"postgres", "s3", "sqs"}
    assert {a.get("ci_provider", "github") for a in answers} == {"github", "gitlab"}


@pytest.mark.parametrize("example", EXAMPLES)
def test_env_roots_follow_the_answered_environments(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answered = load_yaml(repo / ".copier-answers.yml")["environments"]
    assert sorted(p.name for p in (repo / "terraform" / "envs").iterdir()) == sorted(answered)
    # One template per file renders every root (Copier's yield), each for its own environment.
    for environment in answered:
        root = repo / "terraform" / "envs" / environment
        assert sorted(p.name for p in root.glob("*.tf")) == ENV_ROOT_FILES
        module = _hcl(root / "main.tf")["module"][0]['"service"']
        assert _unquote(module["environment"]) == environment
        backend = _hcl(root / "versions.tf")["terraform"][0]["backend"][0]['"s3"']
        assert _unquote(backend["key"]).endswith(f"/{environment}/terraform.tfstate")


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_provider_block_sets_the_mandatory_tags(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    for env_dir in sorted((repo / "terraform" / "envs").iterdir()):
        providers = _hcl(env_dir / "providers.tf")
        tags = {_unquote(k): _unquote(v) for k, v in providers["locals"][0]["tags"].items()}
        assert set(tags) == MANDATORY_TAGS
        assert tags["service"] == answers["service_name"]
        assert tags["environment"] == env_dir.name
        assert tags["cost-center"] == answers["cost_center"]
        assert tags["tier"] == str(answers["tier"])
        assert tags["repository"] == answers["repository"]
        blocks = providers["provider"]
        assert len(blocks) == 2  # the primary region and the DR alias
        for block in blocks:
            (config,) = block.values()
            assert config["default_tags"][0]["tags"] == "${local.tags}"
        assert _hcl(env_dir / "main.tf")["module"][0]['"service"']["tags"] == "${local.tags}"


TERRAFORM_VALIDATORS = [
    "parse",
    "terraform-fmt",
    "terraform-validate",
    "terraform-test",
    "checkov-terraform",
]
KUBERNETES_VALIDATORS = [
    "helm-lint", "kubernetes-schema", "kubernetes-crds", "pod-security", "checkov-kubernetes",
]  # fmt: skip


def _assert_all_pass(repo: Path, names: list[str]) -> dict[str, str]:
    report = validate(repo, only=names, require_all=True)
    summaries = {outcome.validator: outcome.summary for outcome in report.outcomes}
    assert sorted(summaries) == sorted(names)
    failures = [
        f"{o.validator}: {o.summary}\n{o.details}"
        for o in report.outcomes
        if o.status is not Status.PASSED
    ]
    assert not failures, "\n\n".join(failures)
    return summaries


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_rendered_example_passes_terraform_validators(
    rendered_examples: dict[str, Path], example: str
) -> None:
    require_tool("terraform")
    require_tool("checkov")
    require(bool(os.environ.get("TF_PLUGIN_DIR")), "TF_PLUGIN_DIR is not set (provider mirror)")
    summaries = _assert_all_pass(rendered_examples[example], TERRAFORM_VALIDATORS)
    assert " 0 failed" in summaries["terraform-test"]
    assert ", 0 failed," in summaries["checkov-terraform"]


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_rendered_example_passes_kubernetes_validators(
    rendered_examples: dict[str, Path], example: str
) -> None:
    require_helm()
    require_crd_schemas()
    require_tool("checkov")
    summaries = _assert_all_pass(rendered_examples[example], KUBERNETES_VALIDATORS)
    assert " 0 error(s)" in summaries["helm-lint"]
    assert ", 0 failed," in summaries["checkov-kubernetes"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_plain_copier_cli_renders_example(template_dir: Path, tmp_path: Path, example: str) -> None:
    """The command a product team runs, with Copier's own CLI and no extension of ours."""
    copier_cli = Path(sys.executable).with_name("copier")
    answers = example_files()[EXAMPLES.index(example)]
    destination = tmp_path / example
    done = subprocess.run(
        [
            str(copier_cli),
            "copy",
            "--trust",
            "--defaults",
            "--data-file",
            str(answers),
            str(template_dir),
            str(destination),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (destination / "terraform" / "envs" / "prod" / "main.tf").is_file()
    assert (
        load_yaml(destination / ".copier-answers.yml")["service_name"]
        == load_yaml(answers)["service_name"]
    )


def test_template_needs_nothing_but_copier() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_yaml(root / "copier.yml")
    assert "_jinja_extensions" not in config
    assert "_tasks" not in config, "nothing rewrites files behind copier update's merge"
    # Migrations run scripts shipped with the template on Copier's own interpreter.
    for migration in config.get("_migrations", []):
        interpreter, script, *_ = migration["command"]
        assert interpreter == "{{ _copier_python }}"
        assert script.startswith("{{ _copier_conf.src_path }}/migrations/")
        assert (root / script.removeprefix("{{ _copier_conf.src_path }}/")).is_file()


def test_the_toolkit_installs_a_copier_the_template_accepts() -> None:
    # copier.yml's _min_copier_version is the oldest Copier the template renders with: 9.5 is
    # the first with `{% yield %}` in path names, which renders the per-environment files.
    root = Path(__file__).resolve().parents[2]
    minimum = Version(str(load_yaml(root / "copier.yml")["_min_copier_version"]))
    assert minimum >= Version("9.5")
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (copier,) = [d for d in project["dependencies"] if d.startswith("copier")]
    specifiers = SpecifierSet(copier.removeprefix("copier"))
    floors = [Version(s.version) for s in specifiers if s.operator == ">="]
    assert floors == [minimum], f"pyproject.toml's {copier!r} admits another oldest Copier"


def test_validate_takes_a_path_relative_to_the_working_directory(
    rendered_examples: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("promtool")
    repo = rendered_examples["payments-api"]
    monkeypatch.chdir(repo.parent.parent)
    relative = Path(repo.parent.name) / repo.name
    report = validate(relative, only=["promtool-check", "ci-schema", "shellcheck"])
    assert [o.status for o in report.outcomes] == [Status.PASSED] * 3, report.to_text()
