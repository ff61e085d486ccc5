"""docs/adopting.md, followed on a scratch fork: the guide's org profile and tier values
edited into policy.yml by line, the examples rewritten for the organisation, every example
rendered, validated with the real tools and scored 100 against the fork's policy. The
guide's commands are run as the guide writes them, from the fork's root; what the guide says
they print or render is asserted here, so a guide that drifts from the toolkit fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.policy import load_policy
from generator.validators.base import Context
from generator.validators.helm import rendered, targets
from tests.conftest import (
    EXAMPLES,
    ROOT,
    edit_policy,
    example_files,
    git,
    load_yaml,
    require,
    require_crd_schemas,
    require_helm,
    require_tool,
    snapshot_template,
)
from tests.fork import DOMAIN, GUIDE_POLICY, ORG, fork_examples

GUIDE = ROOT / "docs" / "adopting.md"
PAVED = str(Path(sys.executable).with_name("paved"))
NAMES = [path.stem for path in example_files()]
# The example the guide's step 4 renders and validates in full.
GUIDE_EXAMPLE = "payments-api"
# Validators that need no terraform init, provider or checkov run: seconds per repository.
# The slow ones (terraform-validate, terraform-test, checkov-*) run on the guide's example,
# whose module is the same file every example renders (terraform/modules/service, tier
# table included); what differs per example (chart values, alerts, routes, pipelines,
# scripts, Terraform formatting) the fast ones cover.
FAST_VALIDATORS = (
    "parse,terraform-fmt,helm-lint,kubernetes-schema,kubernetes-crds,pod-security,"
    "promtool-check,promtool-test,alertmanager,shellcheck,ci-schema,ci-pinning"
)


def _section(number: int) -> str:
    """Step ``number`` of the guide (``## 3. ...``) up to the next step."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{GUIDE.name} has no step {number}"
    return match.group(0)


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix[:-1]: node}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(_flatten(value, f"{prefix}{key}."))
    return flat


def _guide_changes() -> dict[str, Any]:
    """Step 3's YAML: the values the guide tells a platform team to set, by dotted key."""
    (block,) = _blocks(_section(3), "yaml")
    return _flatten(YAML(typ="safe", pure=True).load(block))


def _guide_commands(number: int) -> list[list[str]]:
    """The ``paved`` commands of step ``number``'s shell blocks, with the fork's toolkit."""
    commands = []
    for block in _blocks(_section(number), "sh"):
        for line in block.splitlines():
            words = line.split("#", 1)[0].split()
            if words and words[0] == ".venv/bin/paved":
                commands.append([PAVED, *words[1:]])
    return commands


def paved(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAVED, *args], cwd=cwd, capture_output=True, text=True, check=False, env=os.environ
    )


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Steps 1 and 3: the template forked into a git repository, then the guide's values
    set on their lines and the examples rewritten for globex, committed on a branch."""
    fork = snapshot_template(tmp_path_factory.mktemp("fork") / "paved-road")
    shutil.copytree(EXAMPLES, fork / "examples" / "answers")
    shutil.copy2(ROOT / ".gitignore", fork / ".gitignore")
    git(fork, "init", "-q")
    git(fork, "add", "-A")
    git(fork, "commit", "-qm", "upstream")
    git(fork, "switch", "-qc", ORG)
    edit_policy(fork, _guide_changes())
    fork_examples(fork / "examples" / "answers", load_policy(ROOT).org)
    git(fork, "commit", "-qam", f"{ORG}: org profile, tier 2 and examples")
    return fork


@pytest.fixture(scope="module")
def services(fork: Path) -> dict[str, Path]:
    """Step 4 for every example: rendered from the fork (the guide's example by the guide's
    own commands, in test_the_guides_example_validates_and_scores_100; here unvalidated)."""
    built = {}
    for name in NAMES:
        done = paved(
            fork, "new", f"examples/answers/{name}.yml", f"build/{name}", "--template", ".",
            "--no-validate",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "warning" not in done.stderr, done.stderr
        built[name] = fork / "build" / name
    return built


def test_the_guides_example_is_the_org_profile_and_tier_2_values() -> None:
    assert _guide_changes() == GUIDE_POLICY


def test_policy_show_names_the_lines_the_guide_says(fork: Path) -> None:
    """Step 2: the table and the JSON name each value's line, as the guide quotes them."""
    show, as_json = _guide_commands(2)
    assert show[1:] == ["policy", "show", "--template", "."]
    assert as_json[1:] == [*show[1:], "--format", "json"]
    table = subprocess.run(show, cwd=fork, capture_output=True, text=True, check=False)
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines()[1:] if line.strip() and "  " in line]
    assert all(re.search(r"policy\.yml:\d+(,\d+,\d+)?$", row) for row in rows if ":" in row)
    assert re.search(rf"^  slug\s+{ORG}\s+policy\.yml:\d+$", table.stdout, re.MULTILINE)
    shown = json.loads(subprocess.run(as_json, cwd=fork, capture_output=True, check=True).stdout)
    quoted = re.findall(r'"([\w.]+)":\s*"(policy\.yml:\d+)"', _section(2))
    assert quoted, "step 2 quotes a line of the JSON's sources"
    for key, source in quoted:
        assert shown["sources"][key] == source
    for dotted, value in GUIDE_POLICY.items():
        section, *rest = dotted.split(".")
        node = shown[section]
        for part in rest:
            node = node[part]
        assert node == value, dotted


def test_a_value_outside_its_rule_is_refused_as_the_guide_quotes(
    fork: Path, tmp_path: Path
) -> None:
    """Step 3: the refusal the guide quotes, word for word after the path."""
    (quoted,) = re.findall(
        r"\(`(policy\.yml:\d+: ([\w.]+) is (\d+); the rule is [^`]+)`\)", _section(3)
    )
    message, key, value = quoted
    message = " ".join(message.split())  # the guide's line breaks
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy2(fork / "policy.yml", broken / "policy.yml")
    edit_policy(broken, {key: int(value)})
    done = paved(fork, "policy", "show", "--template", str(broken))
    assert done.returncode == 2
    assert done.stderr.startswith("paved: error: ")
    assert done.stderr.rstrip("\n").endswith(message), done.stderr


@pytest.mark.slow
def test_the_guides_example_validates_and_scores_100(fork: Path) -> None:
    """Step 4 as written: `paved new` renders and runs every validator with the real tools,
    `paved readiness --template .` scores it against the fork's policy."""
    for tool in ("terraform", "checkov", "promtool", "amtool", "shellcheck"):
        require_tool(tool)
    require_helm()
    require_crd_schemas()
    require(bool(os.environ.get("TF_PLUGIN_DIR")), "TF_PLUGIN_DIR is not set (provider mirror)")
    new, score = _guide_commands(4)
    assert new[1:] == [
        "new",
        f"examples/answers/{GUIDE_EXAMPLE}.yml",
        "build/try",
        "--template",
        ".",
    ]
    assert score[1:] == ["readiness", "build/try", "--template", "."]
    done = subprocess.run(new, cwd=fork, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    tally = done.stdout.splitlines()[-1]
    assert re.fullmatch(r"OK: \d+ passed, 0 failed, 0 skipped", tally), done.stdout
    ran = {line.split()[0] for line in done.stdout.splitlines()[:-1] if not line.startswith(" ")}
    assert {
        "terraform-validate",
        "terraform-test",
        "checkov-terraform",
        "checkov-kubernetes",
    } <= ran
    ready = subprocess.run(score, cwd=fork, capture_output=True, text=True, check=False)
    assert ready.returncode == 0, ready.stdout
    assert _score(fork, "build/try") == 100


def _score(fork: Path, repo: str, *args: str) -> int:
    done = paved(fork, "readiness", repo, "--template", ".", "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    failed = [c["id"] for c in data["checks"] if c["status"] == "fail"]
    assert not failed, failed
    assert data["passed"]
    score: int = data["score"]
    return score


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_example_passes_the_fast_validators_and_scores_100(
    fork: Path, services: dict[str, Path], name: str
) -> None:
    for tool in ("terraform", "promtool", "amtool", "shellcheck"):
        require_tool(tool)
    require_helm()
    require_crd_schemas()
    done = paved(fork, "validate", f"build/{name}", "--only", FAST_VALIDATORS, "--require-all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"OK: \d+ passed, 0 failed, 0 skipped", done.stdout.splitlines()[-1])
    assert _score(fork, f"build/{name}") == 100


@pytest.mark.parametrize("name", NAMES)
def test_globex_names_its_shared_infrastructure(services: dict[str, Path], name: str) -> None:
    repo = services[name]
    answers = load_yaml(repo / ".copier-answers.yml")
    assert (answers["org"], answers["org_domain"]) == (ORG, DOMAIN)
    assert answers["repository"].startswith(f"{ORG}/")
    assert answers["owner_email"].endswith(f"@{DOMAIN}")
    prod = repo / "terraform" / "envs" / "prod"
    assert re.search(rf'bucket\s+= "{ORG}-tfstate-prod"\n', (prod / "versions.tf").read_text())
    assert re.search(
        rf'variable "eks_cluster_name" {{[^}}]*default\s+= "{ORG}-prod"\n',
        (prod / "variables.tf").read_text(),
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_object_is_labelled_with_globexs_domain(services: dict[str, Path], name: str) -> None:
    require_helm()
    repo = services[name]
    (target,) = [t for t in targets(repo) if t.environment == "prod"]
    manifests = rendered(Context(repo), target)
    assert manifests
    team = load_yaml(repo / ".copier-answers.yml")["team"]
    for manifest in manifests:
        labels = manifest.obj["metadata"].get("labels", {})
        assert labels.get(f"{DOMAIN}/team") == team, manifest
        assert not [label for label in labels if "acme" in label], manifest


def test_acme_is_nowhere_in_the_rendered_repositories(services: dict[str, Path]) -> None:
    """Every file of every repository, by bytes: the org of the template's own examples must
    not leak into another organisation's services."""
    old = load_policy(ROOT).org["slug"].encode()
    found = [
        f"{path.relative_to(repo.parent)}:{number}"
        for repo in services.values()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".terraform" not in path.relative_to(repo).parts
        for number, line in enumerate(path.read_bytes().splitlines(), 1)
        if old in line.lower()
    ]
    assert not found, found


def test_tier_2_follows_the_forks_policy_as_the_guide_says(
    fork: Path, services: dict[str, Path], tmp_path: Path
) -> None:
    """Step 4's claims about a tier-2 service: three prod replicas in values-prod.yaml, 21
    backup days in tiers.tf and its module tests, and readiness refusing 2 replicas under
    the fork's policy."""
    tier2 = [
        name for name in NAMES if load_yaml(services[name] / ".copier-answers.yml")["tier"] == 2
    ]
    assert tier2
    replicas, days = (
        GUIDE_POLICY["tiers.2.prod_min_replicas"],
        GUIDE_POLICY["tiers.2.rds_backup_days"],
    )
    claims = _section(4)
    assert f"`replicaCount: {replicas}`" in claims
    assert f"`backup_retention_days = {days}`" in claims
    for name in tier2:
        repo = services[name]
        values = repo / "helm" / name / "values-prod.yaml"
        assert load_yaml(values)["replicaCount"] == replicas
        module = repo / "terraform" / "modules" / "service"
        tier_block = (module / "tiers.tf").read_text().split('"2" = {', 1)[1].split("}", 1)[0]
        assert re.search(rf"backup_retention_days\s+= {days}\n", tier_block)
        assert (
            f"backup_retention_period == {days}"
            in (module / "tests" / "service.tftest.hcl").read_text()
        )
    name = tier2[0]
    edited = tmp_path / name
    shutil.copytree(services[name], edited)
    values = edited / "helm" / name / "values-prod.yaml"
    values.write_text(values.read_text().replace(f"replicaCount: {replicas}", "replicaCount: 2"))
    assert "`redundancy`" in claims
    held = paved(fork, "readiness", str(edited), "--template", ".", "--format", "json")
    assert held.returncode == 1
    (redundancy,) = [c for c in json.loads(held.stdout)["checks"] if c["id"] == "redundancy"]
    assert redundancy["status"] == "fail"
    assert any(f"at least {replicas}" in line for line in redundancy["evidence"])
