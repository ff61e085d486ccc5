"""Alertmanager routing: the route file is a fragment that composes in a shared Alertmanager.

The fragment cannot be checked on its own (Alertmanager refuses matchers on the root route),
so it is merged under a stand-in root exactly as `paved alertmanager merge` merges it, and
amtool checks the result: `amtool check-config`, then `amtool config routes test` for the
service's pages and tickets (they reach the fragment's receivers) and for another service's
alert (it never does).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.alertmanager import (
    NULL_RECEIVER,
    ROUTE_FILE,
    AlertmanagerError,
    dump,
    load_fragment,
    merge,
    stand_in_root,
)
from generator.answers import read_answers
from generator.errors import AnswersError
from generator.tools import run, which
from generator.validators.base import Context, Outcome

NO_AMTOOL = "amtool not found on PATH (Debian/Ubuntu: apt-get install prometheus-alertmanager)"
SEVERITIES = ("page", "ticket")


def routes_test(amtool: str, config: Path, labels: Mapping[str, str]) -> list[str]:
    """The receivers `amtool config routes test` resolves ``labels`` to, in order."""
    done = run(
        [amtool, "config", "routes", "test", f"--config.file={config}"]
        + [f"{name}={value}" for name, value in labels.items()],
        cwd=config.parent,
    )
    if not done.ok:
        raise AlertmanagerError(f"amtool config routes test failed: {done.output}")
    lines = done.stdout.strip().splitlines()
    return lines[-1].split(",") if lines else []


def _answered_service(repo: Path) -> str | None:
    try:
        name = read_answers(repo).text("service_name")
    except AnswersError:
        return None
    return name or None


class AlertmanagerRouting:
    name = "alertmanager"
    description = (
        "amtool check-config and routes test of the route file under a stand-in root: the "
        "service's pages and tickets reach its receivers, other services' alerts never do"
    )

    def applies(self, repo: Path) -> bool:
        return (repo / ROUTE_FILE).is_file()

    def run(self, context: Context) -> Outcome:
        amtool = which("amtool")
        if amtool is None:
            return Outcome.skipped(self.name, NO_AMTOOL)
        try:
            fragment = load_fragment(context.repo / ROUTE_FILE)
        except AlertmanagerError as error:
            return Outcome.failed(self.name, f"{ROUTE_FILE}: cannot be merged", str(error))
        service = fragment.service
        findings: list[str] = []
        answered = _answered_service(context.repo)
        if answered is not None and answered != service:
            findings.append(
                f'{ROUTE_FILE}: the route matches service="{service}"; the answers name '
                f"the service {answered}"
            )
        findings += [
            f"{ROUTE_FILE}: receiver {name!r} does not start with {service + '-'!r}: in a "
            "shared Alertmanager it can collide with another service's"
            for name in fragment.receiver_names
            if not name.startswith(f"{service}-")
        ]
        reached: dict[str, list[str]] = {}
        with tempfile.TemporaryDirectory(prefix="paved-alertmanager-") as scratch:
            config = Path(scratch) / "alertmanager.yml"
            try:
                merged = merge(stand_in_root(), [fragment], "the stand-in root")
            except AlertmanagerError as error:
                return Outcome.failed(self.name, f"{ROUTE_FILE}: cannot be merged", str(error))
            config.write_text(dump(merged), encoding="utf-8")
            done = run([amtool, "check-config", str(config)], cwd=Path(scratch))
            if not done.ok:
                summary = f"{ROUTE_FILE} under a stand-in root: amtool check-config failed"
                return Outcome.failed(self.name, summary, done.output)
            try:
                for severity in SEVERITIES:
                    labels = {"service": service, "severity": severity}
                    reached[severity] = routes_test(amtool, config, labels)
                other = routes_test(
                    amtool, config, {"service": f"not-{service}", "severity": "page"}
                )
            except AlertmanagerError as error:
                return Outcome.failed(self.name, f"{ROUTE_FILE}: amtool failed", str(error))
        for severity, names in reached.items():
            if NULL_RECEIVER in names or not names:
                findings.append(
                    f'{ROUTE_FILE}: a {severity} alert of service="{service}" reaches none of '
                    "the file's receivers"
                )
        if other != [NULL_RECEIVER]:
            findings.append(
                f"{ROUTE_FILE}: an alert of another service reaches {', '.join(other)}: the "
                "route catches alerts that are not this service's"
            )
        summary = (
            f"{ROUTE_FILE} under a stand-in root: "
            + "; ".join(f"{sev}s reach {', '.join(names)}" for sev, names in reached.items())
            + ("; other services' alerts untouched" if other == [NULL_RECEIVER] else "")
        )
        return Outcome.from_findings(self.name, summary, findings)
