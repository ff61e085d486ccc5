"""Terraform: formatting, validation of every environment root, and the module tests."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator.tools import Completed, run, which
from generator.validators.base import Context, Outcome

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
    """``terraform init -backend=false``, from ``$TF_PLUGIN_DIR`` when set (offline)."""
    args = [terraform, "init", "-backend=false", "-input=false", "-no-color"]
    plugin_dir = os.environ.get("TF_PLUGIN_DIR")
    if plugin_dir:
        args.append(f"-plugin-dir={plugin_dir}")
    return run(args, cwd=directory, env={"TF_IN_AUTOMATION": "1"})


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
        with ThreadPoolExecutor(max_workers=min(4, len(roots))) as pool:
            results = list(pool.map(lambda root: self._validate(terraform, root), roots))
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

    @staticmethod
    def _validate(terraform: str, root: Path) -> Completed:
        done = init(terraform, root)
        if not done.ok:
            return done
        return run([terraform, "validate", "-no-color"], cwd=root)


class TerraformTest:
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
            if done.ok:
                done = run([terraform, "test", "-no-color"], cwd=module)
            summaries.append(f"{module.name}: {_test_summary(done)}")
            if not done.ok:
                failures.append((module.name, done))
        summary = "; ".join(summaries)
        if failures:
            return Outcome.failed(self.name, summary, _failure_report(failures))
        return Outcome.passed(self.name, summary)


def _test_summary(done: Completed) -> str:
    """Terraform's closing line, e.g. ``Success! 12 passed, 0 failed.``"""
    for line in reversed(done.stdout.splitlines()):
        if "passed" in line and "failed" in line:
            return line.strip().rstrip(".")
    return "init or test failed" if not done.ok else "no test results"
