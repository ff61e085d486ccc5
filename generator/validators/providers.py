"""One running provider process for every Terraform command of a validator.

Terraform starts a provider's plugin process for each provider instance it needs, and
``terraform test`` needs new ones for every ``run`` block: the AWS provider is a 700 MB
binary whose start-up and schema cost about half a second of CPU each time, so 25 runs
spend most of a minute starting providers. Terraform can instead attach to a provider that
is already running (``TF_REATTACH_PROVIDERS``, the mechanism Terraform documents for
debugging providers): :func:`shared_providers` starts each provider that ``terraform init``
installed in a folder once, in its debug mode, and gives the environment that makes every
Terraform command attach to it. The provider is the same binary with the same schema, so the
results are the same; only the starts are saved.

A provider that has no debug mode, or does not say where it listens within a few seconds,
is simply not shared: the commands start it as usual. ``TF_REATTACH_PROVIDERS`` set by the
user is left as it is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

REATTACH = "TF_REATTACH_PROVIDERS"
_LINE = re.compile(r"TF_REATTACH_PROVIDERS='(?P<json>\{.*\})'")
_START_TIMEOUT = 60.0


def installed_providers(folder: Path) -> dict[str, Path]:
    """The providers ``terraform init`` installed in ``folder``: source address (such as
    ``registry.terraform.io/hashicorp/aws``) to plugin binary."""
    found: dict[str, Path] = {}
    root = folder / ".terraform" / "providers"
    for binary in sorted(root.glob("*/*/*/*/*/terraform-provider-*")):
        host, namespace, name = binary.parts[-6:-3]
        if binary.is_file() and os.access(binary, os.X_OK):
            found.setdefault(f"{host}/{namespace}/{name}", binary)
    return found


@contextmanager
def shared_providers(folder: Path) -> Iterator[dict[str, str]]:
    """For the block: the environment (``{"TF_REATTACH_PROVIDERS": ...}``, or empty) under
    which Terraform commands attach to one running process per provider installed in
    ``folder`` instead of starting their own; the processes are stopped after it."""
    if os.environ.get(REATTACH):
        yield {}
        return
    processes: list[subprocess.Popen[str]] = []
    attach: dict[str, object] = {}
    try:
        for address, binary in installed_providers(folder).items():
            started = _start(binary)
            if started is None:
                continue
            process, config = started
            processes.append(process)
            if address in config:
                attach[address] = config[address]
        yield {REATTACH: json.dumps(attach)} if attach else {}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _start(binary: Path) -> tuple[subprocess.Popen[str], dict[str, object]] | None:
    """Start ``binary -debug``; the process and its reattach configuration, or None."""
    try:
        process = subprocess.Popen(
            [str(binary), "-debug"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    except OSError:
        return None
    assert process.stdout is not None
    found: dict[str, object] = {}
    done = threading.Event()

    def read(stream: IO[str]) -> None:
        for line in stream:
            match = _LINE.search(line)
            if match and not found:
                try:
                    config = json.loads(match["json"])
                except ValueError:
                    config = None
                if isinstance(config, dict):
                    found.update(config)
                done.set()
        done.set()  # the process ended (no debug mode) or stopped

    threading.Thread(target=read, args=(process.stdout,), daemon=True).start()
    if not done.wait(_START_TIMEOUT) or not found:
        process.kill()
        process.wait()
        return None
    return process, found
