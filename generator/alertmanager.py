"""Alertmanager routing fragments: what a generated repository's route file means, and how a
platform team merges many of them into one Alertmanager.

A generated repository's ``observability/alertmanager/route.yaml`` is a fragment: one route
that matches ``service="<service_name>"``, receivers named ``<service_name>-...`` and
inhibit rules scoped to the service. Alertmanager refuses matchers on its root route, so a
fragment only works under a root: :func:`merge` appends each fragment's route to the root's
``routes``, its receivers and inhibit rules to the root's, and refuses a receiver name or a
service route that is already there. `paved validate` checks a fragment the same way, under
a stand-in root whose only receiver is :data:`NULL_RECEIVER`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from generator.errors import PavedError

ROUTE_FILE = Path("observability") / "alertmanager" / "route.yaml"
# What a fragment may hold; global settings, templates and time intervals belong to the root.
FRAGMENT_KEYS = ("route", "receivers", "inhibit_rules")
# The one receiver of the stand-in root a fragment is checked under: it gets whatever the
# fragment's route does not match.
NULL_RECEIVER = "null"


class AlertmanagerError(PavedError):
    """A route file or root configuration that cannot be merged, and why."""

    exit_code = 2


# --- matching, as Alertmanager does it -------------------------------------------------

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def matchers(route: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A route's matchers as (label, operator, value), from ``matchers``, ``match`` and
    ``match_re`` alike."""
    found: list[tuple[str, str, str]] = []
    for text in route.get("matchers") or []:
        match = _MATCHER.match(str(text))
        if match:
            found.append((match.group(1), match.group(2), match.group(3)))
    for name, value in (route.get("match") or {}).items():
        found.append((str(name), "=", str(value)))
    for name, value in (route.get("match_re") or {}).items():
        found.append((str(name), "=~", str(value)))
    return found


def route_matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for name, operator, value in matchers(route):
        actual = labels.get(name, "")
        if operator == "=" and actual != value:
            return False
        if operator == "!=" and actual == value:
            return False
        if operator == "=~" and not re.fullmatch(value, actual):
            return False
        if operator == "!~" and re.fullmatch(value, actual):
            return False
    return True


def route_receivers(route: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The receivers Alertmanager notifies for an alert with ``labels`` under ``route`` (first
    match wins among siblings unless ``continue``; a route without a matching child uses its
    own receiver). ``route`` itself is not matched: it is the root of the walk."""

    def walk(node: dict[str, Any], inherited: str) -> list[str]:
        receiver = str(node.get("receiver") or inherited)
        found: list[str] = []
        for child in node.get("routes") or []:
            if not isinstance(child, dict) or not route_matches(child, labels):
                continue
            found.extend(walk(child, receiver))
            if not child.get("continue"):
                break
        return found or [receiver]

    return walk(route, "")


def service_of(route: dict[str, Any]) -> str | None:
    """The service a route is scoped to: the value of its one ``service="..."`` matcher."""
    services = [value for name, op, value in matchers(route) if name == "service" and op == "="]
    return services[0] if len(services) == 1 else None


# --- fragments and roots -----------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """One service's routing, as its route file holds it."""

    source: str
    service: str
    route: dict[str, Any]
    receivers: list[dict[str, Any]]
    inhibit_rules: list[dict[str, Any]]

    @property
    def receiver_names(self) -> list[str]:
        return [str(r.get("name")) for r in self.receivers]


def _load(path: Path, source: str, typ: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AlertmanagerError(f"{source}: cannot read it ({error.strerror})") from error
    try:
        return YAML(typ=typ, pure=True).load(text)
    except YAMLError as error:
        reason = " ".join(str(error).split())
        raise AlertmanagerError(f"{source}: invalid YAML: {reason}") from error


def load_fragment(path: Path) -> Fragment:
    """The route file of a generated repository (a folder) or a route file itself."""
    file = path / ROUTE_FILE if path.is_dir() else path
    source = str(file)
    if path.is_dir() and not file.is_file():
        raise AlertmanagerError(f"{path}: no {ROUTE_FILE} (not a generated repository?)")
    data = _load(file, source, "safe")
    if not isinstance(data, dict):
        raise AlertmanagerError(f"{source}: not a mapping of route, receivers and inhibit_rules")
    extra = [str(key) for key in data if key not in FRAGMENT_KEYS]
    if extra:
        raise AlertmanagerError(
            f"{source}: has {', '.join(extra)}; a route file holds only "
            f"{', '.join(FRAGMENT_KEYS)} (global settings belong to the root configuration)"
        )
    route = data.get("route")
    if not isinstance(route, dict):
        raise AlertmanagerError(f"{source}: has no `route:` mapping")
    service = service_of(route)
    if service is None:
        raise AlertmanagerError(
            f'{source}: its route has no single service="..." matcher; under a shared root '
            "it would catch every service's alerts"
        )
    receivers = data.get("receivers") or []
    inhibit_rules = data.get("inhibit_rules") or []
    if not isinstance(receivers, list) or not all(
        isinstance(r, dict) and r.get("name") for r in receivers
    ):
        raise AlertmanagerError(f"{source}: `receivers:` is not a list of named receivers")
    if not isinstance(inhibit_rules, list) or not all(isinstance(r, dict) for r in inhibit_rules):
        raise AlertmanagerError(f"{source}: `inhibit_rules:` is not a list of rules")
    return Fragment(source, service, route, receivers, inhibit_rules)


def load_root(path: Path) -> CommentedMap:
    """The platform team's root configuration, comments kept."""
    data = _load(path, str(path), "rt")
    if not isinstance(data, CommentedMap) or not isinstance(data.get("route"), dict):
        raise AlertmanagerError(f"{path}: not an Alertmanager configuration with a `route:`")
    if not data["route"].get("receiver"):
        raise AlertmanagerError(f"{path}: the root route has no default `receiver:`")
    return data


def stand_in_root() -> CommentedMap:
    """The smallest root a fragment can be checked under: everything else goes nowhere."""
    root = CommentedMap()
    root["route"] = CommentedMap(receiver=NULL_RECEIVER)
    root["receivers"] = CommentedSeq([CommentedMap(name=NULL_RECEIVER)])
    return root


def _list(parent: CommentedMap, key: str) -> CommentedSeq:
    if parent.get(key) is None:
        parent[key] = CommentedSeq()
    value = parent[key]
    if not isinstance(value, list):
        raise AlertmanagerError(f"the root configuration's `{key}:` is not a list")
    return value  # type: ignore[return-value]


def merge(root: CommentedMap, fragments: Sequence[Fragment], root_source: str) -> CommentedMap:
    """Append every fragment under ``root`` (changed in place and returned). Refuses, before
    changing anything, a receiver name that is already defined and a service that is already
    routed, naming both places."""
    receivers: dict[str, str] = {}
    for receiver in root.get("receivers") or []:
        if isinstance(receiver, dict):
            receivers[str(receiver.get("name"))] = root_source
    services: dict[str, str] = {}
    for child in root["route"].get("routes") or []:
        service = service_of(child) if isinstance(child, dict) else None
        if service is not None:
            services[service] = root_source
    for fragment in fragments:
        if fragment.service in services:
            raise AlertmanagerError(
                f'{fragment.source}: service="{fragment.service}" is already routed by '
                f"{services[fragment.service]}; each service is merged once"
            )
        services[fragment.service] = fragment.source
        for name in fragment.receiver_names:
            if name in receivers:
                raise AlertmanagerError(
                    f"{fragment.source}: receiver {name!r} is already defined in "
                    f"{receivers[name]}; receiver names must be unique in one Alertmanager"
                )
            receivers[name] = fragment.source
    routes = _list(root["route"], "routes")
    for fragment in fragments:
        routes.append(fragment.route)
        routes.yaml_set_comment_before_after_key(
            len(routes) - 1, before=f"{fragment.service}: {fragment.source}", indent=4
        )
        _list(root, "receivers").extend(fragment.receivers)
        if fragment.inhibit_rules:
            _list(root, "inhibit_rules").extend(fragment.inhibit_rules)
    return root


def dump(config: Any) -> str:
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    # The layout of the generated route files: list items indented under their key.
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    stream = io.StringIO()
    yaml.dump(config, stream)
    return stream.getvalue()


def merge_files(root: Path, sources: Sequence[Path]) -> str:
    """`paved alertmanager merge`: the root configuration with every repository's routing."""
    if not sources:
        raise AlertmanagerError("no repositories or route files to merge")
    fragments = [load_fragment(source) for source in sources]
    return dump(merge(load_root(root), fragments, str(root)))
