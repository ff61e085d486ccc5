"""Kubernetes manifests: loading, schema validation and the Pod Security "restricted" check.

The functions here are pure (manifests in, findings out); the validators that render charts
and call them live in :mod:`generator.validators.helm`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

KUBERNETES_VERSION = "1.31.0"
CRD_SCHEMAS_ENV = "PAVED_CRD_SCHEMAS"


@dataclass(frozen=True)
class Manifest:
    """One rendered object, with where it came from (for findings people can act on)."""

    source: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))

    def __str__(self) -> str:
        return f"{self.source}: {self.kind}/{self.name}"


def load_manifests(source: str, text: str) -> list[Manifest]:
    """The objects of one rendered YAML stream (empty documents dropped)."""
    documents = YAML(typ="safe", pure=True).load_all(text)
    return [Manifest(source, dict(doc)) for doc in documents if isinstance(doc, Mapping) and doc]


# --- schemas -----------------------------------------------------------------------------


def kubernetes_schema_error(manifest: Manifest) -> str | None:
    """Strict Kubernetes schema validation; ``None`` when valid, ``"no schema"`` for a CRD kind."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(manifest.obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return "no schema"
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        return f"{path or '<root>'}: {error.message}"
    return None


def crd_schema_dir() -> Path | None:
    """The folder of CRD schemas (``<group>/<kind>_<version>.json``) named by the environment."""
    configured = os.environ.get(CRD_SCHEMAS_ENV)
    return Path(configured) if configured else None


def crd_schema_path(schemas: Path, manifest: Manifest) -> Path:
    group, _, version = manifest.api_version.rpartition("/")
    return schemas / group / f"{manifest.kind.lower()}_{version}.json"


@cache
def _schema_validator(path: Path) -> Any:
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def crd_schema_errors(schemas: Path, manifest: Manifest) -> list[str]:
    """Validation errors of a custom resource against its CRD schema (missing schema: an error)."""
    path = crd_schema_path(schemas, manifest)
    if not path.is_file():
        return [
            f"no CRD schema {path.relative_to(schemas)} for {manifest.api_version} {manifest.kind}"
        ]
    validator = _schema_validator(path)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(
            validator.iter_errors(manifest.obj), key=lambda e: list(e.absolute_path)
        )
    ]


# --- Pod Security Standards ---------------------------------------------------------------

# Volume types the restricted profile allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Rollout"}
POD_PATHS = {"Pod": ("spec",), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod spec a manifest runs, if it runs pods."""
    path = POD_PATHS.get(manifest.kind) or (
        ("spec", "template", "spec") if manifest.kind in WORKLOAD_KINDS else None
    )
    if path is None:
        return None
    node: Any = manifest.obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, dict) else None


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            yield f"{field}[{container.get('name', '?')}]", container


def restricted_violations(spec: Mapping[str, Any]) -> list[str]:
    """Where a pod spec breaks the Pod Security Standards "restricted" profile (v1.31)."""
    problems: list[str] = []
    pod_sc = spec.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(f"{flag} must not be true")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(
                f"volume {volume.get('name')}: type {', '.join(sorted(kinds))} not allowed"
            )
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            problems.append(f"sysctl {sysctl.get('name')} not allowed")
    if pod_sc.get("runAsUser") == 0:
        problems.append("securityContext.runAsUser must not be 0")
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        problems.append(f"securityContext.seccompProfile.type {pod_seccomp} not allowed")
    for where, container in _containers(spec):
        sc = container.get("securityContext") or {}
        if sc.get("privileged"):
            problems.append(f"{where}: privileged must not be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        if sc.get("runAsUser") == 0:
            problems.append(f"{where}: runAsUser must not be 0")
        if not (
            sc.get("runAsNonRoot") is True
            or (pod_sc.get("runAsNonRoot") is True and sc.get("runAsNonRoot") is not False)
        ):
            problems.append(f"{where}: runAsNonRoot must be true (pod or container)")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile.type must be RuntimeDefault or Localhost")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            problems.append(f"{where}: capabilities.drop must include ALL")
        added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            problems.append(f"{where}: capabilities.add {', '.join(sorted(added))} not allowed")
        if (sc.get("procMount") or "Default") != "Default":
            problems.append(f"{where}: procMount must be Default")
        if any(port.get("hostPort") for port in container.get("ports") or []):
            problems.append(f"{where}: hostPort not allowed")
    return problems


def paved_default_violations(spec: Mapping[str, Any], workload: bool) -> list[str]:
    """Where a pod spec breaks the defaults this template promises beyond "restricted"."""
    problems: list[str] = []
    pod_sc = spec.get("securityContext") or {}
    for where, container in _containers(spec):
        sc = container.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true")
        if (sc.get("runAsUser") or pod_sc.get("runAsUser")) != 10001:
            problems.append(f"{where}: runAsUser must be 10001")
        resources = container.get("resources") or {}
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part) or {}):
                problems.append(f"{where}: resources.{part} must set cpu and memory")
        image = str(container.get("image", ""))
        if "@" not in image and (image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]):
            problems.append(
                f"{where}: image {image!r} must be pinned by tag or digest, never latest"
            )
        if workload and where.startswith("containers["):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe not in container:
                    problems.append(f"{where}: {probe} missing")
    return problems


def pod_security_findings(manifest: Manifest) -> list[str]:
    """Restricted-profile and paved-default findings of one manifest (none if it runs no pods)."""
    spec = pod_spec(manifest)
    if spec is None:
        return []
    workload = manifest.kind in WORKLOAD_KINDS
    return [
        f"{manifest}: {problem}"
        for problem in restricted_violations(spec) + paved_default_violations(spec, workload)
    ]
