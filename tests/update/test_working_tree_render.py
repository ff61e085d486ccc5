"""Rendering from a checkout renders the checkout, not its latest release tag.

Copier renders a git template at its newest tag unless told otherwise; once this repository
is tagged, `paved new --template .` (and `make demo`) must still show the work in progress.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.cli import cli
from tests.conftest import git, load_yaml
from tests.update.conftest import V1

COMMITTED = "Committed after the release.\n"
UNCOMMITTED = "Not committed yet.\n"


def _tagged_template(template_dir: Path, target: Path) -> Path:
    shutil.copytree(template_dir, target)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "release")
    git(target, "tag", V1)
    readme = target / "templates" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n" + COMMITTED)
    git(target, "commit", "-qam", "work after the release")
    readme.write_text(readme.read_text(encoding="utf-8") + UNCOMMITTED)
    return target


def _new(template: Path, answers: Path, destination: Path, *extra: str) -> str:
    args = ["new", str(answers), str(destination), "--template", str(template), "--no-validate"]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.output
    return (destination / "README.md").read_text(encoding="utf-8")


def test_a_local_template_renders_as_it_is_on_disk(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    template = _tagged_template(template_dir, tmp_path / "template")
    answers = tmp_path / "answers.yml"
    with answers.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(minimal_answers, handle)

    readme = _new(template, answers, tmp_path / "head")
    assert readme.endswith(COMMITTED + UNCOMMITTED)
    recorded = load_yaml(tmp_path / "head" / ".copier-answers.yml")["_commit"]
    assert recorded.startswith(f"{V1}-"), "the version says it is past the release"


def test_an_explicit_ref_renders_that_release(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    template = _tagged_template(template_dir, tmp_path / "template")
    answers = tmp_path / "answers.yml"
    with answers.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(minimal_answers, handle)

    readme = _new(template, answers, tmp_path / "release", "--vcs-ref", V1)
    assert COMMITTED not in readme
    assert UNCOMMITTED not in readme
    assert load_yaml(tmp_path / "release" / ".copier-answers.yml")["_commit"] == V1
