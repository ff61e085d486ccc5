"""Delivery: the deployment strategy (``deploy-strategy``), continuous integration (``ci``) and
delivery (``cd``), static analysis (``static-analysis``) and the rollback path (``rollback``)."""

from __future__ import annotations

import json
import re
from collections import Counter

from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources import markdown, protection
from generator.readiness.sources.chart import _manifests, _workload
from generator.readiness.sources.ci import GITHUB_WORKFLOWS, GITLAB_CI, Job, Pipeline, pipeline
from generator.readiness.sources.paths import (
    BUILD_COMMAND,
    COMMON_SH,
    DEPLOY_COMMAND,
    HELM_ROLLBACK,
    PROD,
    ROLLBACK_COMMAND,
    ROLLBACK_RUNBOOK,
    RUNBOOKS,
    TEST_COMMAND,
)
from generator.readiness.sources.repo import (
    Repo,
    dig,
)
from generator.readiness.sources.rules import _thresholds
from generator.readiness.sources.text import _line
from generator.validators.kubernetes import Manifest

STRATEGY_WORDS = {
    "rolling": r"rolling",
    "canary": r"canar(y|ies)",
    "blue_green": r"blue[-_ ]green",
}


@CHECKS.add(
    "deploy-strategy",
    5,
    "Deployment strategy implemented and documented",
    required=False,
    fix="Keep the chart's workload, ci/common.sh and the README on the answered "
    "deploy_strategy (change it with `copier update --data deploy_strategy=...`).",
)
def check_deploy_strategy(repo: Repo, f: Findings) -> None:
    a = repo.answers
    strategy = a.deploy_strategy
    manifests = _manifests(repo, f)
    if manifests is not None:
        workload = _workload(repo, manifests)
        if workload is None:
            f.bad(repo.values_rel(PROD), None, "the chart renders no Deployment or Rollout")
        else:
            rel, line = repo.template_line(workload.source, "kind:")
            names = {m.name for m in manifests}
            templates = {m.name for m in manifests if m.kind == "AnalysisTemplate"}
            spec = dig(workload.obj, "spec", "strategy") or {}
            if strategy == "rolling":
                kind = dig(spec, "type") or "RollingUpdate"
                if workload.kind != "Deployment" or kind != "RollingUpdate":
                    f.bad(rel, line, f"rolling answered; prod renders a {workload.kind} ({kind})")
                else:
                    f.ok(rel, line, "Deployment with RollingUpdate")
            else:
                key = "canary" if strategy == "canary" else "blueGreen"
                section = dig(spec, key)
                if workload.kind != "Rollout" or not isinstance(section, dict):
                    f.bad(
                        rel,
                        line,
                        f"{strategy} answered; prod renders no Rollout with strategy.{key}",
                    )
                else:
                    analysis = (
                        dig(section, "analysis", "templates")
                        if key == "canary"
                        else dig(section, "prePromotionAnalysis", "templates")
                    ) or []
                    used = {str(t.get("templateName")) for t in analysis if isinstance(t, dict)}
                    if not used or not used <= templates:
                        f.bad(
                            rel,
                            line,
                            f"Rollout {key}: no SLO analysis (AnalysisTemplate) gates the release",
                        )
                    elif key == "canary" and not dig(section, "steps"):
                        f.bad(rel, line, "Rollout canary has no steps")
                    elif (
                        key == "blueGreen"
                        and not {dig(section, "activeService"), dig(section, "previewService")}
                        <= names
                    ):
                        f.bad(rel, line, "Rollout blueGreen: active or preview Service missing")
                    else:
                        f.ok(rel, line, f"Rollout {key} gated by {', '.join(sorted(used))}")
                        _gates_can_fail(
                            repo, [m for m in manifests if m.kind == "AnalysisTemplate"], used, f
                        )
    line = repo.find_line(COMMON_SH, r"DEPLOY_STRATEGY=")
    common = repo.text(COMMON_SH)
    if common is None or line is None:
        f.bad(COMMON_SH, None, "does not set DEPLOY_STRATEGY for ci/deploy.sh")
    elif not re.search(
        rf"DEPLOY_STRATEGY=\$\{{DEPLOY_STRATEGY:-{strategy}\}}|"
        rf"DEPLOY_STRATEGY={strategy}\b",
        repo.lines(COMMON_SH)[line - 1],
    ):
        f.bad(
            COMMON_SH,
            line,
            f"DEPLOY_STRATEGY is not {strategy}: ci/deploy.sh releases another way than the chart",
        )
    else:
        f.ok(COMMON_SH, line, f"ci/deploy.sh releases {strategy}")
    documented = None
    for doc in ("README.md", "docs/READINESS.md", f"{RUNBOOKS}/README.md"):
        line = markdown.find_line(
            repo.text(doc) or "", rf"(?i){STRATEGY_WORDS.get(strategy, strategy)}"
        )
        if line is not None:
            documented = (doc, line)
            break
    if documented is None:
        f.bad("README.md", None, f"the {strategy} release is not documented")
    else:
        f.ok(documented[0], documented[1], f"{strategy} release documented")


def _gates_can_fail(repo: Repo, templates: list[Manifest], used: set[str], f: Findings) -> None:
    """Every metric of the analysis the release uses fails above an error ratio below 1: a
    gate whose failure needs more than every request failing never stops a release."""
    for template in templates:
        if template.name not in used:
            continue
        rel, line = repo.template_line(template.source, "failureCondition:")
        for metric in dig(template.obj, "spec", "metrics") or []:
            if not isinstance(metric, dict):
                continue
            limits = _thresholds(str(metric.get("failureCondition", "")))
            if not limits:
                f.bad(rel, line, f"{template.name}: metric {metric.get('name')} never fails")
            elif min(limits) >= 1:
                f.bad(
                    rel,
                    line,
                    f"{template.name}: metric {metric.get('name')} fails only above an error "
                    f"ratio of {min(limits):g}, which no ratio can reach",
                )


def _ci(repo: Repo, f: Findings) -> Pipeline | None:
    ci = pipeline(repo)
    main = GITLAB_CI if ci.provider == "gitlab" else f"{GITHUB_WORKFLOWS}/"
    if not ci.files:
        f.bad(main, None, "missing: the repository has no CI definitions")
        return None
    for problem in ci.problems:
        path, _, rest = problem.partition(" ")
        f.bad(path.split(":")[0], _line(path), rest)
    return ci


def _main_file(jobs: list[Job], ci: Pipeline) -> str:
    """The file holding most of ``jobs`` (where a missing job belongs), else the pipeline's."""
    files = Counter(job.file for job in jobs)
    return files.most_common(1)[0][0] if files else ci.files[0]


def _change_files(ci: Pipeline) -> str:
    return _main_file(ci.change_jobs, ci)


def _job_evidence(f: Findings, job: Job, what: str) -> None:
    f.ok(job.file, job.line, f"{job.name}: {what}")


@CHECKS.add(
    "ci",
    6,
    "Continuous integration: build and tests on every change",
    required=True,
    fix="Run the application's tests on every pull/merge request and build the image for "
    "every change (the `app` job of the pull-request pipeline).",
)
def check_ci(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    change = ci.change_jobs
    if not change:
        f.bad(ci.files[0], None, "no job runs on pull/merge requests")
        return
    tests = [j for j in change if j.runs(TEST_COMMAND)]
    if tests:
        _job_evidence(f, tests[0], "runs the tests on every change")
    else:
        f.bad(_change_files(ci), None, "no job on pull/merge requests runs the tests")
    builds = [j for j in ci.jobs if (j.on_change or j.on_main) and j.runs(BUILD_COMMAND)]
    if builds:
        _job_evidence(f, builds[0], "builds the image")
    else:
        f.bad(_change_files(ci), None, "no job builds the service for the changes it checks")


def _deploy_jobs(ci: Pipeline, environment: str) -> list[Job]:
    return [
        j
        for j in ci.jobs
        if j.on_main
        and j.targets(environment)
        and j.runs(DEPLOY_COMMAND)
        and not j.runs(r"ci/rollback\.sh")
    ]


@CHECKS.add(
    "cd",
    7,
    "Continuous delivery: lower environments automatically, prod one approved step",
    required=True,
    fix="Deploy every environment from main in order, lower ones automatically and prod "
    "behind an approval, with the SLO gate and release notes (`copier update` restores the "
    "deploy pipeline).",
)
def check_cd(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    environments = [e for e in ("dev", "staging", "prod") if e in repo.answers.environments]
    previous: Job | None = None
    for environment in environments:
        jobs = _deploy_jobs(ci, environment)
        if not jobs:
            f.bad(_deploy_file(ci), None, f"no job deploys {environment} on a push to main")
            previous = None
            continue
        job = jobs[0]
        if environment != PROD:
            if job.manual:
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: waits for a person; {environment} deploys automatically",
                )
            else:
                _job_evidence(f, job, f"deploys {environment} automatically")
        else:
            approved = job.manual if ci.provider == "gitlab" else job.environment == PROD
            if not approved:
                f.bad(job.file, job.line, f"{job.name}: prod deploys without an approval step")
            else:
                how = "a manual job" if ci.provider == "gitlab" else "environment prod"
                _job_evidence(f, job, f"deploys prod after approval ({how})")
            if previous is not None and previous.name not in ci.upstream(job):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: does not wait for {previous.name}: prod "
                    "gets what the lower environment never ran",
                )
            if not job.runs(r"slo_gate|slo-gate"):
                f.bad(job.file, job.line, f"{job.name}: no SLO gate before prod")
            else:
                _job_evidence(f, job, "SLO gate" + job.via(r"slo_gate|slo-gate"))
            if not job.runs(r"release[_-]notes|release-please|semantic-release"):
                f.bad(job.file, job.line, f"{job.name}: no release notes")
            else:
                _job_evidence(f, job, "release notes" + job.via(r"release[_-]notes"))
        previous = job
    _prod_approvers(repo, f)
    _protection_applied(repo, ci, f)


def _prod_approvers(repo: Repo, f: Findings) -> None:
    """ci/protect_environments.py gives prod the approvers of the ownership model, and the
    lower environments none."""
    a = repo.answers
    script, model = protection.SCRIPT, a.ownership_model
    wanted = protection.prod_approvers(a)
    rule = protection.rule_text(a)
    fix = (
        f'Make APPROVERS["prod"] in {script} {json.dumps(wanted)}, as the {model} model has '
        "it, and the lower environments []; change who approves through the answers "
        "(`copier update --trust --defaults --data ownership_model=...`), which also rewrites "
        "CODEOWNERS and the docs."
    )
    found = protection.read(repo)
    if found is None:
        f.bad(
            script,
            None,
            "missing: nothing in the repository sets who approves prod",
            f"Restore {script} (git history has it) and let "
            f"{protection.APPLY_FILES.get(a.ci_provider, script)} apply it.",
        )
        return
    for line, what in found.problems:
        f.bad(script, line, what, fix)
    if found.environments is not None and PROD not in found.environments:
        f.bad(
            script,
            found.environments_line,
            "ENVIRONMENTS leaves prod out: its approvers are never applied",
            fix,
        )
    entry = found.approvers.get(PROD)
    if entry is not None:
        teams = list(dict.fromkeys(entry.teams))
        if set(teams) != set(wanted):
            f.bad(
                script,
                entry.line,
                f"prod approvers {', '.join(teams) or 'nobody'}; the {model} model needs {rule}",
                fix,
            )
        else:
            f.ok(script, entry.line, f"prod approvers {' or '.join(teams)} ({model} model)")
    elif found.approvers_line is not None and PROD not in found.named:
        f.bad(
            script,
            found.approvers_line,
            f"APPROVERS names no prod approvers; the {model} model needs {rule}",
            fix,
        )
    for environment, lower in found.approvers.items():
        if environment != PROD and lower.teams:
            f.bad(
                script,
                lower.line,
                f"{environment} approvers {', '.join(lower.teams)}: {environment} deploys on "
                "merge, without an approval",
                fix,
            )


def _protection_applied(repo: Repo, ci: Pipeline, f: Findings) -> None:
    """A job applies ci/protect_environments.py whenever a push to main changes it: without
    one, approvers edited in code never reach the git host."""
    script = protection.SCRIPT
    where = protection.APPLY_FILES.get(ci.provider, ci.files[0])
    fix = (
        f"Keep {where} running `python {script}` (not --dry-run) on every push to main that "
        "changes the script and by hand, as `copier update` renders it; README.md, Deploys and "
        "prod approvals, says which token it needs."
    )
    jobs = [j for j in ci.jobs if protection.applies(j)]
    applying = [j for j in jobs if j.starts_on_main_change(script)]
    if applying:
        job = applying[0]
        by_hand = ", and by hand" if job.manual else ""
        _job_evidence(f, job, f"applies {script} when a push to main changes it{by_hand}")
    elif jobs:
        job = jobs[0]
        f.bad(
            job.file,
            job.line,
            f"{job.name}: runs {script}, but no push to main that changes it starts the job: "
            "approvers edited in code never reach the git host",
            fix,
        )
    else:
        f.bad(
            where,
            None,
            f"missing: no job applies {script} when it changes on main (looked in "
            f"{', '.join(ci.files)})",
            fix,
        )


def _deploy_file(ci: Pipeline) -> str:
    return _main_file([j for j in ci.jobs if j.on_main and j.runs(DEPLOY_COMMAND)], ci)


STATIC_ANALYSIS = (
    ("checkov", r"\bcheckov\b", "checkov (IaC security scan)"),
    ("terraform fmt", r"\bterraform\b.*\bfmt\b.*-check", "terraform fmt -check"),
    ("terraform validate", r"\bterraform\b.*\bvalidate\b", "terraform validate"),
    ("helm lint", r"\bhelm(_python)?[ .]lint\b", "Helm lint of the chart"),
    ("promtool", r"\bpromtool check rules\b", "promtool check rules"),
)


@CHECKS.add(
    "static-analysis",
    8,
    "Static analysis in CI: lint and IaC security scan on every change",
    required=True,
    fix="Run checkov (without --soft-fail), terraform fmt/validate, Helm lint and promtool "
    "on every pull/merge request (`copier update` restores the checks).",
)
def check_static_analysis(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is None:
        return
    change = ci.change_jobs
    for key, pattern, what in STATIC_ANALYSIS:
        jobs = [j for j in change if j.runs(pattern)]
        if not jobs:
            f.bad(_change_files(ci), None, f"no job on pull/merge requests runs {what}")
            continue
        job = jobs[0]
        if key == "checkov":
            command = next(
                (line for line in job.expanded.splitlines() if re.search(r"\bcheckov\s+-", line)),
                "",
            )
            frameworks = re.search(r"--framework[= ]\s*(\S+)", command)
            if re.search(r"--soft-fail\b|(^|\s)-s(\s|$)", command):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: checkov runs with --soft-fail: findings never fail the change",
                )
                continue
            if frameworks and "terraform" not in frameworks.group(1):
                f.bad(job.file, job.line, f"{job.name}: checkov does not scan terraform")
                continue
        _job_evidence(f, job, f"runs {what}{job.via(pattern)}")


@CHECKS.add(
    "rollback",
    13,
    "Rollback path: a one-command CI rollback of prod and its runbook",
    required=True,
    fix="Keep the manual rollback (.github/workflows/rollback.yml or the rollback:<env> "
    "GitLab jobs) calling ci/rollback.sh, and docs/runbooks/rollback.md "
    "(`copier update` restores them).",
)
def check_rollback(repo: Repo, f: Findings) -> None:
    ci = _ci(repo, f)
    if ci is not None:
        jobs = [
            j
            for j in ci.jobs
            if j.manual
            and j.targets(PROD)
            and j.runs(ROLLBACK_COMMAND)
            and not j.runs(DEPLOY_COMMAND)
        ]
        if not jobs:
            where = f"{GITHUB_WORKFLOWS}/rollback.yml" if ci.provider == "github" else GITLAB_CI
            f.bad(
                where,
                None,
                f"missing: no manual CI job rolls prod back (looked in {', '.join(ci.files)})",
            )
        else:
            job = jobs[0]
            if not job.runs(HELM_ROLLBACK):
                f.bad(
                    job.file,
                    job.line,
                    f"{job.name}: runs no `helm rollback` or `kubectl argo rollouts undo`",
                )
            else:
                _job_evidence(f, job, "rolls prod back by hand" + job.via(HELM_ROLLBACK))
    if not repo.exists(ROLLBACK_RUNBOOK):
        f.bad(ROLLBACK_RUNBOOK, None, "missing: no rollback runbook")
    else:
        f.ok(ROLLBACK_RUNBOOK, None, "rollback runbook")
