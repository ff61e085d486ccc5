"""`terraform-test` keeps a module's pass per content: the same module is tested once, and a
changed module, a changed test or another Terraform is never served an earlier result."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.validate import validate
from generator.validators import Status
from tests.conftest import require_tool

MODULE = """\
variable "replicas" {
  type    = number
  default = 3
}

output "replicas" {
  value = var.replicas
}
"""
TEST = """\
run "defaults" {
  command = plan

  assert {
    condition     = output.replicas == 3
    error_message = "three replicas by default"
  }
}
"""


def _repo(root: Path, name: str = "repo") -> Path:
    module = root / name / "terraform" / "modules" / "small"
    (module / "tests").mkdir(parents=True)
    (module / "main.tf").write_text(MODULE, encoding="utf-8")
    (module / "tests" / "defaults.tftest.hcl").write_text(TEST, encoding="utf-8")
    return root / name


def _summary(repo: Path, keep: bool = True) -> tuple[Status, str]:
    report = validate(repo, only=["terraform-test"], keep_results=keep)
    (outcome,) = report.outcomes
    return outcome.status, outcome.summary


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PAVED_CACHE", str(cache))
    return cache


def test_the_same_module_is_tested_once(tmp_path: Path, results: Path) -> None:
    require_tool("terraform")
    first = _repo(tmp_path, "first")
    assert _summary(first) == (Status.PASSED, "small: Success! 1 passed, 0 failed")
    # Another repository rendering the same module, as every example does.
    status, summary = _summary(_repo(tmp_path, "second"))
    assert status is Status.PASSED
    assert summary.startswith("small: Success! 1 passed, 0 failed (kept:")
    assert len(list((results / "terraform-test").glob("*.json"))) == 1
    # --no-cache runs the tests whatever was kept.
    assert _summary(first, keep=False) == (Status.PASSED, "small: Success! 1 passed, 0 failed")


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("main.tf", "default = 3", "default = 2"),
        ("tests/defaults.tftest.hcl", "== 3", "== 4"),
    ],
    ids=["module-changed", "test-changed"],
)
def test_a_changed_module_is_tested_again(
    tmp_path: Path, results: Path, path: str, old: str, new: str
) -> None:
    require_tool("terraform")
    repo = _repo(tmp_path)
    assert _summary(repo)[0] is Status.PASSED
    changed = repo / "terraform" / "modules" / "small" / path
    changed.write_text(changed.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    status, summary = _summary(repo)
    assert (status, summary) == (Status.FAILED, "small: Failure! 0 passed, 1 failed")
    # A failure is never kept: the next run tests again and fails again.
    assert _summary(repo)[0] is Status.FAILED
