"""Strict Kubernetes schemas and CRD schemas, on manifests built here."""

from __future__ import annotations

from typing import Any

from generator.validators.kubernetes import Manifest, crd_schema_errors, kubernetes_schema_error
from tests.conftest import require_crd_schemas


def _service(**spec: Any) -> Manifest:
    return Manifest(
        "service.yaml",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "web"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}], **spec},
        },
    )


def _service_monitor(endpoint: dict[str, Any]) -> Manifest:
    return Manifest(
        "servicemonitor.yaml",
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "web", "namespace": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "endpoints": [endpoint]},
        },
    )


def test_valid_object_passes_strict_schema() -> None:
    assert kubernetes_schema_error(_service(type="ClusterIP")) is None


def test_unknown_field_fails_strict_schema() -> None:
    error = kubernetes_schema_error(_service(loadBalancerIPs="1.2.3.4"))
    assert error is not None
    assert "loadBalancerIPs" in error


def test_wrong_type_fails_with_its_path() -> None:
    error = kubernetes_schema_error(_service(ports=[{"port": "eighty"}]))
    assert error is not None
    assert error.startswith("spec.ports.0.port")


def test_custom_resource_has_no_kubernetes_schema() -> None:
    assert kubernetes_schema_error(_service_monitor({"port": "http"})) == "no schema"


def test_custom_resource_validates_against_its_crd_schema() -> None:
    schemas = require_crd_schemas()
    assert crd_schema_errors(schemas, _service_monitor({"port": "http", "interval": "30s"})) == []
    errors = crd_schema_errors(schemas, _service_monitor({"port": "http", "scheme": "gopher"}))
    assert any("scheme" in error for error in errors), errors


def test_custom_resource_without_schema_is_an_error() -> None:
    schemas = require_crd_schemas()
    manifest = Manifest("x.yaml", {"apiVersion": "example.com/v1", "kind": "Widget"})
    assert crd_schema_errors(schemas, manifest) == [
        "no CRD schema example.com/widget_v1.json for example.com/v1 Widget"
    ]
