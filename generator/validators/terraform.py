"""Terraform: formatting, validation of every environment root, and the module tests."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from generator.cache import cache_root, file_digests, read_entry, write_entry
from generator.tools import Completed, run, which
from generator.validators.base import Context, Outcome
from generator.validators.providers import installed_providers, shared_providers

TERRAFORM_DIR = "terraform"
NO_TERRAFORM = "terraform not found on PATH (install Terraform >= 1.10)"


def env_roots(repo: Path) -> list[Path]:
    """The environment root modules: ``terraform/envs/<env>/`` holding ``*.tf`` files."""
    envs = repo / TERRAFORM_DIR / "envs"
    if not envs.is_dir():
        return []
    return sorted(path for path in envs.iterdir() if path.is_dir() and any(path.glob("*.tf")))


def tested_modules(repo: Path) -> list[Path]:
    """Modules with ``terraform test`` files: ``terraform/modules/<name>/tests/*.tftest.hcl``."""
    modules = repo / TERRAFORM_DIR / "modules"
    if not modules.is_dir():
        return []
    return sorted(
        path for path in modules.iterdir() if path.is_dir() and any(path.glob("tests/*.tftest.hcl"))
    )


def init(terraform: str, directory: Path) -> Completed:
    """``terraform init -backend=false``, from ``$TF_PLUGIN_DIR`` when set (offline).

    Providers go through Terraform's plugin cache (``$TF_PLUGIN_CACHE_DIR``, else
    ``<cache>/terraform-plugins``): each provider is unpacked there once and every root links
    to it, instead of a copy of the AWS provider (700 MB) per root and run. The cache is not
    safe for inits that fill it at the same time, so inits take turns (a lock file); with
    the provider cached an init takes a fraction of a second.
    """
    args = [terraform, "init", "-backend=false", "-input=false", "-no-color"]
    plugin_dir = os.environ.get("TF_PLUGIN_DIR")
    if plugin_dir:
        args.append(f"-plugin-dir={plugin_dir}")
    env = {"TF_IN_AUTOMATION": "1"}
    configured = os.environ.get("TF_PLUGIN_CACHE_DIR")
    plugins = Path(configured) if configured else cache_root() / "terraform-plugins"
    try:
        plugins.mkdir(parents=True, exist_ok=True)
        lock = (plugins / ".paved-init.lock").open("a")
    except OSError:
        return run(args, cwd=directory, env=env)
    env["TF_PLUGIN_CACHE_DIR"] = str(plugins)
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return run(args, cwd=directory, env=env)


def _failure_report(results: list[tuple[str, Completed]]) -> str:
    return "\n\n".join(
        f"--- {where}: {' '.join(done.args[1:])}\n{done.output}" for where, done in results
    )


class TerraformFmt:
    name = "terraform-fmt"
    description = "terraform fmt -check -recursive on terraform/"

    def applies(self, repo: Path) -> bool:
        return (repo / TERRAFORM_DIR).is_dir()

    def run(self, context: Context) -> Outcome:
        terraform = which("terraform")
        if terraform is None:
            return Outcome.skipped(self.name, NO_TERRAFORM)
        done = run(
            [terraform, "fmt", "-check", "-recursive", "-no-color", TERRAFORM_DIR],
            cwd=context.repo,
        )
        if done.ok:
            return Outcome.passed(self.name, "all files formatted")
        files = [line for line in done.stdout.splitlines() if line.strip()]
        if not files:
            return Outcome.failed(self.name, "terraform fmt failed", done.output)
        hint = f"fix with: terraform fmt -recursive {TERRAFORM_DIR}"
        return Outcome.failed(
            self.name, f"{len(files)} file(s) not formatted", "\n".join([*files, hint])
        )


class TerraformValidate:
    name = "terraform-validate"
    description = "terraform init -backend=false and validate in every terraform/envs/<env>/"

    def applies(self, repo: Path) -> bool:
        return bool(env_roots(repo))

    def run(self, context: Context) -> Outcome:
        terraform = which("terraform")
        if terraform is None:
            return Outcome.skipped(self.name, NO_TERRAFORM)
        roots = env_roots(context.scratch)
        workers = min(4, len(roots))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            inits = list(pool.map(lambda root: init(terraform, root), roots))
        ready = [root for root, done in zip(roots, inits, strict=True) if done.ok]
        with _one_provider_set(ready) as env, ThreadPoolExecutor(max_workers=workers) as pool:
            validated = dict(
                zip(
                    ready,
                    pool.map(
                        lambda root: run([terraform, "validate", "-no-color"], cwd=root, env=env),
                        ready,
                    ),
                    strict=True,
                )
            )
        results = [validated.get(root, done) for root, done in zip(roots, inits, strict=True)]
        failures = [
            (root.name, done) for root, done in zip(roots, results, strict=True) if not done.ok
        ]
        names = ", ".join(root.name for root in roots)
        if failures:
            failed = ", ".join(where for where, _ in failures)
            return Outcome.failed(
                self.name,
                f"{len(failures)} of {len(roots)} env(s) invalid: {failed}",
                _failure_report(failures),
            )
        return Outcome.passed(self.name, f"{len(roots)} env(s) valid: {names}")


@contextmanager
def _one_provider_set(roots: list[Path]) -> Iterator[dict[str, str]]:
    """Shared provider processes for ``roots`` when every root installed the same provider
    binaries (one template release: the same lock file), else none."""
    sets = {
        tuple(sorted((a, str(b.resolve())) for a, b in installed_providers(r).items()))
        for r in roots
    }
    if len(sets) != 1:
        yield {}
        return
    with shared_providers(roots[0]) as env:
        yield env


class TerraformTest:
    """``terraform test`` of every module with tests, once per module content.

    A module's tests run against mock providers: their outcome depends on nothing but the
    module's files (its tests and mocks included), the providers ``terraform init`` locks
    and the Terraform release. A pass is kept under ``<results>/terraform-test/<key>.json``,
    the key a digest of all three, so a module that every example renders the same, or that
    has not changed since it last passed, is not tested again; any change of a file, a
    provider or Terraform is a new key and runs the tests. Failures are never kept.
    """

    name = "terraform-test"
    description = "terraform test (mock providers) in every module with tests/"

    def applies(self, repo: Path) -> bool:
        return bool(tested_modules(repo))

    def run(self, context: Context) -> Outcome:
        terraform = which("terraform")
        if terraform is None:
            return Outcome.skipped(self.name, NO_TERRAFORM)
        failures: list[tuple[str, Completed]] = []
        summaries: list[str] = []
        for module in tested_modules(context.scratch):
            done = init(terraform, module)
            key = _module_key(terraform, module) if done.ok else None
            kept = _kept(context.results, key)
            if kept is not None:
                summaries.append(
                    f"{module.name}: {kept} (kept: this module, its providers and "
                    "Terraform passed before)"
                )
                continue
            if done.ok:
                with shared_providers(module) as env:
                    done = run([terraform, "test", "-no-color"], cwd=module, env=env)
            summary = _test_summary(done)
            summaries.append(f"{module.name}: {summary}")
            if not done.ok:
                failures.append((module.name, done))
            elif key is not None:
                _keep(context.results, key, summary)
        summary = "; ".join(summaries)
        if failures:
            return Outcome.failed(self.name, summary, _failure_report(failures))
        return Outcome.passed(self.name, summary)


@lru_cache(maxsize=4)
def _terraform_version(terraform: str) -> str:
    done = run([terraform, "version", "-json"], cwd=Path(tempfile.gettempdir()))
    return done.stdout if done.ok else ""


def _module_key(terraform: str, module: Path) -> str | None:
    """The digest of what a module's tests depend on, read after ``terraform init``: every
    file of the module but ``.terraform/`` (the lock file names each provider and its
    hashes) and the Terraform release. None when Terraform cannot say its version."""
    version = _terraform_version(terraform)
    if not version:
        return None
    digest = file_digests(module, {".terraform"})
    digest.update(version.encode())
    return digest.hexdigest()


def _kept_path(results: Path, key: str) -> Path:
    return results / "terraform-test" / f"{key}.json"


def _kept(results: Path | None, key: str | None) -> str | None:
    """The summary of an earlier pass under ``key``, or None."""
    if results is None or key is None:
        return None
    data = read_entry(_kept_path(results, key))
    summary = data.get("summary") if data is not None else None
    return summary if isinstance(summary, str) else None


def _keep(results: Path | None, key: str, summary: str) -> None:
    """Record a pass; never fatal (a cache that cannot be written keeps nothing)."""
    if results is None:
        return
    try:
        write_entry(_kept_path(results, key), {"summary": summary})
    except OSError:
        return


def _test_summary(done: Completed) -> str:
    """Terraform's closing line, e.g. ``Success! 12 passed, 0 failed.``"""
    for line in reversed(done.stdout.splitlines()):
        if "passed" in line and "failed" in line:
            return line.strip().rstrip(".")
    return "init or test failed" if not done.ok else "no test results"
