"""One provider process per validator run: started once, attached to by every Terraform
command, stopped at the end; a provider without a debug mode is left to Terraform."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from generator.validators.providers import REATTACH, installed_providers, shared_providers

ATTACH = {"Protocol": "grpc", "ProtocolVersion": 5, "Pid": 1, "Test": True}


def _provider(folder: Path, name: str, script: str) -> Path:
    binary = (
        folder / ".terraform" / "providers" / "registry.terraform.io" / "acme" / name / "1.0.0"
        / "linux_amd64" / f"terraform-provider-{name}_v1.0.0"
    )  # fmt: skip
    binary.parent.mkdir(parents=True)
    binary.write_text(script, encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def _debug_mode(pid_file: Path, name: str) -> str:
    """A provider with a debug mode: it prints where it listens, then serves until stopped."""
    config = json.dumps({f"registry.terraform.io/acme/{name}": ATTACH})
    return (
        "#!/bin/sh\n"
        f'[ "$1" = -debug ] || exit 1\n'
        f"echo $$ > {pid_file}\n"
        "cat <<'EOF'\n"
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS\n"
        f"\tTF_REATTACH_PROVIDERS='{config}'\n"
        "EOF\n"
        "exec sleep 600\n"
    )


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_provider_runs_for_the_block_and_is_stopped_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REATTACH, raising=False)
    pid_file = tmp_path / "pid"
    _provider(tmp_path, "cloud", _debug_mode(pid_file, "cloud"))
    assert list(installed_providers(tmp_path)) == ["registry.terraform.io/acme/cloud"]
    with shared_providers(tmp_path) as env:
        attach = json.loads(env[REATTACH])
        assert attach == {"registry.terraform.io/acme/cloud": ATTACH}
        pid = int(pid_file.read_text(encoding="utf-8"))
        assert _running(pid)
    assert not _running(pid)


def test_a_provider_without_a_debug_mode_is_not_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REATTACH, raising=False)
    _provider(tmp_path, "plain", "#!/bin/sh\necho 'This binary is a plugin.'\nexit 1\n")
    with shared_providers(tmp_path) as env:
        assert env == {}


def test_the_users_own_reattach_setting_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REATTACH, '{"registry.terraform.io/acme/cloud": {}}')
    pid_file = tmp_path / "pid"
    _provider(tmp_path, "cloud", _debug_mode(pid_file, "cloud"))
    with shared_providers(tmp_path) as env:
        assert env == {}
    assert not pid_file.exists()
