"""The generated CI/CD definitions: GitHub Actions and GitLab CI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from generator.validate import validate
from generator.validators import Status
from generator.validators.pipelines import action_refs, gitlab_files
from tests.conftest import Render, example_files, load_yaml, require_tool

EXAMPLE_NAMES = [path.stem for path in example_files()]
STATIC_KEY = re.compile(r"AWS_SECRET_ACCESS_KEY|AKIA[0-9A-Z]{16}|aws_access_key_id", re.IGNORECASE)


def _ci_files(repo: Path) -> list[Path]:
    return [
        *repo.glob(".github/workflows/*.yml"),
        *repo.glob(".gitlab-ci.yml"),
        *repo.glob("ci/gitlab/*.yml"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_ci_definitions_pass_schema_pinning_checkov_and_shellcheck(
    rendered_examples: dict[str, Path], example: str
) -> None:
    require_tool("checkov")
    require_tool("shellcheck")
    repo = rendered_examples[example]
    report = validate(repo, only=["ci", "checkov-ci", "shellcheck"], require_all=True)
    failures = [
        f"{o.validator}: {o.summary}\n{o.details}"
        for o in report.outcomes
        if o.status is not Status.PASSED
    ]
    assert not failures, "\n".join(failures)
    expected = {"ci-schema", "checkov-ci", "shellcheck"}
    if load_yaml(repo / ".copier-answers.yml")["ci_provider"] == "github":
        expected.add("ci-pinning")
    assert {o.validator for o in report.outcomes} == expected


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_no_static_cloud_keys_anywhere(rendered_examples: dict[str, Path], example: str) -> None:
    repo = rendered_examples[example]
    assert _ci_files(repo)
    for path in [*_ci_files(repo), *(p for p in (repo / "ci").rglob("*") if p.is_file())]:
        assert not STATIC_KEY.search(path.read_text()), path


def _github(render: Render, answers: dict[str, Any], **changes: Any) -> dict[str, Any]:
    repo = render({**answers, "ci_provider": "github", **changes})
    return {p.name: load_yaml(p) for p in (repo / ".github" / "workflows").glob("*.yml")}


def test_github_permissions_are_least_privilege(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    for name, workflow in _github(render, minimal_answers).items():
        assert workflow["permissions"] == {"contents": "read"}, name
        for job_name, job in workflow["jobs"].items():
            assumes_role = any(
                "configure-aws-credentials" in ref for ref in action_refs({"jobs": {job_name: job}})
            )
            writes_token = (job.get("permissions") or {}).get("id-token") == "write"
            assert writes_token == assumes_role, f"{name}:{job_name}"


def test_github_actions_are_pinned_with_their_version(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render({**minimal_answers, "ci_provider": "github"})
    for path in (repo / ".github" / "workflows").glob("*.yml"):
        for line in path.read_text().splitlines():
            if re.match(r"\s*(- )?uses: ", line) and not line.strip().lstrip("- ").startswith(
                "uses: ./"
            ):
                assert re.search(r"@[0-9a-f]{40} # v\d", line), line


@pytest.mark.parametrize("environments", [["prod"], ["dev", "prod"], ["dev", "staging", "prod"]])
def test_github_deploys_each_environment_in_order_never_overlapping(
    render: Render, minimal_answers: dict[str, Any], environments: list[str]
) -> None:
    deploy = _github(render, minimal_answers, environments=environments)["deploy.yml"]
    jobs = {
        job["environment"]
        if isinstance(job.get("environment"), str)
        else job["environment"]["name"]: (name, job)
        for name, job in deploy["jobs"].items()
        if job.get("environment")
    }
    assert list(jobs) == environments
    previous = None
    for env, (name, job) in jobs.items():
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
        if previous:
            assert previous in needs, (name, needs)
        previous = name
    steps = " ".join(str(step.get("run", "")) for step in jobs["prod"][1]["steps"])
    assert "ci/slo_gate.py" in steps
    assert 'ci/deploy.sh "$ENVIRONMENT"' in steps
    assert 'ci/terraform-apply.sh "$ENVIRONMENT"' in steps
    for env, (_, job) in jobs.items():
        assert job["env"]["ENVIRONMENT"] == env


def test_github_rollback_is_a_manual_workflow(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    rollback = _github(render, minimal_answers, environments=["staging", "prod"])["rollback.yml"]
    trigger = rollback.get("on") or rollback.get(True)
    inputs = trigger["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["staging", "prod"]
    assert "revision" in inputs
    assert "ci/rollback.sh" in str(rollback["jobs"])


def test_gitlab_prod_is_a_manual_step_in_a_resource_group(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render(
        {**minimal_answers, "ci_provider": "gitlab", "environments": ["dev", "staging", "prod"]}
    )
    assert not (repo / ".github" / "workflows").exists()
    jobs: dict[str, Any] = {}
    for path in gitlab_files(repo):
        jobs.update({k: v for k, v in load_yaml(path).items() if isinstance(v, dict)})
    deploys = {v["environment"]["name"]: v for k, v in jobs.items() if k.startswith("deploy:")}
    assert sorted(deploys) == ["dev", "prod", "staging"]
    for env, job in deploys.items():
        assert job["resource_group"] == f"deploy-{env}"
    assert [rule.get("when") for rule in deploys["prod"]["rules"]] == ["manual"]
    assert all(rule.get("when") != "manual" for rule in deploys["dev"]["rules"])
    assert any(
        k.startswith("rollback:") and jobs[k]["rules"][0].get("when") == "manual" for k in jobs
    )
    assert "id_tokens" in str(jobs)


def test_the_suite_runs_the_checkov_release_the_pipelines_pin(
    rendered_examples: dict[str, Path],
) -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    suite = re.search(r"^CHECKOV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert suite is not None
    for repo in rendered_examples.values():
        pins = {m for f in _ci_files(repo) for m in re.findall(r"checkov==([\w.]+)", f.read_text())}
        assert pins == {suite.group(1)}, repo.name


# --- environment protection: applied when the script changes on main -----------------

PROTECT_SCRIPT = "ci/protect_environments.py"


def test_github_applies_environment_protection_when_the_script_changes_on_main(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    workflows = _github(render, minimal_answers)
    workflow = workflows["protect-environments.yml"]
    trigger = workflow.get("on") or workflow.get(True)
    assert set(trigger) == {"push", "workflow_dispatch"}
    assert trigger["push"]["branches"] == ["main"]
    assert trigger["push"]["paths"] == [
        PROTECT_SCRIPT,
        ".github/workflows/protect-environments.yml",
    ]
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert "environment" not in job, "applying the rules is no deploy"
    applying = [s for s in job["steps"] if PROTECT_SCRIPT in str(s.get("run", ""))]
    assert [s["run"] for s in applying] == [f"python {PROTECT_SCRIPT}"]
    assert applying[0]["env"] == {"GITHUB_TOKEN": "${{ secrets.PROTECT_ENVIRONMENTS_TOKEN }}"}
    # The Python setup of the other jobs, the same pins.
    setups = [
        step
        for other in workflows["pr.yml"]["jobs"].values()
        for step in other["steps"]
        if "setup-python" in str(step.get("uses", ""))
    ]
    assert setups
    assert [s for s in job["steps"] if "setup-python" in str(s.get("uses", ""))] == setups[:1]
    pr_checkout = workflows["pr.yml"]["jobs"]["checkov"]["steps"][0]
    assert job["steps"][0] == pr_checkout


def test_gitlab_applies_environment_protection_when_the_script_changes_on_main(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render({**minimal_answers, "ci_provider": "gitlab"})
    main = load_yaml(repo / ".gitlab-ci.yml")
    assert {"local": "ci/gitlab/protect-environments.yml"} in main["include"]
    jobs: dict[str, Any] = {}
    for path in gitlab_files(repo):
        jobs.update({k: v for k, v in load_yaml(path).items() if isinstance(v, dict)})
    job = jobs["protect:environments"]
    assert job["stage"] in main["stages"]
    assert job["needs"] == []
    automatic, by_hand = job["rules"]
    assert automatic["if"] == '$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"'
    assert automatic["changes"] == [PROTECT_SCRIPT, "ci/gitlab/protect-environments.yml"]
    assert "when" not in automatic
    assert by_hand == {"if": '$CI_COMMIT_BRANCH == "main"', "when": "manual", "allow_failure": True}
    # main's push and "Run pipeline" (web) pipelines exist for the rules to apply in.
    assert any('$CI_COMMIT_BRANCH == "main"' in r["if"] for r in main["workflow"]["rules"])
    assert job["image"] == jobs["chart:check"]["image"]
    assert job["interruptible"] is False
    assert job["resource_group"] == "protect-environments"
    assert [line for line in job["script"] if PROTECT_SCRIPT in line] == [
        f'GITLAB_TOKEN="${{PROTECT_ENVIRONMENTS_TOKEN:-}}" python {PROTECT_SCRIPT}'
    ]
