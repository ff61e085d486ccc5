"""The CI job model: GitHub workflows and GitLab pipelines with their includes, read as jobs
that know what starts them and what they run."""

from __future__ import annotations

from pathlib import Path

from generator.readiness.sources.ci import pipeline
from generator.readiness.sources.repo import Repo


def test_gitlab_includes_are_resolved_from_the_pipeline_file(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: gitlab\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - local: /ci/gitlab/*.yml\n  - project: other/templates\n"
        "  - remote: https://example.com/x.yml\n"
        ".tools:\n  before_script: [ci/setup.sh]\n"
    )
    (tmp_path / "ci/gitlab").mkdir(parents=True)
    (tmp_path / "ci/gitlab/test.yml").write_text(
        "unit:\n  extends: .tools\n  script: [make test]\n"
        '  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
    )
    (tmp_path / "ci/gitlab/deploy.yml").write_text(
        "deploy:prod:\n  script: [ci/deploy.sh prod]\n  environment: {name: prod}\n"
        '  needs: [{job: unit}]\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n'
        "      when: manual\n"
    )
    (tmp_path / "ci/setup.sh").write_text("apk add helm\n")
    (tmp_path / "ci/deploy.sh").write_text("helm upgrade --install api chart\n")
    ci = pipeline(Repo(tmp_path))
    assert ci.files == [".gitlab-ci.yml", "ci/gitlab/deploy.yml", "ci/gitlab/test.yml"]
    unit, deploy = ci.job("unit"), ci.job("deploy:prod")
    assert unit is not None
    assert deploy is not None
    assert (unit.on_change, unit.on_main, unit.manual) == (True, False, False)
    assert unit.runs(r"apk add helm")
    assert unit.scripts == ("ci/setup.sh",)
    assert (deploy.on_change, deploy.on_main, deploy.manual) == (False, True, True)
    assert deploy.environment == "prod"
    assert deploy.needs == ("unit",)
    assert deploy.runs(r"helm upgrade")
    assert deploy.via(r"helm upgrade") == " (via ci/deploy.sh)"


def test_jobs_know_which_pushes_to_main_start_them(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: github\n")
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "apply.yml").write_text(
        "on:\n  push:\n    branches: [main]\n    paths: ['ci/**', '!ci/*.md']\n"
        "  workflow_dispatch:\njobs:\n  apply:\n    steps:\n      - run: ci/apply.sh\n"
    )
    (workflows / "docs.yml").write_text(
        "on:\n  push:\n    branches: [main]\n    paths-ignore: ['**/*.py']\n"
        "jobs:\n  docs:\n    steps:\n      - run: make docs\n"
    )
    (workflows / "pr.yml").write_text(
        "on: [pull_request]\njobs:\n  test:\n    steps:\n      - run: make test\n"
    )
    ci = pipeline(Repo(tmp_path))
    apply, docs, test = (ci.job(name) for name in ("apply", "docs", "test"))
    assert apply is not None
    assert docs is not None
    assert test is not None
    assert apply.main_paths == ("ci/**", "!ci/*.md")
    assert apply.manual
    assert apply.starts_on_main_change("ci/protect_environments.py")
    assert apply.starts_on_main_change("ci/sub/x.sh")
    assert not apply.starts_on_main_change("ci/README.md")
    assert not apply.starts_on_main_change("src/app.py")
    assert docs.starts_on_main_change("README.md")
    assert not docs.starts_on_main_change("ci/protect_environments.py")
    assert not test.starts_on_main_change("ci/protect_environments.py")


def test_gitlab_rules_changes_decide_which_pushes_to_main_start_a_job(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: gitlab\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "apply:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      changes: {paths: [ci/*.py]}\n'
        '    - if: $CI_COMMIT_BRANCH == "main"\n      when: manual\n'
        "by-hand:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      when: manual\n'
        "always:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      changes: [docs/**]\n'
        '    - if: $CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"\n'
    )
    ci = pipeline(Repo(tmp_path))
    apply, by_hand, always = (ci.job(name) for name in ("apply", "by-hand", "always"))
    assert apply is not None
    assert by_hand is not None
    assert always is not None
    assert apply.main_paths == ("ci/*.py",)
    assert apply.starts_on_main_change("ci/protect_environments.py")
    assert not apply.starts_on_main_change("ci/gitlab/x.yml")
    assert by_hand.main_paths is None
    assert not by_hand.starts_on_main_change("ci/protect_environments.py")
    assert always.main_paths == ()
    assert always.starts_on_main_change("anything")
