"""The generated repository's CI scripts, run for real where they can run offline."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from generator.policy import load_policy
from generator.validate import validate
from generator.validators import Status
from tests.conftest import (
    ROOT,
    JsonHandler,
    Render,
    git,
    load_yaml,
    require,
    require_helm,
    require_tool,
    serve_locally,
)


def _run(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repo(render: Render, minimal_answers: dict[str, Any]) -> Path:
    return render({**minimal_answers, "environments": ["dev", "prod"], "datastores": ["postgres"]})


def test_scripts_pass_shellcheck(rendered_examples: dict[str, Path]) -> None:
    require_tool("shellcheck")
    for repo in rendered_examples.values():
        report = validate(repo, only=["shellcheck"], require_all=True)
        assert [o.status for o in report.outcomes] == [Status.PASSED], report.to_text()


def test_scripts_hold_no_static_cloud_keys(rendered_examples: dict[str, Path]) -> None:
    for repo in rendered_examples.values():
        for path in (p for p in (repo / "ci").rglob("*") if p.is_file()):
            text = path.read_text()
            assert "AWS_SECRET_ACCESS_KEY" not in text
            assert "AKIA" not in text


@pytest.mark.slow
def test_terraform_check_runs_on_the_rendered_repo(repo: Path) -> None:
    require_tool("terraform")
    require(bool(os.environ.get("TF_PLUGIN_DIR")), "TF_PLUGIN_DIR is not set (provider mirror)")
    done = _run(repo, "ci/terraform-check.sh", "prod")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success!" in done.stdout
    refused = _run(repo, "ci/terraform-check.sh", "staging")
    assert refused.returncode == 1
    assert "unknown environment 'staging' (this service has: dev prod)" in refused.stderr


def test_chart_check_runs_and_finds_bad_values(repo: Path) -> None:
    require_helm()
    done = _run(repo, sys.executable, "ci/chart_check.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["catalog-api dev: ok", "catalog-api prod: ok"]
    values = repo / "helm" / "catalog-api" / "values-dev.yaml"
    values.write_text(values.read_text().replace("replicaCount: 1", 'replicaCount: "one"'))
    broken = _run(repo, sys.executable, "ci/chart_check.py", "dev")
    assert broken.returncode == 1
    assert "replicaCount" in broken.stdout


@pytest.mark.slow
def test_chart_check_writes_manifests_that_checkov_passes(repo: Path, tmp_path: Path) -> None:
    require_helm()
    require_tool("checkov")
    out = tmp_path / "manifests"
    done = _run(repo, sys.executable, "ci/chart_check.py", "--manifests", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    prod = sorted(p.name for p in (out / "prod").iterdir())
    assert any("-deployment-catalog-api.yaml" in name for name in prod), prod
    assert any("-poddisruptionbudget-" in name for name in prod), prod
    scan = _run(repo, "checkov", "--directory", str(out), "--framework", "kubernetes", "--compact")
    assert scan.returncode == 0, scan.stdout[-3000:]
    assert "Failed checks: 0" in scan.stdout


def test_rules_check_runs_promtool(repo: Path) -> None:
    require_tool("promtool")
    done = _run(repo, "ci/rules-check.sh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


# --- SLO gate against a Prometheus API served on localhost ------------------------------


class _FakePrometheus(JsonHandler):
    answer: ClassVar[tuple[int, dict[str, Any]]] = (200, {})
    queries: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib names them
        type(self).queries.append(self.path)
        self.reply(*type(self).answer)


@pytest.fixture
def prometheus() -> Iterator[str]:
    _FakePrometheus.queries = []
    with serve_locally(_FakePrometheus) as url:
        yield url


def _budgets(**remaining: float) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"service": "catalog-api", "slo": slo},
                    "value": [1700000000, str(value)],
                }
                for slo, value in remaining.items()
            ],
        },
    }


def _gate(
    repo: Path, prometheus: str, answer: tuple[int, dict[str, Any]], reason: str = ""
) -> subprocess.CompletedProcess[str]:
    _FakePrometheus.answer = answer
    env = {
        "PROMETHEUS_URL": prometheus,
        "SLO_GATE_OVERRIDE_REASON": reason,
        "GITHUB_STEP_SUMMARY": "",
    }
    return _run(repo, sys.executable, "ci/slo_gate.py", "--env", "prod", env=env)


def test_slo_gate_allows_promotion_with_budget_left(repo: Path, prometheus: str) -> None:
    done = _gate(repo, prometheus, (200, _budgets(availability=0.42, latency=0.9)))
    assert done.returncode == 0, done.stdout
    assert "availability: 42.0% of the 30-day error budget left" in done.stdout
    assert "promotion allowed" in done.stdout
    assert (
        "slo%3Aperiod_error_budget_remaining%3Aratio%7Bservice%3D%22catalog-api%22%7D"
        in _FakePrometheus.queries[0]
    )


def test_slo_gate_refuses_an_exhausted_budget(repo: Path, prometheus: str) -> None:
    done = _gate(repo, prometheus, (200, _budgets(availability=-0.15, latency=0.9)))
    assert done.returncode == 1
    assert "error budget exhausted: availability: promotion refused" in done.stdout


def test_slo_gate_override_needs_and_logs_a_reason(repo: Path, prometheus: str) -> None:
    done = _gate(
        repo, prometheus, (200, _budgets(availability=0.0)), reason="INC-42 fix, approved by SRE"
    )
    assert done.returncode == 0
    assert "promotion allowed by override: INC-42 fix, approved by SRE" in done.stdout
    blank = _gate(repo, prometheus, (200, _budgets(availability=0.0)), reason="   ")
    assert blank.returncode == 1


def test_slo_gate_refuses_without_data(repo: Path, prometheus: str) -> None:
    done = _gate(repo, prometheus, (200, _budgets()))
    assert done.returncode == 1
    assert "no SLO data" in done.stdout


def test_slo_gate_refuses_when_prometheus_fails(repo: Path, prometheus: str) -> None:
    error = _gate(repo, prometheus, (200, {"status": "error", "error": "query timed out"}))
    assert error.returncode == 2
    assert "query timed out" in error.stdout
    down = _gate(repo, prometheus, (503, {}))
    assert down.returncode == 2
    assert "could not be asked" in down.stdout


# --- release notes from a git history made here ------------------------------------------


def test_release_notes_list_the_commits_since_the_last_deploy(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "d@x.invalid",
        "GIT_COMMITTER_EMAIL": "d@x.invalid",
    }.items():
        monkeypatch.setenv(key, value)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "generated from the template")
    first = _run(repo, sys.executable, "ci/release_notes.py", "prod", "--tag", "abc123")
    assert first.returncode == 0, first.stderr
    assert "1 change(s) (first deploy):" in first.stdout
    (repo / "a.txt").write_text("a")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-qm", "Fix *checkout* totals for <EUR> orders #12")
    (repo / "b.txt").write_text("b")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-qm", "Add retries")
    second = _run(repo, sys.executable, "ci/release_notes.py", "prod")
    lines = second.stdout.splitlines()
    assert "2 change(s) since deploy/prod/abc123:" in lines
    assert sum(line.startswith("- `") for line in lines) == 2
    assert any(
        line.endswith("Fix \\*checkout\\* totals for \\<EUR\\> orders \\#12 (Dev)")
        for line in lines
    )
    assert "generated from the template" not in second.stdout
    dev = _run(repo, sys.executable, "ci/release_notes.py", "dev")
    assert "3 change(s) (first deploy):" in dev.stdout


# --- deploy and rollback, with helm and kubectl stubs that record their arguments --------


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("helm", "kubectl"):
        stub = bin_dir / tool
        stub.write_text(
            '#!/bin/sh\nprintf "%s %s\\n" "$(basename "$0")" "$*" >> "$STUB_LOG"\n'
            'case "$*" in *"rollouts status"*) exit "${ROLLOUT_STATUS:-0}" ;; esac\n'
        )
        stub.chmod(0o755)
    return bin_dir


def _deploy(
    repo: Path, stubs: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = stubs.parent / "calls.log"
    log.unlink(missing_ok=True)
    done = _run(
        repo, *args, env={"PATH": f"{stubs}:{os.environ['PATH']}", "STUB_LOG": str(log), **env}
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def test_rolling_deploy_is_atomic_with_the_env_values(repo: Path, stubs: Path) -> None:
    done, calls = _deploy(
        repo,
        stubs,
        "ci/deploy.sh",
        "prod",
        "3f2c1a9",
        IMAGE_REGISTRY="123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        WORKLOAD_ROLE_ARN="arn:aws:iam::123456789012:role/catalog-api-prod-workload",
    )
    assert done.returncode == 0, done.stderr
    (call,) = calls
    assert call.startswith(
        "helm upgrade --install catalog-api helm/catalog-api --namespace catalog-api"
    )
    for part in (
        "--values helm/catalog-api/values-prod.yaml",
        "--set-string image.tag=3f2c1a9",
        "--wait --timeout 10m",
        "--atomic",
        "--set-string image.registry=123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "--set-string serviceAccount.roleArn=arn:aws:iam::123456789012:role/catalog-api-prod-workload",
    ):
        assert part in call


def test_deploy_refuses_latest_and_unknown_environments(repo: Path, stubs: Path) -> None:
    latest, calls = _deploy(repo, stubs, "ci/deploy.sh", "prod", "latest")
    assert latest.returncode == 1
    assert "latest" in latest.stderr
    assert calls == []
    unknown, _ = _deploy(repo, stubs, "ci/deploy.sh", "qa", "3f2c1a9")
    assert unknown.returncode == 1


def test_canary_deploy_waits_for_the_rollout_and_aborts_a_failed_one(
    render: Render, minimal_answers: dict[str, Any], stubs: Path
) -> None:
    repo = render({**minimal_answers, "deploy_strategy": "canary", "environments": ["prod"]})
    done, calls = _deploy(repo, stubs, "ci/deploy.sh", "prod", "3f2c1a9")
    assert done.returncode == 0
    assert "--atomic" not in calls[0]
    assert calls[1].startswith("kubectl argo rollouts status catalog-api --namespace catalog-api")
    failed, calls = _deploy(repo, stubs, "ci/deploy.sh", "prod", "3f2c1a9", ROLLOUT_STATUS="1")
    assert failed.returncode == 1
    assert calls[-1] == "kubectl argo rollouts abort catalog-api --namespace catalog-api"


def test_rollback_goes_to_the_previous_or_a_given_revision(
    render: Render, minimal_answers: dict[str, Any], stubs: Path
) -> None:
    repo = render(
        {**minimal_answers, "deploy_strategy": "blue_green", "environments": ["staging", "prod"]}
    )
    done, calls = _deploy(repo, stubs, "ci/rollback.sh", "prod")
    assert done.returncode == 0, done.stderr
    assert calls == [
        "kubectl argo rollouts abort catalog-api --namespace catalog-api",
        "helm rollback catalog-api --namespace catalog-api --wait --timeout 10m",
    ]
    done, calls = _deploy(repo, stubs, "ci/rollback.sh", "staging", "7")
    assert calls[-1] == "helm rollback catalog-api 7 --namespace catalog-api --wait --timeout 10m"
    bad, calls = _deploy(repo, stubs, "ci/rollback.sh", "prod", "seven")
    assert bad.returncode == 1
    assert calls == []


def test_ci_folder_is_complete(repo: Path) -> None:
    expected = {
        "common.sh", "terraform-check.sh", "terraform-plan.sh", "terraform-apply.sh", "rules-check.sh", "tflint.sh", "readiness.sh",
        "deploy.sh", "rollback.sh", "chart_check.py", "slo_gate.py", "release_notes.py", "protect_environments.py",
        "requirements.txt", ".shellcheckrc",
    }  # fmt: skip
    assert {p.name for p in (repo / "ci").iterdir()} == expected
    for name in expected - {"common.sh", "requirements.txt", ".shellcheckrc"}:
        assert os.access(repo / "ci" / name, os.X_OK), name


# --- tflint: opt-in through .tflint.hcl, installed from a checksum-verified release ------


class _FakeReleases(JsonHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - the stdlib names them
        body = type(self).files.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.reply(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_RECORDER = '#!/bin/sh\nprintf "%s|%s\\n" "$(pwd)" "$*" >> "$STUB_LOG"\n'


def _tflint_release(tmp_path: Path, *, checksum: str | None = None) -> None:
    """A release as tflint publishes it: tflint_linux_<arch>.zip and checksums.txt."""
    import hashlib
    import platform
    import zipfile

    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tflint", _RECORDER)
    body = archive.read_bytes()
    digest = checksum or hashlib.sha256(body).hexdigest()
    _FakeReleases.files = {
        f"tflint_linux_{arch}.zip": body,
        "checksums.txt": f"{digest}  tflint_linux_{arch}.zip\n".encode(),
    }


def _tflint(
    repo: Path, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "tflint.log"
    log.unlink(missing_ok=True)
    done = _run(
        repo,
        "ci/tflint.sh",
        env={"STUB_LOG": str(log), "TFLINT_CACHE": str(tmp_path / "cache"), **env},
    )
    return done, log.read_text().splitlines() if log.exists() else []


def test_tflint_is_skipped_without_a_config(repo: Path, tmp_path: Path) -> None:
    done, calls = _tflint(repo, tmp_path, TFLINT_RELEASE_URL="http://127.0.0.1:9/unused")
    assert done.returncode == 0, done.stderr
    assert "skipped, no .tflint.hcl" in done.stderr
    assert calls == []


def test_tflint_runs_over_every_module_with_the_repository_config(
    repo: Path, tmp_path: Path
) -> None:
    (repo / ".tflint.hcl").write_text('plugin "terraform" {\n  enabled = true\n}\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "tflint").write_text(_RECORDER)
    (bin_dir / "tflint").chmod(0o755)
    done, calls = _tflint(repo, tmp_path, PATH=f"{bin_dir}:{os.environ['PATH']}")
    assert done.returncode == 0, done.stderr
    config = f"--config={repo / '.tflint.hcl'}"
    assert calls == [
        f"{repo}|--version",
        f"{repo}|--init {config}",
        f"{repo / 'terraform'}|--recursive {config} --format=compact",
    ]


def test_tflint_installs_a_verified_release_and_refuses_a_tampered_one(
    repo: Path, tmp_path: Path
) -> None:
    require_tool("unzip")
    (repo / ".tflint.hcl").write_text('plugin "terraform" {\n  enabled = true\n}\n')
    with serve_locally(_FakeReleases) as url:
        _tflint_release(tmp_path, checksum="0" * 64)
        tampered, calls = _tflint(repo, tmp_path, TFLINT_RELEASE_URL=url)
        assert tampered.returncode != 0
        assert "FAILED" in tampered.stdout + tampered.stderr
        assert calls == []
        assert not (tmp_path / "cache" / "tflint").exists()

        _tflint_release(tmp_path)
        done, calls = _tflint(repo, tmp_path, TFLINT_RELEASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cache" / "tflint").is_file()
    assert [call.split("|")[1].split()[0] for call in calls] == [
        "--version",
        "--init",
        "--recursive",
    ]


# --- readiness: the toolkit of the repository's template version -------------------------


def _answers_source(repo: Path, src: str, commit: str) -> None:
    answers = repo / ".copier-answers.yml"
    kept = [
        line
        for line in answers.read_text().splitlines()
        if not line.startswith(("_src_path:", "_commit:"))
    ]
    answers.write_text("\n".join([*kept, f"_commit: {commit}", f"_src_path: {src}", ""]))


@pytest.mark.parametrize(
    ("src", "commit", "requirement"),
    [
        ("gh:acme/paved-road", "v1.4.0", "paved-road @ git+https://github.com/acme/paved-road@v1.4.0"),
        ("gl:acme/paved-road", "v1.4.0-3-g1a2b3c4", "paved-road @ git+https://gitlab.com/acme/paved-road@1a2b3c4"),
        ("https://git.acme.example/platform/paved-road.git", "'v2.0.1'", "paved-road @ git+https://git.acme.example/platform/paved-road.git@v2.0.1"),
        ("git+ssh://git@git.acme.example/p/paved-road.git", "v2.0.1", "paved-road @ git+ssh://git@git.acme.example/p/paved-road.git@v2.0.1"),
    ],
)  # fmt: skip
def test_readiness_installs_the_toolkit_of_the_template_version(
    repo: Path, src: str, commit: str, requirement: str
) -> None:
    _answers_source(repo, src, commit)
    done = _run(repo, "ci/readiness.sh", "--print-requirement", env={"PAVED_TOOLKIT": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == requirement


def test_readiness_refuses_a_local_template_source_without_an_override(repo: Path) -> None:
    _answers_source(repo, "/home/me/paved-road", "v1.0.0")
    refused = _run(repo, "ci/readiness.sh", "--print-requirement", env={"PAVED_TOOLKIT": ""})
    assert refused.returncode == 1
    assert "is a local path: set PAVED_TOOLKIT" in refused.stderr
    chosen = _run(
        repo, "ci/readiness.sh", "--print-requirement", env={"PAVED_TOOLKIT": "paved-road==1.0.0"}
    )
    assert chosen.stdout.strip() == "paved-road==1.0.0"


def test_readiness_runs_paved_with_the_tier_minimum_score(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "paved.log"
    paved = tmp_path / "paved"
    paved.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$STUB_LOG"\nexit "${STUB_EXIT:-0}"\n')
    paved.chmod(0o755)
    stub = {"PAVED": str(paved), "STUB_LOG": str(log)}
    done = _run(repo, "ci/readiness.sh", env=stub)
    assert done.returncode == 0, done.stderr
    tier = load_yaml(repo / ".copier-answers.yml")["tier"]
    minimum = load_policy(ROOT).tier(tier).readiness_min_score
    assert log.read_text().splitlines() == [f"readiness . --min-score {minimum}"]
    failing = _run(repo, "ci/readiness.sh", env={**stub, "STUB_EXIT": "1"})
    assert failing.returncode == 1


def test_readiness_passes_on_every_example_with_the_real_toolkit(
    rendered_examples: dict[str, Path],
) -> None:
    paved = Path(sys.executable).parent / "paved"
    require(paved.is_file(), f"{paved} is not installed")
    for name, repo in rendered_examples.items():
        done = _run(repo, "ci/readiness.sh", env={"PAVED": str(paved), "NO_COLOR": "1"})
        assert done.returncode == 0, name + done.stdout + done.stderr
        assert "minimum score" in done.stderr
