"""Helm charts: lint, render per environment, and check every rendered manifest.

Helm runs in-process (Helm 4 through ``helm-python-sdk``): there is no helm binary. Each
chart under ``helm/<name>/`` is linted and rendered once per ``values-<env>.yaml`` with
release name and namespace ``<name>``, as the deploy does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generator.tools import which
from generator.validators.base import Context, Outcome
from generator.validators.kubernetes import (
    CRD_SCHEMAS_ENV,
    KUBERNETES_VERSION,
    Manifest,
    crd_schema_dir,
    crd_schema_errors,
    kubernetes_schema_error,
    load_manifests,
    pod_security_findings,
    pod_spec,
)

HELM_DIR = "helm"
NO_HELM = "helm-python-sdk is not installed (pip install helm-python-sdk)"
NO_KUBERNETES_VALIDATE = "kubernetes-validate is not installed (pip install kubernetes-validate)"


@dataclass(frozen=True)
class Target:
    """One chart with one environment's values file."""

    chart: Path
    environment: str

    @property
    def values_file(self) -> Path:
        return self.chart / f"values-{self.environment}.yaml"

    @property
    def release(self) -> str:
        return self.chart.name

    def __str__(self) -> str:
        return f"{self.chart.name}/{self.environment}"


def charts(repo: Path) -> list[Path]:
    """Chart directories: ``helm/<name>/Chart.yaml``."""
    return sorted(path.parent for path in (repo / HELM_DIR).glob("*/Chart.yaml"))


def targets(repo: Path) -> list[Target]:
    """Every chart with every ``values-<env>.yaml`` it has."""
    return [
        Target(chart, values.stem.removeprefix("values-"))
        for chart in charts(repo)
        for values in sorted(chart.glob("values-*.yaml"))
    ]


def load_values(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    return dict(data or {})


def helm_available() -> bool:
    try:
        import helm_python  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


class RenderError(Exception):
    """A chart that does not render with an environment's values."""


def rendered(context: Context, target: Target) -> list[Manifest]:
    """The manifests of one target, rendered once per validation run."""
    key = f"helm-render:{target.chart}:{target.environment}"
    if key not in context.cache:
        context.cache[key] = _render(target)
    result = context.cache[key]
    if isinstance(result, RenderError):
        raise result
    assert isinstance(result, list)
    return result


def _render(target: Target) -> list[Manifest] | RenderError:
    import helm_python

    try:
        chart = helm_python.Chart.load(str(target.chart))
        output = chart.render(
            load_values(target.values_file),
            name=target.release,
            namespace=target.release,
            is_install=True,
        )
    except helm_python.HelmError as error:
        return RenderError(f"{target}: {error}")
    manifests: list[Manifest] = []
    for source, text in sorted(output.items()):
        if source.endswith((".yaml", ".yml")) and text.strip():
            try:
                manifests.extend(load_manifests(source, text))
            except YAMLError as error:
                problem = " ".join(str(error).split())
                return RenderError(f"{target}: {source} does not render to YAML: {problem}")
    return manifests


def _schema_results(
    context: Context,
) -> tuple[list[tuple[Target, Manifest, str | None]], list[str]]:
    """Every rendered manifest with its strict Kubernetes schema error (``"no schema"``: a CRD)."""
    key = "kubernetes-schema-results"
    if key not in context.cache:
        results, errors = _all_rendered(context)
        context.cache[key] = (
            [(t, m, kubernetes_schema_error(m)) for t, manifests in results for m in manifests],
            errors,
        )
    value: tuple[list[tuple[Target, Manifest, str | None]], list[str]] = context.cache[key]
    return value[0], list(value[1])


def _all_rendered(context: Context) -> tuple[list[tuple[Target, list[Manifest]]], list[str]]:
    results: list[tuple[Target, list[Manifest]]] = []
    errors: list[str] = []
    for target in targets(context.repo):
        try:
            results.append((target, rendered(context, target)))
        except RenderError as error:
            errors.append(str(error))
    return results, errors


class ChartValidator:
    """Validators of the charts under helm/: they apply when a chart has a values-<env>.yaml."""

    name: str

    def applies(self, repo: Path) -> bool:
        return bool(targets(repo))

    def unavailable(self) -> Outcome | None:
        """A skipped outcome when in-process Helm or the Kubernetes schemas are missing."""
        if not helm_available():
            return Outcome.skipped(self.name, NO_HELM)
        try:
            import kubernetes_validate  # noqa: F401
        except ImportError:
            return Outcome.skipped(self.name, NO_KUBERNETES_VALIDATE)
        return None


class HelmLint(ChartValidator):
    name = "helm-lint"
    description = (
        f"Helm 4 lint of every chart with each values-<env>.yaml (Kubernetes {KUBERNETES_VERSION})"
    )

    def run(self, context: Context) -> Outcome:
        if skipped := self.unavailable():
            return skipped
        import helm_python

        errors: list[str] = []
        warnings = 0
        found = targets(context.repo)
        for target in found:
            report = helm_python.lint(
                str(target.chart),
                load_values(target.values_file),
                strict=False,
                namespace=target.release,
                kube_version=f"v{KUBERNETES_VERSION}",
            )
            for message in report.get("messages") or []:
                severity = int(message.get("severity", 0))
                if severity >= 3:
                    errors.append(
                        f"{target}: {message.get('path', '')}: {message.get('error', '')}"
                    )
                elif severity == 2:
                    warnings += 1
            errors.extend(f"{target}: {error}" for error in report.get("errors") or [] if error)
        summary = f"{len(found)} chart/env pair(s): {len(errors)} error(s), {warnings} warning(s)"
        return Outcome.from_findings(self.name, summary, list(dict.fromkeys(errors)))


class KubernetesSchema(ChartValidator):
    name = "kubernetes-schema"
    description = (
        "render each chart per env and validate every manifest strictly "
        f"(Kubernetes {KUBERNETES_VERSION} schemas)"
    )

    def run(self, context: Context) -> Outcome:
        if skipped := self.unavailable():
            return skipped
        results, errors = _schema_results(context)
        custom = sum(1 for _, _, error in results if error == "no schema")
        errors.extend(
            f"{target}: {manifest}: {error}"
            for target, manifest, error in results
            if error and error != "no schema"
        )
        checked = len(results) - custom
        summary = (
            f"{checked} manifest(s) checked, {len(errors)} invalid; "
            f"{custom} custom resource(s) left to kubernetes-crds"
        )
        return Outcome.from_findings(self.name, summary, errors)


class KubernetesCrds(ChartValidator):
    name = "kubernetes-crds"
    description = (
        "validate custom resources (Rollout, ServiceMonitor, ...) against the CRD schemas "
        f"in ${CRD_SCHEMAS_ENV}"
    )

    def run(self, context: Context) -> Outcome:
        if skipped := self.unavailable():
            return skipped
        schemas = crd_schema_dir()
        if schemas is None:
            return Outcome.skipped(
                self.name,
                f"{CRD_SCHEMAS_ENV} is not set "
                "(a folder of <group>/<kind>_<version>.json CRD schemas)",
            )
        if not schemas.is_dir():
            return Outcome.failed(self.name, f"{CRD_SCHEMAS_ENV}={schemas} is not a directory")
        results, errors = _schema_results(context)
        custom = [(t, m) for t, m, error in results if error == "no schema"]
        for target, manifest in custom:
            errors.extend(
                f"{target}: {manifest}: {e}" for e in crd_schema_errors(schemas, manifest)
            )
        checked = len(custom)
        summary = f"{checked} custom resource(s) checked, {len(errors)} error(s)"
        return Outcome.from_findings(self.name, summary, errors)


class PodSecurity(ChartValidator):
    name = "pod-security"
    description = 'every rendered pod meets Pod Security "restricted" and the paved defaults'

    def run(self, context: Context) -> Outcome:
        if skipped := self.unavailable():
            return skipped
        results, errors = _all_rendered(context)
        pod_specs = [
            (t, m) for t, manifests in results for m in manifests if pod_spec(m) is not None
        ]
        for target, manifest in pod_specs:
            errors.extend(f"{target}: {finding}" for finding in pod_security_findings(manifest))
        pods = len(pod_specs)
        summary = f"{pods} pod spec(s) checked, {len(errors)} finding(s)"
        return Outcome.from_findings(self.name, summary, errors)


class CheckovKubernetes(ChartValidator):
    name = "checkov-kubernetes"
    description = "checkov security scan of the rendered manifests (zero failed checks)"

    def run(self, context: Context) -> Outcome:
        from generator.validators.checkov import checkov_report

        checkov = which("checkov")
        if checkov is None:
            return Outcome.skipped(self.name, "checkov not found on PATH (pip install checkov)")
        if skipped := self.unavailable():
            return skipped
        results, errors = _all_rendered(context)
        if errors:
            return Outcome.failed(self.name, "charts do not render", "\n".join(errors))
        out = context.scratch.parent / "rendered-manifests"
        for target, manifests in results:
            folder = out / target.chart.name / target.environment
            folder.mkdir(parents=True, exist_ok=True)
            for index, manifest in enumerate(manifests):
                path = folder / f"{index:02d}-{manifest.kind.lower()}-{manifest.name}.json"
                path.write_text(json.dumps(manifest.obj, indent=2), encoding="utf-8")
        return checkov_report(self.name, checkov, out, "kubernetes")
