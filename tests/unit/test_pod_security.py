"""The Pod Security "restricted" check and the paved defaults, on pod specs built here."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from generator.validators.kubernetes import Manifest, pod_security_findings, pod_spec


def _compliant() -> dict[str, Any]:
    container = {
        "name": "app",
        "image": "registry.example/app:1.2.3",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {
            "template": {
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                }
            }
        },
    }


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    container = _pod(obj)["containers"][0]
    assert isinstance(container, dict)
    return container


Mutation = Callable[[dict[str, Any]], None]

CASES: list[tuple[str, Mutation, str]] = [
    ("privilege-escalation", lambda o: _container(o)["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation must be false"),
    ("privileged", lambda o: _container(o)["securityContext"].update(privileged=True), "privileged must not be true"),
    ("capabilities-kept", lambda o: _container(o)["securityContext"].update(capabilities={}), "drop must include ALL"),
    ("capability-added", lambda o: _container(o)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]), "NET_ADMIN not allowed"),
    ("root-allowed", lambda o: _pod(o)["securityContext"].pop("runAsNonRoot"), "runAsNonRoot must be true"),
    ("root-user", lambda o: _container(o)["securityContext"].update(runAsUser=0), "runAsUser must not be 0"),
    ("seccomp-missing", lambda o: _pod(o)["securityContext"].pop("seccompProfile"), "seccompProfile.type must be RuntimeDefault"),
    ("seccomp-unconfined", lambda o: _pod(o)["securityContext"].update(seccompProfile={"type": "Unconfined"}), "Unconfined not allowed"),
    ("host-network", lambda o: _pod(o).update(hostNetwork=True), "hostNetwork must not be true"),
    ("host-path", lambda o: _pod(o)["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath not allowed"),
    ("host-port", lambda o: _container(o).update(ports=[{"containerPort": 80, "hostPort": 80}]), "hostPort not allowed"),
    ("unsafe-sysctl", lambda o: _pod(o)["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]), "kernel.msgmax not allowed"),
    ("writable-root", lambda o: _container(o)["securityContext"].pop("readOnlyRootFilesystem"), "readOnlyRootFilesystem must be true"),
    ("other-uid", lambda o: _pod(o)["securityContext"].update(runAsUser=1000), "runAsUser must be 10001"),
    ("no-limits", lambda o: _container(o)["resources"].pop("limits"), "resources.limits must set cpu and memory"),
    ("latest-tag", lambda o: _container(o).update(image="registry.example/app:latest"), "never latest"),
    ("no-tag", lambda o: _container(o).update(image="registry.example:5000/app"), "never latest"),
    ("no-liveness", lambda o: _container(o).pop("livenessProbe"), "livenessProbe missing"),
]  # fmt: skip


def test_compliant_pod_has_no_findings() -> None:
    assert pod_security_findings(Manifest("t.yaml", _compliant())) == []


def test_digest_pinned_image_is_accepted() -> None:
    obj = _compliant()
    _container(obj)["image"] = "registry.example/app@sha256:" + "a" * 64
    assert pod_security_findings(Manifest("t.yaml", obj)) == []


@pytest.mark.parametrize(("mutate", "finding"), [pytest.param(m, f, id=i) for i, m, f in CASES])
def test_each_violation_is_found(mutate: Mutation, finding: str) -> None:
    obj = copy.deepcopy(_compliant())
    mutate(obj)
    findings = pod_security_findings(Manifest("t.yaml", obj))
    assert any(finding in line for line in findings), findings
    assert all(line.startswith("t.yaml: Deployment/app: ") for line in findings)


def test_init_containers_are_checked() -> None:
    obj = _compliant()
    _pod(obj)["initContainers"] = [{"name": "init", "image": "registry.example/init:1"}]
    findings = pod_security_findings(Manifest("t.yaml", obj))
    assert any("initContainers[init]: allowPrivilegeEscalation" in line for line in findings)
    assert not any("initContainers[init]: livenessProbe" in line for line in findings)


def test_pod_specs_are_found_in_every_kind_that_runs_pods() -> None:
    template = _pod(_compliant())
    assert pod_spec(Manifest("x", {"kind": "Pod", "spec": template})) is template
    rollout = {"kind": "Rollout", "spec": {"template": {"spec": template}}}
    assert pod_spec(Manifest("x", rollout)) is template
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": template}}}}}
    assert pod_spec(Manifest("x", cron)) is template
    assert pod_spec(Manifest("x", {"kind": "Service", "spec": {}})) is None
