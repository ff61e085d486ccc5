"""CI definitions: schema, pinned third-party code, and checkov.

GitHub Actions workflows (``.github/workflows/*.yml``) or GitLab CI (``.gitlab-ci.yml``
and the local files it includes), whichever the repository has.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generator.tools import run, which
from generator.validators.base import Context, Outcome
from generator.validators.checkov import NO_CHECKOV, checkov_report

PINNED = re.compile(r"@[0-9a-f]{40}$")


def workflows(repo: Path) -> list[Path]:
    folder = repo / ".github" / "workflows"
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def gitlab_files(repo: Path) -> list[Path]:
    """``.gitlab-ci.yml`` and the files its ``include: local:`` entries name (wildcards too)."""
    main = repo / ".gitlab-ci.yml"
    if not main.is_file():
        return []
    try:
        pipeline = _load(main)
    except (OSError, UnicodeDecodeError, YAMLError):  # ci-schema reports the broken file
        return [main]
    included: set[Path] = set()
    for pattern in local_includes(pipeline):
        included.update(p for p in repo.glob(pattern.lstrip("/")) if p.is_file())
    return [main, *sorted(included)]


def local_includes(pipeline: Any) -> list[str]:
    """The ``local`` include patterns of a GitLab pipeline (a string, a list, or mappings)."""
    entries = pipeline.get("include", []) if isinstance(pipeline, dict) else []
    if not isinstance(entries, list):
        entries = [entries]
    patterns = []
    for entry in entries:
        if isinstance(entry, str) and not entry.startswith(("http://", "https://")):
            patterns.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("local"), str):
            patterns.append(entry["local"])
    return patterns


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def action_refs(workflow: Any) -> Iterator[str]:
    """Every ``uses:`` of a workflow: job-level (reusable workflows) and step-level."""
    jobs = workflow.get("jobs", {}) if isinstance(workflow, dict) else {}
    for job in jobs.values():
        if not isinstance(job, dict):
            continue
        if "uses" in job:
            yield str(job["uses"])
        for step in job.get("steps") or []:
            if isinstance(step, dict) and "uses" in step:
                yield str(step["uses"])


def unpinned(ref: str) -> bool:
    """Third-party code not pinned to a full commit SHA (local actions and digests are fine)."""
    if ref.startswith("./"):
        return False
    if ref.startswith("docker://"):
        return "@sha256:" not in ref
    return PINNED.search(ref) is None


class CiSchema:
    name = "ci-schema"
    description = (
        "the workflows or the GitLab pipeline, and renovate.json, against their JSON schemas "
        "(check-jsonschema)"
    )

    def applies(self, repo: Path) -> bool:
        return bool(workflows(repo) or gitlab_files(repo) or (repo / "renovate.json").is_file())

    def run(self, context: Context) -> Outcome:
        try:
            import check_jsonschema  # noqa: F401
        except ImportError:
            return Outcome.skipped(
                self.name, "check-jsonschema is not installed (pip install check-jsonschema)"
            )
        renovate = [p for p in [context.repo / "renovate.json"] if p.is_file()]
        checks = [
            ("vendor.github-workflows", workflows(context.repo)),
            ("vendor.gitlab-ci", gitlab_files(context.repo)),
            ("vendor.renovate", renovate),
        ]
        findings: list[str] = []
        count = 0
        for schema, files in checks:
            if not files:
                continue
            count += len(files)
            done = run(
                [
                    sys.executable,
                    "-m",
                    "check_jsonschema",
                    "--builtin-schema",
                    schema,
                    *map(str, files),
                ],
                cwd=context.repo,
            )
            if not done.ok:
                findings.append(done.output)
        return Outcome.from_findings(self.name, f"{count} file(s) checked", findings)


class CiPinning:
    name = "ci-pinning"
    description = "every third-party action is pinned to a full commit SHA"

    def applies(self, repo: Path) -> bool:
        return bool(workflows(repo))

    def run(self, context: Context) -> Outcome:
        findings: list[str] = []
        refs = 0
        for path in workflows(context.repo):
            for ref in action_refs(_load(path)):
                refs += 1
                if unpinned(ref):
                    findings.append(
                        f"{path.relative_to(context.repo)}: {ref} is not pinned to a commit SHA"
                    )
        return Outcome.from_findings(
            self.name, f"{refs} action reference(s), {len(findings)} unpinned", findings
        )


class CheckovCi:
    name = "checkov-ci"
    description = "checkov security scan of the CI definitions (zero failed checks)"

    def applies(self, repo: Path) -> bool:
        return bool(workflows(repo) or gitlab_files(repo))

    def run(self, context: Context) -> Outcome:
        checkov = which("checkov")
        if checkov is None:
            return Outcome.skipped(self.name, NO_CHECKOV)
        if workflows(context.repo):
            return checkov_report(self.name, checkov, context.scratch, "github_actions")
        # checkov knows a GitLab pipeline by its file name (*.gitlab-ci.yml): the included
        # files are scanned as copies named that way, as the generated pipeline does.
        folder = context.scratch.parent / "gitlab-ci"
        folder.mkdir(exist_ok=True)
        copies = {}
        for index, path in enumerate(gitlab_files(context.repo)):
            name = f"{index:02d}.gitlab-ci.yml"
            shutil.copyfile(path, folder / name)
            copies[f"/{name}:"] = f"{path.relative_to(context.repo).as_posix()}:"
        outcome = checkov_report(self.name, checkov, folder, "gitlab_ci")
        details = outcome.details
        for copy, original in copies.items():
            details = details.replace(copy, original)
        return dataclasses.replace(outcome, details=details)
