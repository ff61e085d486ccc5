"""The CI definitions of a repository as one list of jobs, for GitHub Actions and GitLab CI.

A job knows where it is defined, when it runs (on every change, i.e. a pull or merge
request; on a push to main, or only on one that changes given files; by hand), the
environment it deploys to, the jobs it needs, and what it runs: its own commands plus the
repository scripts those commands call (``ci/*.sh``, ``ci/*.py``), followed a few levels
deep, because the scripts do the work.

GitLab's pipeline is ``.gitlab-ci.yml`` plus the files its ``include: - local:`` entries
name (wherever they are), resolved the way GitLab does: included files first, the including
file's keys win; ``extends`` is merged in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator.readiness.sources.repo import Repo, dig, key_line
from generator.validators.pipelines import local_includes

GITLAB_CI = ".gitlab-ci.yml"
GITHUB_WORKFLOWS = ".github/workflows"
DEFAULT_BRANCH = "main"
# Top-level GitLab keys that are not jobs.
GITLAB_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
}
_SCRIPT = re.compile(r"(?<![\w$/.-])(?:\./)?([\w.-]+(?:/[\w.-]+)*\.(?:sh|py|bash))\b")


@dataclass
class Job:
    """One CI job, as the readiness checks see it."""

    file: str
    line: int | None
    name: str
    on_change: bool = False
    on_main: bool = False
    manual: bool = False
    environment: str | None = None
    # Environments a dispatched job may target (the options of its environment input).
    environment_options: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    # The pushes to main that start the job by itself, without a person: None when none
    # does, () when every push does, else path patterns ("!" excludes, the last match
    # decides) one of which a push must change. GitHub's paths-ignore is kept apart.
    main_paths: tuple[str, ...] | None = None
    main_paths_ignore: tuple[str, ...] = ()
    commands: str = ""
    scripts: tuple[str, ...] = ()
    # Own commands plus the text of every repository script they call.
    expanded: str = ""
    script_texts: dict[str, str] = field(default_factory=dict, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def runs(self, pattern: str) -> bool:
        return re.search(pattern, self.expanded, re.MULTILINE) is not None

    def targets(self, environment: str) -> bool:
        return self.environment == environment or environment in self.environment_options

    def starts_on_main_change(self, path: str) -> bool:
        """Whether a push to main that changes (only) ``path`` starts the job by itself."""
        if self.main_paths is None or _paths_match(self.main_paths_ignore, path):
            return False
        return not self.main_paths or _paths_match(self.main_paths, path)

    def via(self, pattern: str) -> str:
        """Which script runs ``pattern`` (for evidence): `` (via ci/x.sh)`` or ``""``."""
        if re.search(pattern, self.commands, re.MULTILINE):
            return ""
        for script in self.scripts:
            if re.search(pattern, self.script_texts.get(script, ""), re.MULTILINE):
                return f" (via {script})"
        return ""


@dataclass
class Pipeline:
    provider: str
    files: list[str]
    jobs: list[Job]
    problems: list[str] = field(default_factory=list)

    @property
    def change_jobs(self) -> list[Job]:
        """The jobs that run on pull/merge requests."""
        return [j for j in self.jobs if j.on_change]

    def job(self, name: str) -> Job | None:
        return next((j for j in self.jobs if j.name == name), None)

    def upstream(self, job: Job) -> set[str]:
        """Every job ``job`` needs, directly or through others."""
        seen: set[str] = set()
        stack = list(job.needs)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            found = self.job(name)
            if found is not None:
                stack.extend(found.needs)
        return seen


def _text(value: Any) -> str:
    """Commands from a string or a (nested) list of strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return ""


def _expand(repo: Repo, job: Job, depth: int = 3) -> None:
    texts: dict[str, str] = {}
    pending = [job.commands]
    for _ in range(depth):
        found: list[str] = []
        for text in pending:
            for match in _SCRIPT.finditer(text):
                path = match.group(1)
                if path not in texts and repo.exists(path):
                    texts[path] = repo.text(path) or ""
                    found.append(texts[path])
        pending = found
    job.scripts = tuple(texts)
    job.script_texts = texts
    job.expanded = "\n".join([job.commands, *texts.values()])


# --- GitHub Actions -------------------------------------------------------------------


def _github_triggers(on: Any) -> dict[str, Any]:
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(item): None for item in on}
    if isinstance(on, dict):
        return {str(key): value for key, value in on.items()}
    return {}


def _glob(pattern: str, text: str) -> bool:
    """A branch or path pattern of either host: ``**`` crosses folders, ``*`` and ``?`` do
    not."""
    regex = (
        re.escape(pattern)
        .replace(r"\*\*/", "(?:.*/)?")
        .replace(r"\*\*", ".*")
        .replace(r"\*", "[^/]*")
        .replace(r"\?", "[^/]")
    )
    return re.fullmatch(regex, text) is not None


def _patterns(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(str(item) for item in items)


def _paths_match(patterns: tuple[str, ...], path: str) -> bool:
    """GitHub's path filter: the last matching pattern decides, ``!`` excludes."""
    matched = False
    for pattern in patterns:
        if pattern.startswith("!"):
            matched = matched and not _glob(pattern[1:], path)
        elif _glob(pattern, path):
            matched = True
    return matched


def _branch_matches(patterns: Any, branch: str) -> bool:
    if patterns is None:
        return True
    return any(_glob(pattern, branch) for pattern in _patterns(patterns))


def github_pipeline(repo: Repo) -> Pipeline:
    files = repo.glob(f"{GITHUB_WORKFLOWS}/*.yml") + repo.glob(f"{GITHUB_WORKFLOWS}/*.yaml")
    jobs: list[Job] = []
    for file in files:
        workflow = repo.yaml(file)
        if not isinstance(workflow, dict):
            continue
        # YAML 1.1 readers turn `on` into true; accept both spellings.
        triggers = _github_triggers(workflow.get("on", workflow.get(True)))
        push = triggers.get("push", False) if "push" in triggers else False
        on_change = any(t in triggers for t in ("pull_request", "pull_request_target"))
        on_main = "push" in triggers and _branch_matches(dig(push, "branches"), DEFAULT_BRANCH)
        if "push" in triggers and dig(push, "branches") is None:
            on_change = True
        dispatch = triggers.get("workflow_dispatch")
        inputs = dig(dispatch, "inputs") if isinstance(dispatch, dict) else None
        main_paths = _patterns(dig(push, "paths")) if on_main else None
        main_paths_ignore = _patterns(dig(push, "paths-ignore")) if on_main else ()
        for name, body in (workflow.get("jobs") or {}).items():
            if not isinstance(body, dict):
                continue
            environment = body.get("environment")
            if isinstance(environment, dict):
                environment = environment.get("name")
            options: tuple[str, ...] = ()
            if isinstance(environment, str) and isinstance(inputs, dict):
                for input_name, spec in inputs.items():
                    if re.search(rf"inputs\.{re.escape(str(input_name))}\b", environment):
                        options = tuple(str(o) for o in dig(spec, "options") or [])
            needs = body.get("needs") or []
            steps = body.get("steps") or []
            commands = "\n".join(
                _text(step.get("run")) or f"uses: {step.get('uses', '')}"
                for step in steps
                if isinstance(step, dict)
            )
            job = Job(
                file=file,
                line=key_line(workflow["jobs"], name),
                name=str(name),
                on_change=on_change,
                on_main=on_main,
                manual="workflow_dispatch" in triggers,
                environment=str(environment) if environment is not None else None,
                environment_options=options,
                needs=tuple([needs] if isinstance(needs, str) else [str(n) for n in needs]),
                main_paths=main_paths,
                main_paths_ignore=main_paths_ignore,
                commands=commands,
            )
            _expand(repo, job)
            jobs.append(job)
    return Pipeline("github", files, jobs)


# --- GitLab CI ------------------------------------------------------------------------


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _rule_changes(changes: Any, so_far: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Add one automatic main rule's ``changes`` (a list, or ``{paths: [...]}``) to the
    patterns found so far; a rule without ``changes`` runs on every push: ``()``."""
    if so_far == ():
        return ()
    if isinstance(changes, dict):
        changes = changes.get("paths")
    patterns = _patterns(changes)
    if not patterns:
        return ()
    return (*(so_far or ()), *patterns)


def gitlab_pipeline(repo: Repo) -> Pipeline:
    files: list[str] = []
    problems: list[str] = []
    # name -> (file, line, body); included files first, so the including file wins.
    definitions: dict[str, tuple[str, int | None, dict[str, Any]]] = {}

    def load(rel: str, depth: int) -> None:
        if rel in files or depth > 10:
            return
        data = repo.yaml(rel)
        files.append(rel)
        if not isinstance(data, dict):
            return
        for pattern in local_includes(data):
            pattern = pattern.lstrip("/")
            matched = repo.glob(pattern) if any(c in pattern for c in "*?[") else [pattern]
            for included in matched:
                if repo.exists(included):
                    load(included, depth + 1)
                else:
                    line = key_line(data, "include")
                    problems.append(f"{rel}:{line} includes {included}, which does not exist")
        for name, body in data.items():
            if name in GITLAB_KEYWORDS or not isinstance(body, dict):
                continue
            definitions[str(name)] = (rel, key_line(data, name), dict(body))

    if repo.exists(GITLAB_CI):
        load(GITLAB_CI, 0)

    def resolved(name: str, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        body = definitions[name][2]
        parents = body.get("extends") or []
        merged: dict[str, Any] = {}
        for parent in [parents] if isinstance(parents, str) else list(parents):
            if parent in definitions and parent not in seen:
                merged = _merge(merged, resolved(parent, seen | {name}))
        return _merge(merged, body)

    jobs: list[Job] = []
    for name, (file, line, _) in definitions.items():
        if name.startswith("."):
            continue
        body = resolved(name)
        job_when = str(body.get("when", "on_success"))
        rules = body.get("rules")
        on_change = on_main = manual = False
        main_paths: tuple[str, ...] | None = None
        if rules is None:
            only = body.get("only")
            only_items = [str(o) for o in (only if isinstance(only, list) else [])]
            on_change = only is None or "merge_requests" in only_items
            on_main = only is None or DEFAULT_BRANCH in only_items or "branches" in only_items
            manual = job_when == "manual"
            main_paths = () if on_main and not manual else None
        else:
            for rule in rules if isinstance(rules, list) else []:
                if not isinstance(rule, dict):
                    continue
                when = str(rule.get("when", job_when))
                if when == "never":
                    continue
                condition = str(rule.get("if", ""))
                if not condition or "merge_request_event" in condition:
                    on_change = True
                if not condition or re.search(
                    rf"CI_COMMIT_BRANCH\s*==\s*[\"']?{DEFAULT_BRANCH}\b|CI_DEFAULT_BRANCH",
                    condition,
                ):
                    on_main = True
                    if when != "manual":
                        main_paths = _rule_changes(rule.get("changes"), main_paths)
                manual = manual or when == "manual"
        environment = body.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        needs = body.get("needs") or []
        job = Job(
            file=file,
            line=line,
            name=name,
            on_change=on_change,
            on_main=on_main,
            manual=manual,
            environment=str(environment) if environment is not None else None,
            needs=tuple(
                str(n.get("job")) if isinstance(n, dict) else str(n)
                for n in (needs if isinstance(needs, list) else [])
            ),
            main_paths=main_paths,
            commands="\n".join(
                _text(body.get(key)) for key in ("before_script", "script", "after_script")
            ),
            extra={"resource_group": body.get("resource_group")},
        )
        _expand(repo, job)
        jobs.append(job)
    return Pipeline("gitlab", files, jobs, problems)


def pipeline(repo: Repo) -> Pipeline:
    """The repository's CI, for the provider its answers name (or whichever is there)."""
    provider = repo.answers.ci_provider
    if provider == "gitlab" or (provider != "github" and repo.exists(GITLAB_CI)):
        return gitlab_pipeline(repo)
    return github_pipeline(repo)
