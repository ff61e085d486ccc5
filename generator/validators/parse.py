"""Every structured file of the repository parses: YAML, JSON and HCL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml import YAML

from generator import hcl
from generator.validators.base import Context, Outcome

YAML_SUFFIXES = {".yml", ".yaml"}
JSON_SUFFIXES = {".json"}
HCL_SUFFIXES = {".tf", ".tfvars", ".hcl"}
SKIPPED_DIRS = {".git", ".terraform", "node_modules"}


def is_helm_template(path: Path) -> bool:
    """A file under a chart's ``templates/``: Go templates, parsed by Helm lint, not here."""
    return any(
        parent.name == "templates" and (parent.parent / "Chart.yaml").is_file()
        for parent in path.parents
    )


def structured_files(repo: Path) -> Iterator[Path]:
    """Files whose suffix says YAML, JSON or HCL, outside VCS and tool working dirs."""
    for path in sorted(repo.rglob("*")):
        if any(part in SKIPPED_DIRS for part in path.relative_to(repo).parts):
            continue
        if is_helm_template(path):
            continue
        if path.is_file() and path.suffix in YAML_SUFFIXES | JSON_SUFFIXES | HCL_SUFFIXES:
            yield path


def parse_error(path: Path) -> str | None:
    """Why ``path`` does not parse, or ``None`` when it does."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in YAML_SUFFIXES:
            list(YAML(typ="safe", pure=True).load_all(text))
        elif path.suffix in JSON_SUFFIXES:
            json.loads(text)
        else:
            hcl.loads(text)
    except Exception as error:
        message = str(error).strip()
        return message.splitlines()[0] if message else type(error).__name__
    return None


class ParseFiles:
    name = "parse"
    description = "every YAML, JSON and HCL file parses"

    def applies(self, repo: Path) -> bool:
        return True

    def run(self, context: Context) -> Outcome:
        files = list(structured_files(context.repo))
        errors = [
            f"{path.relative_to(context.repo)}: {error}"
            for path in files
            if (error := parse_error(path)) is not None
        ]
        if errors:
            return Outcome.failed(
                self.name, f"{len(errors)} of {len(files)} file(s) do not parse", "\n".join(errors)
            )
        return Outcome.passed(self.name, f"{len(files)} file(s) parse")
