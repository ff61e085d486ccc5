"""ci/protect_environments.py against a fake GitHub / GitLab REST API on localhost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import SRE_ON_CALL, JsonHandler, Render, serve_locally

TEAM_IDS = {"catalog": 11, "sre": 22, "platform": 33}


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
        if method == "GET" and path.startswith("/orgs/acme/teams/"):
            if parts[-1] not in TEAM_IDS:
                return self.reply(404, {"message": "Not Found"})
            return self.reply(200, {"id": TEAM_IDS[parts[-1]]})
        if method == "PUT" and path.startswith("/repos/acme/catalog-api/environments/"):
            state.setdefault("github", {})[parts[-1]] = self._body()
            return self.reply(200, {"name": parts[-1]})
        if method == "GET" and path.startswith("/groups/acme/"):
            return self.reply(200, {"id": TEAM_IDS[parts[-1]]})
        gitlab = state.setdefault("gitlab", {"environments": [], "protected": {}})
        if path == "/projects/acme/catalog-api/environments":
            if method == "GET":
                return self.reply(200, [{"name": n} for n in gitlab["environments"]])
            name = self._body()["name"]
            if name in gitlab["environments"]:
                return self.reply(409, {"message": "exists"})
            gitlab["environments"].append(name)
            return self.reply(201, {"name": name})
        if path == "/projects/acme/catalog-api/protected_environments":
            if method == "GET":
                return self.reply(200, list(gitlab["protected"].values()))
            body = self._body()
            if body["name"] in gitlab["protected"]:
                return self.reply(409, {"message": "already protected"})
            gitlab["protected"][body["name"]] = body
            return self.reply(201, body)
        if method == "DELETE" and path.startswith(
            "/projects/acme/catalog-api/protected_environments/"
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


def _protect(repo: Path, host: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GITHUB_API_URL": host,
        "CI_API_V4_URL": host,
        "GITHUB_TOKEN": "gh-test",
        "GITLAB_TOKEN": "gl-test",
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
    "shared": ["catalog", "sre"],
    "platform": ["catalog"],
    "sre_only": ["sre"],
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
    assert "would PUT /repos/acme/catalog-api/environments/prod" in dry.stdout
    failed = _protect(repo, host)
    assert failed.returncode == 1
    assert "error: 404 Not Found" in failed.stderr
    assert "/orgs/acme/teams/unknown-team" in failed.stderr
