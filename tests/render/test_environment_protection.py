"""ci/protect_environments.py against a fake GitHub / GitLab REST API on localhost, run by
hand and as the generated workflow (GitHub) or job (GitLab) runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from generator.policy import load_policy
from generator.readiness.sources import protection
from generator.readiness.sources.repo import Repo
from tests.conftest import ROOT, SRE_ON_CALL, JsonHandler, Render, load_yaml, serve_locally

# The org and the SRE and platform teams of the catalog-api answers, which name none of
# them: the policy's org profile (policy.yml: org) provides the defaults.
ORG = load_policy(ROOT).org
SLUG, SRE, PLATFORM = ORG["slug"], ORG["sre_team"], ORG["platform_team"]
TEAM_IDS = {"catalog": 11, SRE: 22, PLATFORM: 33}


class _FakeHost(JsonHandler):
    """Just enough of both hosts' APIs, with state, to check results and idempotence."""

    state: ClassVar[dict[str, Any]] = {}
    auth: ClassVar[list[str]] = []

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def _route(self, method: str) -> None:
        type(self).auth.append(
            self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""
        )
        path = urllib.parse.unquote(self.path)
        state = type(self).state
        parts = path.strip("/").split("/")
        if method == "GET" and path.startswith(f"/orgs/{SLUG}/teams/"):
            if parts[-1] not in TEAM_IDS:
                return self.reply(404, {"message": "Not Found"})
            return self.reply(200, {"id": TEAM_IDS[parts[-1]]})
        if method == "PUT" and path.startswith(f"/repos/{SLUG}/catalog-api/environments/"):
            if self.headers.get("Authorization") == "Bearer gh-read-only":
                return self.reply(403, {"message": "Resource not accessible by token"})
            state.setdefault("github", {})[parts[-1]] = self._body()
            return self.reply(200, {"name": parts[-1]})
        if method == "GET" and path.startswith(f"/groups/{SLUG}/"):
            return self.reply(200, {"id": TEAM_IDS[parts[-1]]})
        gitlab = state.setdefault("gitlab", {"environments": [], "protected": {}})
        if path == f"/projects/{SLUG}/catalog-api/environments":
            if method == "GET":
                return self.reply(200, [{"name": n} for n in gitlab["environments"]])
            name = self._body()["name"]
            if name in gitlab["environments"]:
                return self.reply(409, {"message": "exists"})
            gitlab["environments"].append(name)
            return self.reply(201, {"name": name})
        if path == f"/projects/{SLUG}/catalog-api/protected_environments":
            if method == "GET":
                return self.reply(200, list(gitlab["protected"].values()))
            body = self._body()
            if body["name"] in gitlab["protected"]:
                return self.reply(409, {"message": "already protected"})
            gitlab["protected"][body["name"]] = body
            return self.reply(201, body)
        if method == "DELETE" and path.startswith(
            f"/projects/{SLUG}/catalog-api/protected_environments/"
        ):
            gitlab["protected"].pop(parts[-1])
            return self.reply(204)
        return self.reply(404, {"message": f"no route {method} {path}"})

    def do_GET(self) -> None:  # noqa: N802 - the stdlib names them
        self._route("GET")

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib names them
        self._route("PUT")

    def do_POST(self) -> None:  # noqa: N802 - the stdlib names them
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802 - the stdlib names them
        self._route("DELETE")


@pytest.fixture
def host() -> Iterator[str]:
    _FakeHost.state = {}
    _FakeHost.auth = []
    with serve_locally(_FakeHost) as url:
        yield url


def _protect(repo: Path, host: str, **tokens: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GITHUB_API_URL": host,
        "CI_API_V4_URL": host,
        "GITHUB_TOKEN": "gh-test",
        "GITLAB_TOKEN": "gl-test",
        **tokens,
    }
    return subprocess.run(
        [sys.executable, "ci/protect_environments.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


PROD_APPROVERS = {
    "dev_only": ["catalog"],
    "shared": ["catalog", SRE],
    "platform": ["catalog"],
    "sre_only": [SRE],
}


@pytest.mark.parametrize("model", sorted(PROD_APPROVERS))
def test_github_environments_follow_the_ownership_model(
    render: Render, minimal_answers: dict[str, Any], host: str, model: str
) -> None:
    repo = render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model})
    done = _protect(repo, host)
    assert done.returncode == 0, done.stderr
    envs = _FakeHost.state["github"]
    assert sorted(envs) == ["dev", "prod", "staging"]
    assert [r["id"] for r in envs["prod"]["reviewers"]] == [
        TEAM_IDS[t] for t in PROD_APPROVERS[model]
    ]
    assert envs["prod"]["prevent_self_review"] is True
    assert envs["dev"]["reviewers"] == []
    assert envs["dev"]["deployment_branch_policy"] is None
    for env in ("staging", "prod"):
        assert envs[env]["deployment_branch_policy"] == {
            "protected_branches": True,
            "custom_branch_policies": False,
        }
    assert set(_FakeHost.auth) == {"Bearer gh-test"}
    first = json.dumps(_FakeHost.state, sort_keys=True)
    again = _protect(repo, host)
    assert again.returncode == 0
    assert json.dumps(_FakeHost.state, sort_keys=True) == first, "a second run changes nothing"
    # `paved readiness` reads the same approvers from the script and wants the same ones.
    readiness = Repo(repo)
    found = protection.read(readiness)
    assert found is not None
    assert found.problems == []
    assert list(found.approvers["prod"].teams) == PROD_APPROVERS[model]
    assert protection.prod_approvers(readiness.answers) == PROD_APPROVERS[model]


@pytest.mark.parametrize("model", ["shared", "sre_only"])
def test_gitlab_protected_environments_follow_the_ownership_model(
    render: Render, minimal_answers: dict[str, Any], host: str, model: str
) -> None:
    repo = render(
        {**minimal_answers, **SRE_ON_CALL, "ownership_model": model, "ci_provider": "gitlab"}
    )
    done = _protect(repo, host)
    assert done.returncode == 0, done.stderr
    gitlab = _FakeHost.state["gitlab"]
    assert sorted(gitlab["environments"]) == ["dev", "prod", "staging"]
    assert sorted(gitlab["protected"]) == ["prod", "staging"]
    rules = gitlab["protected"]["prod"]["approval_rules"]
    assert [r["group_id"] for r in rules] == [TEAM_IDS[t] for t in PROD_APPROVERS[model]]
    assert gitlab["protected"]["staging"]["approval_rules"] == []
    assert set(_FakeHost.auth) == {"gl-test"}
    first = json.dumps(_FakeHost.state, sort_keys=True)
    again = _protect(repo, host)
    assert again.returncode == 0, again.stderr
    assert json.dumps(_FakeHost.state, sort_keys=True) == first


def test_protection_needs_a_token_and_reports_api_errors(
    render: Render, minimal_answers: dict[str, Any], host: str
) -> None:
    repo = render({**minimal_answers, "team": "unknown-team"})
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    missing = subprocess.run(
        [sys.executable, "ci/protect_environments.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "GITHUB_TOKEN is required" in missing.stderr
    dry = subprocess.run(
        [sys.executable, "ci/protect_environments.py", "--dry-run"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert dry.returncode == 0
    assert f"would PUT /repos/{SLUG}/catalog-api/environments/prod" in dry.stdout
    failed = _protect(repo, host)
    assert failed.returncode == 1
    assert "error: 404 Not Found" in failed.stderr
    assert f"/orgs/{SLUG}/teams/unknown-team" in failed.stderr


def test_a_token_without_administration_is_told_what_it_needs(
    render: Render, minimal_answers: dict[str, Any], host: str
) -> None:
    repo = render(minimal_answers)
    done = _protect(repo, host, GITHUB_TOKEN="gh-read-only")
    assert done.returncode == 1
    assert "error: 403" in done.stderr
    assert "Administration: read and write" in done.stderr
    assert _FakeHost.state.get("github") is None


# --- the generated workflow and job apply the script ----------------------------------

TOKEN_SECRET = "PROTECT_ENVIRONMENTS_TOKEN"
_SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")


def _runner_env(**variables: str) -> dict[str, str]:
    """A CI runner's environment: no token of this machine leaks in; `python` is the one
    setup-python (GitHub) or the job's Python image (GitLab) provides."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),
        **variables,
    }


def _shell(
    repo: Path, script: str, env: dict[str, str], *shell: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*shell, "-c", script], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def _github_secret(value: Any, secrets: dict[str, str]) -> str:
    """A step's env value with ``${{ secrets.NAME }}`` resolved as Actions does (a secret that
    is not set is empty); any other expression is not expected here."""
    text = str(value)
    assert "${{" not in _SECRET.sub("", text), f"unexpected expression in {text!r}"
    return _SECRET.sub(lambda m: secrets.get(m.group(1), ""), text)


def _run_github_workflow(
    repo: Path, host: str, secrets: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The shell steps of protect-environments.yml, in order, as the runner runs them
    (`bash -e`, GITHUB_API_URL set by the runner); stops at the first failing step."""
    workflow = load_yaml(repo / protection.APPLY_FILES["github"])
    (job,) = workflow["jobs"].values()
    done: subprocess.CompletedProcess[str] | None = None
    for step in job["steps"]:
        if "run" not in step:
            continue
        env = _runner_env(GITHUB_API_URL=host, GITHUB_ACTIONS="true")
        env.update({k: _github_secret(v, secrets) for k, v in (step.get("env") or {}).items()})
        done = _shell(repo, step["run"], env, "bash", "-e")
        if done.returncode:
            break
    assert done is not None, "the workflow runs no shell step"
    return done


def _run_gitlab_job(
    repo: Path, host: str, variables: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The script of protect:environments in one shell, as the runner runs it, with the
    project's CI/CD variables and the predefined CI_API_V4_URL."""
    jobs = load_yaml(repo / protection.APPLY_FILES["gitlab"])
    job = jobs["protect:environments"]
    env = _runner_env(CI_API_V4_URL=host, GITLAB_CI="true", **variables)
    env.update({k: str(v) for k, v in (job.get("variables") or {}).items()})
    return _shell(repo, "\n".join(job["script"]), env, "sh", "-e")


@pytest.mark.parametrize("model", ["platform", "sre_only"])
def test_the_github_workflow_applies_the_approvers(
    render: Render, minimal_answers: dict[str, Any], host: str, model: str
) -> None:
    repo = render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model})
    done = _run_github_workflow(repo, host, {TOKEN_SECRET: "gh-secret"})
    assert done.returncode == 0, done.stderr
    assert f"prod: approvers {', '.join(PROD_APPROVERS[model])}" in done.stdout
    envs = _FakeHost.state["github"]
    assert sorted(envs) == ["dev", "prod", "staging"]
    assert [r["id"] for r in envs["prod"]["reviewers"]] == [
        TEAM_IDS[t] for t in PROD_APPROVERS[model]
    ]
    # The secret, not the workflow's own GITHUB_TOKEN, reaches the API.
    assert set(_FakeHost.auth) == {"Bearer gh-secret"}


def test_the_github_workflow_without_its_secret_fails_naming_it(
    render: Render, minimal_answers: dict[str, Any], host: str
) -> None:
    repo = render(minimal_answers)
    done = _run_github_workflow(repo, host, {})
    assert done.returncode != 0
    assert TOKEN_SECRET in done.stderr
    assert _FakeHost.auth == []


@pytest.mark.parametrize("model", ["dev_only", "shared"])
def test_the_gitlab_job_applies_the_approvers(
    render: Render, minimal_answers: dict[str, Any], host: str, model: str
) -> None:
    repo = render(
        {**minimal_answers, **SRE_ON_CALL, "ownership_model": model, "ci_provider": "gitlab"}
    )
    done = _run_gitlab_job(repo, host, {TOKEN_SECRET: "gl-secret"})
    assert done.returncode == 0, done.stderr
    gitlab = _FakeHost.state["gitlab"]
    assert sorted(gitlab["protected"]) == ["prod", "staging"]
    rules = gitlab["protected"]["prod"]["approval_rules"]
    assert [r["group_id"] for r in rules] == [TEAM_IDS[t] for t in PROD_APPROVERS[model]]
    assert set(_FakeHost.auth) == {"gl-secret"}
    again = _run_gitlab_job(repo, host, {TOKEN_SECRET: "gl-secret"})
    assert again.returncode == 0, again.stderr
    assert _FakeHost.state["gitlab"] == gitlab


def test_the_gitlab_job_without_its_variable_fails_naming_it(
    render: Render, minimal_answers: dict[str, Any], host: str
) -> None:
    repo = render({**minimal_answers, "ci_provider": "gitlab"})
    done = _run_gitlab_job(repo, host, {})
    assert done.returncode == 2
    assert f"CI/CD variable {TOKEN_SECRET}" in done.stderr
    assert _FakeHost.auth == []
