"""Every command that lists a template's tags fails at once when the template wants
credentials: git is never left waiting on a prompt, even on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import EXAMPLES, serve_locally
from tests.fleet.test_versions import service_at
from tests.unit.test_template_source import AskForPassword

PAVED = str(Path(sys.executable).with_name("paved"))
# Far more than failing takes (well under a second); far less than a person would wait.
TIMEOUT = 60


def _run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """``paved ARGS`` on a pseudo-terminal, where git would prompt for a password."""
    child = pexpect.spawn(PAVED, args, cwd=str(cwd), encoding="utf-8", timeout=TIMEOUT)
    try:
        child.expect(pexpect.EOF)
    except pexpect.TIMEOUT:
        output = child.before or ""
        child.terminate(force=True)
        pytest.fail(f"paved {args[0]} still waiting after {TIMEOUT}s:\n{output}")
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return child.exitstatus, child.before or ""


@pytest.mark.parametrize("command", ["new", "upgrade", "fleet"])
def test_a_template_that_wants_credentials_fails_fast(command: str, tmp_path: Path) -> None:
    with serve_locally(AskForPassword) as url:
        template = f"{url}/acme/paved-road.git"
        if command == "new":
            args = ["new", str(EXAMPLES / "catalog-api.yml"), str(tmp_path / "out")]
            args += ["--template", template, "--no-validate"]
        else:
            service = service_at(tmp_path / "fleet" / "svc", template, "v1.0.0")
            args = ["upgrade", str(service)] if command == "upgrade" else ["fleet", "status"]
            args += [] if command == "upgrade" else [str(tmp_path / "fleet")]
        code, output = _run_on_a_terminal(args, tmp_path)
    assert "terminal prompts disabled" in output, output
    if command == "fleet":
        assert code == 0, output  # a row with the error, not the end of the run
    else:
        assert code == 2 if command == "upgrade" else code != 0, output
        assert "paved: error: " in output, output
    assert not (tmp_path / "out").exists()
