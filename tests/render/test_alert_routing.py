"""Alert routing in a shared Alertmanager: every service's route file merges under one root
(`paved alertmanager merge`), amtool accepts the result, and each service's pages and tickets
reach exactly its own receivers with its own credentials; the ownership docs say what the
routing does."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from generator.alertmanager import ROUTE_FILE, dump, load_fragment, merge, stand_in_root
from generator.cli import cli
from generator.tools import run
from generator.validate import validate
from generator.validators import Status
from generator.validators.alertmanager import routes_test
from tests.conftest import (
    EXAMPLES,
    SRE_ON_CALL,
    Render,
    copy_template,
    load_yaml,
    require_helm,
    require_tool,
)

SECRETS = "/etc/alertmanager/secrets"
PAGER_CONFIGS = {"pagerduty": "pagerduty_configs", "opsgenie": "opsgenie_configs"}
CREDENTIAL_FIELDS = ("api_url_file", "routing_key_file", "api_key_file")

ROOT_CONFIG = """\
# The platform team's Alertmanager: what no service claims goes to the platform.
route:
  receiver: platform-default
  group_by: [alertname]
  routes:
    - matchers: ['team="platform"']
      receiver: platform-default
receivers:
  - name: platform-default
"""

# Services of a fleet besides the four examples, from the catalog-api answers: a second
# service of the catalog, payments and fulfilment teams, every ownership model with both
# pagers, both CI providers.
FLEET: dict[str, dict[str, Any]] = {
    "catalog-search": {
        "ownership_model": "sre_only",
        "ci_provider": "gitlab",
    },
    "payments-ledger": {
        "team": "payments",
        "owner_email": "payments-team@acme.example",
        "oncall_escalation_policy": "P7X2K9Q",
        "ownership_model": "shared",
        "oncall_provider": "opsgenie",
        "ci_provider": "gitlab",
    },
    "warehouse-api": {
        "team": "fulfilment",
        "owner_email": "fulfilment@acme.example",
        "oncall_escalation_policy": "fulfilment_oncall",
        "ownership_model": "platform",
        "tier": 1,
        "oncall_provider": "opsgenie",
    },
    "reporting-jobs": {
        "team": "data",
        "owner_email": "data@acme.example",
        "oncall_escalation_policy": "PDATA01",
        "ownership_model": "sre_only",
        "oncall_provider": "opsgenie",
    },
    "stock-feed": {
        "team": "fulfilment",
        "owner_email": "fulfilment@acme.example",
        "oncall_escalation_policy": "PFULFIL1",
        "ownership_model": "dev_only",
    },
}


def _catalog_answers() -> dict[str, Any]:
    data = load_yaml(EXAMPLES / "catalog-api.yml")
    assert isinstance(data, dict)
    return data


def expected_receivers(answers: dict[str, Any]) -> dict[str, list[str]]:
    """Who a service's pages and tickets reach, by the ownership table: the pager (SRE's
    under sre_only) plus SRE's channel where SRE is an escalation level; tickets to the
    team's channel; without a pager, pages open tickets."""
    service = answers["service_name"]
    model = answers.get("ownership_model", "platform")
    pager = answers.get("oncall_provider", "pagerduty") != "none"
    mirror = pager and (model == "shared" or (model == "platform" and answers.get("tier") == 1))
    page = ([f"{service}-page"] + ([f"{service}-sre-mirror"] if mirror else [])) if pager else []
    return {"page": page or [f"{service}-ticket"], "ticket": [f"{service}-ticket"]}


@pytest.fixture(scope="module")
def fleet(
    rendered_examples: dict[str, Path],
    template_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """The four examples and the services of FLEET, rendered, by service name."""
    base = tmp_path_factory.mktemp("fleet")
    repos = dict(rendered_examples)
    for name, changes in FLEET.items():
        answers = {
            **_catalog_answers(),
            **SRE_ON_CALL,
            "service_name": name,
            "environments": ["prod"],
            **changes,
        }
        repos[name] = copy_template(template_dir, base / name, answers)
    return repos


def _answers(repo: Path) -> dict[str, Any]:
    data = load_yaml(repo / ".copier-answers.yml")
    assert isinstance(data, dict)
    return data


def _merge(root: Path, *sources: Path, output: Path) -> Any:
    return CliRunner().invoke(
        cli, ["alertmanager", "merge", str(root), *map(str, sources), "--output", str(output)]
    )


def _credential_files(receiver: dict[str, Any]) -> list[str]:
    return [
        str(item[field])
        for key, items in receiver.items()
        if key.endswith("_configs")
        for item in items
        for field in CREDENTIAL_FIELDS
        if field in item
    ]


def test_the_fleet_merges_into_one_alertmanager_and_each_service_reaches_only_its_own(
    fleet: dict[str, Path], tmp_path: Path
) -> None:
    amtool = require_tool("amtool")
    answers = {_answers(repo)["service_name"]: _answers(repo) for repo in fleet.values()}
    covered = {(a.get("ownership_model"), a.get("oncall_provider")) for a in answers.values()}
    assert {model for model, _ in covered} == {"dev_only", "shared", "platform", "sre_only"}
    assert {provider for _, provider in covered} == {"pagerduty", "opsgenie", "none"}
    assert {a["ci_provider"] for a in answers.values()} == {"github", "gitlab"}
    teams = Counter(a["team"] for a in answers.values())
    assert (teams["catalog"], teams["payments"], teams["fulfilment"]) == (2, 2, 3)

    root = tmp_path / "root.yml"
    root.write_text(ROOT_CONFIG, encoding="utf-8")
    merged = tmp_path / "alertmanager.yml"
    result = _merge(root, *fleet.values(), output=merged)
    assert result.exit_code == 0, result.output
    done = run([amtool, "check-config", str(merged)], cwd=tmp_path)
    assert done.ok, done.output

    config = load_yaml(merged)
    names = [r["name"] for r in config["receivers"]]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    files = [f for r in config["receivers"] for f in _credential_files(r)]
    assert [f for f, count in Counter(files).items() if count > 1] == []
    # The root's own routes and comments survive the merge.
    assert config["route"]["routes"][0]["receiver"] == "platform-default"
    assert merged.read_text(encoding="utf-8").startswith("# The platform team's Alertmanager")

    own = {service: expected_receivers(a) for service, a in answers.items()}
    for service, data in answers.items():
        for severity in ("page", "ticket"):
            labels = {
                "alertname": f"{service}-availability-burn-rate",
                "service": service,
                "team": data["team"],
                "severity": severity,
                "tier": str(data["tier"]),
                "slo": "availability",
            }
            reached = routes_test(amtool, merged, labels)
            assert reached == own[service][severity], (service, severity)
            others = {
                name
                for other, reached_by in own.items()
                if other != service
                for names in reached_by.values()
                for name in names
            }
            assert not set(reached) & others, (service, severity)
    # An alert no service claims reaches the root's receiver only.
    assert routes_test(amtool, merged, {"service": "unknown", "severity": "page"}) == [
        "platform-default"
    ]


def test_merge_refuses_a_service_merged_twice_and_writes_nothing(
    fleet: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "root.yml"
    root.write_text(ROOT_CONFIG, encoding="utf-8")
    output = tmp_path / "alertmanager.yml"
    result = _merge(root, fleet["catalog-api"], fleet["catalog-api"], output=output)
    assert result.exit_code == 2
    assert 'service="catalog-api" is already routed by' in result.stderr
    assert str(fleet["catalog-api"] / ROUTE_FILE) in result.stderr
    assert not output.exists()


def test_merge_refuses_a_receiver_name_already_defined(
    fleet: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "root.yml"
    root.write_text(
        ROOT_CONFIG + "  - name: payments-api-ticket\n", encoding="utf-8"
    )  # a receiver of the root with a service's name
    output = tmp_path / "alertmanager.yml"
    result = _merge(root, fleet["payments-api"], output=output)
    assert result.exit_code == 2
    assert "receiver 'payments-api-ticket' is already defined in" in result.stderr
    assert str(root) in result.stderr
    assert not output.exists()


def test_merge_refuses_a_route_for_every_service(fleet: dict[str, Path], tmp_path: Path) -> None:
    """A route file without the service matcher would take every alert of the Alertmanager."""
    route = load_yaml(fleet["catalog-api"] / ROUTE_FILE)
    del route["route"]["matchers"]
    broken = tmp_path / "route.yaml"
    broken.write_text(dump(route), encoding="utf-8")
    root = tmp_path / "root.yml"
    root.write_text(ROOT_CONFIG, encoding="utf-8")
    result = _merge(root, broken, output=tmp_path / "out.yml")
    assert result.exit_code == 2
    assert 'no single service="..." matcher' in result.stderr
    assert "catch every service's alerts" in result.stderr


# --- each ownership model: the right people, with their own credentials ---------------

MODELS = [
    ("dev_only", 2, "pagerduty"),
    ("shared", 2, "pagerduty"),
    ("shared", 2, "opsgenie"),
    ("platform", 2, "pagerduty"),
    ("platform", 1, "opsgenie"),
    ("sre_only", 2, "pagerduty"),
    ("sre_only", 2, "opsgenie"),
    ("sre_only", 3, "none"),
]


def _model_repo(render: Render, model: str, tier: int, provider: str) -> Path:
    answers = {
        **_catalog_answers(),
        **SRE_ON_CALL,
        "ownership_model": model,
        "tier": tier,
        "oncall_provider": provider,
        "environments": ["prod"],
    }
    if provider == "none":
        del answers["oncall_escalation_policy"]
    return render(answers)


def _policies(receiver: dict[str, Any], provider: str) -> list[str]:
    (config,) = receiver[PAGER_CONFIGS[provider]]
    if provider == "pagerduty":
        return [config["details"]["escalation_policy"]]
    return [r["name"] for r in config["responders"]]


@pytest.mark.parametrize(("model", "tier", "provider"), MODELS)
def test_pages_reach_the_page_owner_with_its_own_credentials(
    render: Render, model: str, tier: int, provider: str
) -> None:
    repo = _model_repo(render, model, tier, provider)
    route = load_yaml(repo / ROUTE_FILE)
    receivers = {r["name"]: r for r in route["receivers"]}
    assert len(receivers) == len(route["receivers"]), "a receiver name repeats"
    expected = expected_receivers(_answers(repo))
    assert set(receivers) == set(expected["page"]) | set(expected["ticket"])
    files = {name: _credential_files(r) for name, r in receivers.items()}
    assert all(len(f) == 1 for f in files.values()), files
    assert len({f[0] for f in files.values()}) == len(files), "one credential per receiver"
    secrets = f"{SECRETS}/catalog-api-alerting/"
    assert all(f[0].startswith(secrets) for f in files.values())

    ticket = receivers["catalog-api-ticket"]["slack_configs"][0]
    assert ticket["channel"] == "#catalog-alerts"
    assert ticket["api_url_file"] == secrets + "team-slack-webhook-url"
    if provider == "none":
        return
    page = receivers["catalog-api-page"]
    owner, policy = ("sre", "PSRE1") if model == "sre_only" else ("team", "PCATALOG1")
    assert _policies(page, provider) == [policy]
    key = {"pagerduty": "pagerduty-routing-key", "opsgenie": "opsgenie-api-key"}[provider]
    assert files["catalog-api-page"] == [f"{secrets}{owner}-{key}"]
    (config,) = page[PAGER_CONFIGS[provider]]
    sre_escalates = model == "shared" or (model == "platform" and tier == 1)
    assert config["details"].get("escalates_to") == ("PSRE1" if sre_escalates else None)
    if sre_escalates:
        mirror = receivers["catalog-api-sre-mirror"]["slack_configs"][0]
        assert mirror["channel"] == _answers(repo)["sre_slack_channel"]
        assert mirror["api_url_file"] == secrets + "sre-slack-webhook-url"
    # Nobody else's policy is in the file: under sre_only the team's is gone.
    other = "PCATALOG1" if model == "sre_only" else ("" if sre_escalates else "PSRE1")
    if other:
        assert other not in (repo / ROUTE_FILE).read_text(encoding="utf-8")


# --- the docs say what the routing does ---------------------------------------------------


def _tables(path: Path) -> dict[str, list[list[str]]]:
    """Every table of a Markdown file under its H2 title: rows of cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(path.read_text(encoding="utf-8"))
    found: dict[str, list[list[str]]] = {}
    title = ""
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            title = tokens[i + 1].content
        elif token.type == "tr_open":
            found.setdefault(title, []).append([])
        elif (
            token.type == "inline"
            and found.get(title)
            and tokens[i - 1].type
            in (
                "th_open",
                "td_open",
            )
        ):
            found[title][-1].append(token.content)
    return found


def _levels(path: Path, title: str) -> list[str]:
    text = path.read_text(encoding="utf-8").split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. (.+)$", text, re.M)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize(("model", "tier", "provider"), MODELS)
def test_ownership_docs_describe_the_rendered_routing(
    render: Render, model: str, tier: int, provider: str, tmp_path: Path
) -> None:
    amtool = require_tool("amtool")
    repo = _model_repo(render, model, tier, provider)
    fragment = load_fragment(repo)
    config = tmp_path / "alertmanager.yml"
    config.write_text(dump(merge(stand_in_root(), [fragment], "root")), encoding="utf-8")
    receivers = {r["name"]: r for r in fragment.receivers}

    header, *rows = _tables(repo / "docs" / "OWNERSHIP.md")["Alert routing"]
    assert header[:3] == ["Alerts", "Receiver", "Notifies"]
    documented: dict[str, list[str]] = {}
    for alerts, receiver, notifies, credential in rows:
        matched = re.fullmatch(r'`severity="(\w+)"`', alerts)
        assert matched, alerts
        name = receiver.strip("`")
        documented.setdefault(matched[1], []).append(name)
        (config_key,) = [k for k in receivers[name] if k.endswith("_configs")]
        (item,) = receivers[name][config_key]
        # The credential the docs name is the file the receiver reads.
        (file,) = _credential_files(receivers[name])
        assert credential == f"`{Path(file).name}`", (name, credential)
        notifies = _unescape(notifies)
        if config_key == "slack_configs":
            assert notifies.startswith(f"Slack {item['channel']} "), notifies
        else:
            (policy,) = _policies(receivers[name], provider)
            assert f"escalation policy `{policy}`" in notifies, notifies
            escalates = item.get("details", {}).get("escalates_to")
            assert (f"`{escalates}`" in notifies) if escalates else ("escalates" not in notifies)
    for severity in ("page", "ticket"):
        reached = routes_test(amtool, config, {"service": "catalog-api", "severity": severity})
        assert documented[severity] == reached, severity

    # The escalation path of both documents starts with whoever the pager pages, and names
    # SRE's policy where the page says the team's policy escalates to it.
    ownership = _levels(repo / "docs" / "OWNERSHIP.md", "Escalation path")
    assert ownership == _levels(repo / "docs" / "ESCALATION.md", "Paging escalation")
    runbook = _levels(repo / "docs" / "runbooks" / "rollback.md", "Escalation")
    assert runbook == ownership
    if provider == "none":
        assert not any("paged by" in level for level in ownership)
        return
    page = receivers["catalog-api-page"]
    (policy,) = _policies(page, provider)
    assert f"paged by {'PagerDuty' if provider == 'pagerduty' else 'Opsgenie'}" in ownership[0]
    assert f"`{policy}`" in ownership[0]
    sre = _answers(repo)["sre_team"]
    assert ownership[0].startswith(f"**{sre} " if model == "sre_only" else "**catalog ")
    (item,) = page[PAGER_CONFIGS[provider]]
    escalates = item["details"].get("escalates_to")
    sre_levels = [level for level in ownership if level.startswith(f"**{sre} on-call")]
    if escalates:
        (level,) = sre_levels
        assert f"`{escalates}`" in level
        mirror = receivers["catalog-api-sre-mirror"]["slack_configs"][0]["channel"]
        assert mirror in _unescape(level)
    else:
        assert sre_levels == []


# --- the chart's AlertmanagerConfig follows the same rules -------------------------------


@pytest.mark.parametrize(("model", "tier", "provider"), MODELS[1:2] + MODELS[4:7])
def test_chart_alertmanager_config_is_the_route_file(
    render: Render, model: str, tier: int, provider: str
) -> None:
    require_helm()
    from generator.validators.base import Context
    from generator.validators.helm import rendered, targets

    repo = _model_repo(render, model, tier, provider)
    (target,) = targets(repo)
    (config,) = [m.obj for m in rendered(Context(repo), target) if m.kind == "AlertmanagerConfig"]
    spec = config["spec"]
    plain = load_yaml(repo / ROUTE_FILE)
    assert spec["route"]["matchers"] == [
        {"name": "service", "value": "catalog-api", "matchType": "="}
    ]
    assert [r["receiver"] for r in spec["route"]["routes"]] == [
        r["receiver"] for r in plain["route"]["routes"]
    ]
    assert [r.get("continue", False) for r in spec["route"]["routes"]] == [
        r.get("continue", False) for r in plain["route"]["routes"]
    ]
    assert [r["name"] for r in spec["receivers"]] == [r["name"] for r in plain["receivers"]]
    for ours, theirs in zip(spec["receivers"], plain["receivers"], strict=True):
        secret = [
            ref
            for items in ours.values()
            if isinstance(items, list)
            for item in items
            for ref in (item.get("apiURL"), item.get("routingKey"), item.get("apiKey"))
            if ref
        ]
        assert secret == [
            {"name": "catalog-api-alerting", "key": Path(f).name} for f in _credential_files(theirs)
        ]
    # The inhibit rule is scoped to the service as in the route file.
    (rule,) = spec["inhibitRules"]
    assert {"name": "service", "value": "catalog-api", "matchType": "="} in rule["sourceMatch"]
    assert {"name": "service", "value": "catalog-api", "matchType": "="} in rule["targetMatch"]


# --- paved validate ------------------------------------------------------------------------


def test_validate_checks_every_route_file_under_a_stand_in_root(fleet: dict[str, Path]) -> None:
    require_tool("amtool")
    for name, repo in fleet.items():
        report = validate(repo, only=["alertmanager"], require_all=True)
        (outcome,) = report.outcomes
        assert outcome.status is Status.PASSED, (name, outcome.summary, outcome.details)
        assert "other services' alerts untouched" in outcome.summary


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # A route for every service.
        ('  matchers:\n    - "service=\\"catalog-api\\""\n', "", "cannot be merged"),
        # A receiver per team again.
        ("catalog-api-page", "catalog-pagerduty", "does not start with 'catalog-api-'"),
        # A route to a receiver nobody defined: amtool refuses the configuration.
        ('receiver: "catalog-api-page"', 'receiver: "catalog-api-pager"', "check-config failed"),
    ],
)
def test_validate_fails_a_route_file_that_does_not_compose(
    fleet: dict[str, Path], tmp_path: Path, old: str, new: str, message: str
) -> None:
    require_tool("amtool")
    repo = tmp_path / "catalog-api"
    shutil.copytree(fleet["catalog-api"], repo)
    path = repo / ROUTE_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    (outcome,) = validate(repo, only=["alertmanager"]).outcomes
    assert outcome.status is Status.FAILED
    assert message in outcome.summary + outcome.details, outcome
