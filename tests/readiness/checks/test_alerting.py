"""What alert-routing and runbooks read: the receivers an alert reaches, walking the route as
Alertmanager does, and the repository file a runbook URL points to."""

from __future__ import annotations

import pytest

from generator.alertmanager import route_receivers
from generator.readiness.checks.alerting import _runbook_path


def test_route_receivers_follow_alertmanager_semantics() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {
                "matchers": ['service="api"'],
                "receiver": "team-chat",
                "routes": [
                    {"matchers": ['severity="page"'], "receiver": "pager", "continue": True},
                    {"matchers": ['severity=~"page|critical"'], "receiver": "sre-chat"},
                    {"match": {"severity": "ticket"}, "receiver": "tickets"},
                ],
            }
        ],
    }
    assert route_receivers(route, {"service": "api", "severity": "page"}) == ["pager", "sre-chat"]
    assert route_receivers(route, {"service": "api", "severity": "ticket"}) == ["tickets"]
    assert route_receivers(route, {"service": "api", "severity": "info"}) == ["team-chat"]
    assert route_receivers(route, {"service": "web", "severity": "page"}) == ["default"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://github.com/acme/api/blob/main/docs/runbooks/x.md", "docs/runbooks/x.md"),
        ("https://gitlab.com/acme/api/-/blob/main/docs/runbooks/x.md#top", "docs/runbooks/x.md"),
        ("https://github.com/other/api/blob/main/docs/runbooks/x.md", None),
        ("https://wiki.example/runbooks/x", None),
    ],
)
def test_runbook_urls_map_to_repository_paths(url: str, path: str | None) -> None:
    assert _runbook_path(url, "acme/api") == path
