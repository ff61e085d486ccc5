"""Hostile answers land literally in every file of a rendered repo: HCL, YAML, JSON, Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
from markdown_it import MarkdownIt

from generator.validate import validate
from generator.validators import Status
from tests.conftest import Render, load_yaml, require_tool
from tests.unit.test_macros import HOSTILE

ISSUE_EXAMPLE = HOSTILE[0]


def _hcl_string(source_form: str) -> str:
    text: str = json.loads(source_form.replace("$${", "${").replace("%%{", "%{"))
    return text


@pytest.fixture(params=HOSTILE, ids=range(len(HOSTILE)))
def hostile_repo(
    request: pytest.FixtureRequest, render: Render, minimal_answers: dict[str, Any]
) -> tuple[Path, str]:
    text = request.param
    return render({**minimal_answers, "description": text}), text


def test_description_in_terraform_is_the_literal_text(hostile_repo: tuple[Path, str]) -> None:
    repo, text = hostile_repo
    for env_dir in (repo / "terraform" / "envs").iterdir():
        module = hcl2.loads((env_dir / "main.tf").read_text(encoding="utf-8"))["module"][0][
            '"service"'
        ]
        assert _hcl_string(module["description"]) == text


def test_description_in_yaml_and_json_is_the_literal_text(hostile_repo: tuple[Path, str]) -> None:
    repo, text = hostile_repo
    assert load_yaml(repo / ".copier-answers.yml")["description"] == text
    renovate = json.loads((repo / "renovate.json").read_text(encoding="utf-8"))
    assert renovate["description"][0] == f"catalog-api: {text}"


def test_description_in_markdown_is_plain_text(hostile_repo: tuple[Path, str]) -> None:
    repo, text = hostile_repo
    tokens = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .parse((repo / "README.md").read_text(encoding="utf-8"))
    )
    paragraph = tokens[tokens.index(next(t for t in tokens if t.type == "paragraph_open")) + 1]
    children = paragraph.children or []
    assert [child.type for child in children] == ["text"]
    # Edge whitespace is dropped (four leading spaces would make a code block).
    assert children[0].content == text.strip()


@pytest.mark.slow
def test_hostile_repo_passes_terraform_checks(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    require_tool("terraform")
    repo = render(
        {
            **minimal_answers,
            "description": ISSUE_EXAMPLE,
            "environments": ["prod"],
            "datastores": [],
        }
    )
    report = validate(repo, only=["parse", "terraform-fmt", "terraform-validate"], require_all=True)
    failures = [
        f"{o.validator}: {o.summary}\n{o.details}"
        for o in report.outcomes
        if o.status is not Status.PASSED
    ]
    assert not failures, "\n\n".join(failures)
