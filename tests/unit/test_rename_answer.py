"""The answer-rename migration: only the key changes, comments and everything else stay."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import EXAMPLES, ROOT, Render, load_yaml

SCRIPT = ROOT / "migrations" / "rename_answer.py"

COMMENT = "  # finance asked for this one"


@pytest.fixture
def answers_text(render: Render) -> str:
    """A real answers file as Copier writes it, with the comments the template puts on top
    and one a team added."""
    text = (render(EXAMPLES / "payments-api.yml") / ".copier-answers.yml").read_text()
    assert text.startswith("# Answers this repository was generated with.")
    assert "cost_center: cc-4102\n" in text
    return text.replace("cost_center: cc-4102\n", f"cost_center: cc-4102{COMMENT}\n")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rename_answer", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _load()


def test_only_the_key_changes(script: ModuleType, answers_text: str) -> None:
    after = script.rename(answers_text, "cost_center", "cost_centre")
    changed = [
        (a, b) for a, b in zip(answers_text.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [(f"cost_center: cc-4102{COMMENT}", f"cost_centre: cc-4102{COMMENT}")]


def test_a_key_the_text_rename_cannot_handle_is_renamed_by_a_round_trip(
    script: ModuleType,
) -> None:
    text = "{cost_center: cc-1, team: payments}  # flow style\n"
    with pytest.raises(script._TextRenameError):
        script._rename_text(text, "cost_center", "cost_centre")
    after = script.rename(text, "cost_center", "cost_centre")
    assert YAML(typ="safe", pure=True).load(after) == {"cost_centre": "cc-1", "team": "payments"}
    assert after.rstrip().endswith("# flow style")


def test_round_trip_keeps_the_position_of_the_key(script: ModuleType, answers_text: str) -> None:
    before: dict[str, Any] = YAML(typ="safe", pure=True).load(answers_text)
    after: dict[str, Any] = YAML(typ="safe", pure=True).load(
        script.rename(answers_text, "datastores", "stores")
    )
    assert list(after) == [("stores" if key == "datastores" else key) for key in before]
    assert after["stores"] == ["postgres", "s3", "sqs"]


def test_nothing_to_rename_is_not_an_error(script: ModuleType, answers_text: str) -> None:
    assert script.rename(answers_text, "team_slug", "team") is None


@pytest.mark.parametrize("way", ["_rename_round_trip", "_rename_text"])
def test_both_names_present_needs_a_person(script: ModuleType, way: str, answers_text: str) -> None:
    with pytest.raises(script.MigrationError, match="holds both 'cost_center' and"):
        getattr(script, way)(answers_text + "cost_centre: cc-1\n", "cost_center", "cost_centre")


def test_refuses_names_that_are_not_answer_names(script: ModuleType) -> None:
    with pytest.raises(script.MigrationError, match="not an answer name"):
        script.rename("cost_center: x\n", "cost_center", "cost centre: x")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_command_line_renames_in_place(tmp_path: Path, answers_text: str) -> None:
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(answers_text)
    done = _run(".copier-answers.yml", "cost_center", "cost_centre", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "renamed answer 'cost_center' to 'cost_centre'" in done.stderr
    assert load_yaml(answers)["cost_centre"] == "cc-4102"
    assert COMMENT in answers.read_text()
    again = _run(".copier-answers.yml", "cost_center", "cost_centre", cwd=tmp_path)
    assert again.returncode == 0
    assert "nothing to rename" in again.stderr


def test_command_line_failures(tmp_path: Path, answers_text: str) -> None:
    assert _run(cwd=tmp_path).returncode == 2
    missing = _run("nope.yml", "a", "b", cwd=tmp_path)
    assert missing.returncode == 1
    assert "nope.yml" in missing.stderr
    answers = tmp_path / "answers.yml"
    answers.write_text(answers_text + "cost_centre: cc-1\n")
    both = _run("answers.yml", "cost_center", "cost_centre", cwd=tmp_path)
    assert both.returncode == 1
    assert "keep one" in both.stderr
    assert answers.read_text() == answers_text + "cost_centre: cc-1\n", "left untouched"
