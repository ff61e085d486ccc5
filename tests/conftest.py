"""Shared fixtures: a snapshot of the template, rendering through Copier, tool discovery."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import copier
import pytest
from ruamel.yaml import YAML

from generator.answers import answer_defaults
from generator.policy import Policy, load_policy
from generator.tools import which

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "answers"
TEMPLATE_PARTS = ("copier.yml", "policy.yml", "includes", "templates", "migrations", "CHANGELOG.md")

Render = Callable[..., Path]

# SRE's on-call policy, for answers moved to a model or tier where SRE is paged or escalated
# to (sre_only, shared, platform at tier 1); where it is not asked, Copier leaves it unused.
SRE_ON_CALL = {"sre_escalation_policy": "PSRE1"}


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yml"))


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


# --- what the examples are rendered with ----------------------------------------------------
# The working tree's policy and the example answers: a test that names a value the render
# wrote (a slug, a replica count, an objective) reads it here, so that a fork with other
# values keeps a green suite (tests/fork.py).

POLICY = load_policy(ROOT)


def example_answer(example: str, key: str) -> Any:
    """``key`` of an example: its answers file, else the default its tier takes."""
    answers = {**answer_defaults(POLICY), **load_yaml(EXAMPLES / f"{example}.yml")}
    if key in answers:
        return answers[key]
    return getattr(POLICY.tier(int(answers["tier"])), key)


def number(value: float) -> str:
    """A number as the templates print it (includes/slo.jinja ``number``): 99.0 -> 99."""
    rounded = round(float(value), 10)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def fast_threshold(objective: float) -> str:
    """The error ratio of the first (1h) fast-burn pair for an availability objective."""
    return number(POLICY.fast_burn_rate() * (100 - float(objective)) / 100)


def sla_commitment(objective: float) -> str:
    """docs/SLA.md's commitment: the SLO with ``sla_budget_factor`` times its budget."""
    return number(100 - (100 - float(objective)) * POLICY.slo["sla_budget_factor"])


def require(available: bool, message: str) -> None:
    """Skip when something a test needs is missing, or fail under ``PAVED_REQUIRE_TOOLS=1``."""
    if available:
        return
    if os.environ.get("PAVED_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{message} (PAVED_REQUIRE_TOOLS=1)")
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing, or fail under ``PAVED_REQUIRE_TOOLS=1``."""
    path = which(name)
    require(path is not None, f"{name} not found on PATH")
    assert path is not None
    return path


def require_helm() -> None:
    """In-process Helm 4 (helm-python-sdk) must be importable."""
    from generator.validators.helm import helm_available

    require(helm_available(), "helm-python-sdk is not installed")


def require_crd_schemas() -> Path:
    """The CRD schema folder named by PAVED_CRD_SCHEMAS."""
    from generator.validators.kubernetes import CRD_SCHEMAS_ENV, crd_schema_dir

    folder = crd_schema_dir()
    require(folder is not None and folder.is_dir(), f"{CRD_SCHEMAS_ENV} does not name a folder")
    assert folder is not None
    return folder


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is in the working tree, outside git (so uncommitted edits count)."""
    return snapshot_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def policy(template_dir: Path) -> Policy:
    """The policy the suite renders with (``template_dir``'s policy.yml). Tests read the
    values the platform decides (org names, the tier table) from it, never as literals, so
    a fork that changes policy.yml keeps a green suite (``python -m tests.fork``)."""
    return load_policy(template_dir)


def snapshot_template(target: Path) -> Path:
    """Copy the working tree's template (the files Copier reads) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(
                source,
                target / part,
                ignore=shutil.ignore_patterns(
                    ".terraform", ".terraform.lock.hcl", "terraform.tfstate*"
                ),
            )
        else:
            shutil.copy2(source, target / part)
    return target


# A fixed identity and no signing, whatever the machine's git config says; GIT_AUTHOR_* and
# GIT_COMMITTER_* in the environment still take precedence.
GIT_CONFIG = (
    "-c", "user.name=Test",
    "-c", "user.email=test@example.invalid",
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "init.defaultBranch=main",
)  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    """``git ARGS`` in ``cwd`` for a test's own repositories; stdout without its last newline."""
    done = subprocess.run(
        ["git", *GIT_CONFIG, *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return done.stdout.rstrip("\n")


def copy_template(
    template: Path, destination: Path, answers: Mapping[str, Any], vcs_ref: str | None = None
) -> Path:
    """Render ``template`` (at ``vcs_ref``, when given) into ``destination`` as `copier copy
    --defaults --data-file` does."""
    copier.run_copy(
        str(template),
        destination,
        data=dict(answers),
        defaults=True,
        unsafe=True,
        vcs_ref=vcs_ref,
        quiet=True,
    )
    return destination


@pytest.fixture
def render(template_dir: Path, tmp_path: Path) -> Render:
    """Render answers (a mapping or an answers file) into a fresh directory."""
    counter = iter(range(1000))

    def _render(answers: Mapping[str, Any] | Path, name: str | None = None) -> Path:
        data = load_yaml(answers) if isinstance(answers, Path) else answers
        destination = tmp_path / (name or f"repo{next(counter)}")
        return copy_template(template_dir, destination, data)

    return _render


@pytest.fixture(scope="session")
def rendered_examples(
    template_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every example answers file rendered once per session, by example name."""
    base = tmp_path_factory.mktemp("examples")
    return {
        path.stem: copy_template(template_dir, base / path.stem, load_yaml(path))
        for path in example_files()
    }


@pytest.fixture
def minimal_answers() -> dict[str, Any]:
    """The smallest valid answers a team writes (the catalog-api example)."""
    data = load_yaml(EXAMPLES / "catalog-api.yml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session", autouse=True)
def _suite_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One toolkit cache ($PAVED_CACHE) for the whole run, shared by its workers, and never
    the user's. Its entries are keyed by digests of every input (generator/cache.py): the
    Terraform module that every example renders alike is tested once per run, and a module
    the test changed is tested again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    patch = pytest.MonkeyPatch()
    patch.setenv("PAVED_CACHE", str(root / "paved-cache"))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _no_ambient_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAVED_TEMPLATE", raising=False)


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """A quiet request handler for fake HTTP APIs that answer JSON."""

    def reply(self, status: int, body: Any = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_locally(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port while the block runs; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def edit_policy(template: Path, changes: Mapping[str, Any]) -> None:
    """Change values of ``template``'s policy.yml as a platform team does: on the line
    `paved policy show` names for the dotted key (``tiers.2.prod_min_replicas``), leaving
    every other line as it is."""
    path = template / "policy.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # An edit changes a value on its line, never which line a key is on.
    sources = load_policy(template).sources
    for dotted, value in changes.items():
        assert dotted in sources, f"policy.yml has no {dotted}"
        index = sources[dotted] - 1
        key = re.escape(dotted.rsplit(".", 1)[1])
        text = json.dumps(value) if isinstance(value, str | bool) else str(value)
        new, count = re.subn(
            rf"((?<![\w-]){key}:[ \t]*)([^,}}#\n]*?)(?=[ \t]*(?:[,}}]|#|$))",
            lambda match: str(match.group(1)) + text,  # noqa: B023 (used at once)
            lines[index],
            count=1,
        )
        assert count == 1, f"policy.yml:{index + 1}: {dotted} is not on this line"
        lines[index] = new
        path.write_text("".join(lines), encoding="utf-8")
