"""The ownership files of a generated repo: the catalog entry, OWNERSHIP.md, ESCALATION.md,
the runbooks, READINESS.md and SLA.md, as a service team and its tools read them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.conftest import (
    ROOT,
    SRE_ON_CALL,
    Render,
    example_files,
    load_yaml,
    require,
    require_tool,
)
from tests.unit.test_macros import HOSTILE

EXAMPLES = [path.stem for path in example_files()]
SECTIONS = ["Symptoms", "Impact", "Diagnosis", "Mitigation", "Escalation", "Verification"]
RACI_ROWS = [
    "Code",
    "Deploys",
    "Infrastructure",
    "On-call",
    "Incident command",
    "Rollback",
    "Post-incident review",
]
BACKSTAGE_SCRIPT = ROOT / "tools" / "backstage" / "validate-entity.mjs"
BACKSTAGE_MODULES = ROOT / ".tools" / "node" / "node_modules"
NOT_INVOLVED = "\u2013"  # the en dash of an empty RACI cell
BLOB = re.compile(r"^https://(github\.com|gitlab\.com)/(?P<repo>.+?)/(-/)?blob/main/(?P<path>.+)$")


def _markdown(path: Path) -> list[Token]:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return parser.parse(path.read_text(encoding="utf-8"))


def _headings(tokens: list[Token], tag: str) -> list[str]:
    return [
        tokens[i + 1].content
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == tag
    ]


def _section(tokens: list[Token], title: str) -> list[Token]:
    """The tokens under the H2 ``title``, up to the next H2."""
    start = next(
        i
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2" and tokens[i + 1].content == title
    )
    end = next(
        (
            i
            for i in range(start + 3, len(tokens))
            if tokens[i].type == "heading_open" and tokens[i].tag == "h2"
        ),
        len(tokens),
    )
    return tokens[start:end]


def _ordered_items(tokens: list[Token]) -> list[str]:
    """The text of the first ordered list's items."""
    start = next(i for i, t in enumerate(tokens) if t.type == "ordered_list_open")
    items, depth = [], 0
    for token in tokens[start:]:
        if token.type.endswith(("list_open", "list_close")):
            depth += token.nesting
        if token.type == "inline" and depth == 1:
            items.append(token.content)
        if depth == 0 and token.type == "ordered_list_close":
            break
    return items


def _table(tokens: list[Token]) -> list[list[str]]:
    """The first table: its header row, then its body rows, as cell texts."""
    rows: list[list[str]] = []
    inside = False
    for token in tokens:
        if token.type == "table_open":
            inside = True
        elif token.type == "table_close":
            break
        elif inside and token.type == "tr_open":
            rows.append([])
        elif inside and token.type == "inline":
            rows[-1].append(token.content)
    return rows


def _raci(repo: Path, team: str, sre: str, platform: str) -> dict[str, dict[str, set[str]]]:
    """OWNERSHIP.md's RACI table: activity -> party (team, sre, platform) -> letters."""
    header, *body = _table(_section(_markdown(repo / "docs" / "OWNERSHIP.md"), "Responsibilities"))
    columns = {
        "team": header.index(f"Service team ({team})"),
        "sre": header.index(f"SRE ({sre})"),
        "platform": header.index(f"Platform team ({platform})"),
    }
    raci = {}
    for row in body:
        raci[row[0]] = {
            party: set() if row[col] == NOT_INVOLVED else set(row[col].split(", "))
            for party, col in columns.items()
        }
    return raci


def _alerts(repo: Path) -> list[dict[str, Any]]:
    groups = load_yaml(repo / "observability" / "prometheus" / "slo-rules.yaml")["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _repo_path(url: str, answers: dict[str, Any]) -> str:
    """The repository path a blob URL of this repository points at."""
    match = BLOB.match(url)
    assert match, url
    assert match["repo"] == answers["repository"], url
    return match["path"]


# ---------------------------------------------------------------------------------------
# Runbooks
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_alert_links_a_runbook_with_the_six_sections(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    linked = set()
    for alert in _alerts(repo):
        path = _repo_path(alert["annotations"]["runbook_url"], answers)
        assert path.startswith("docs/runbooks/"), path
        assert (repo / path).is_file(), f"{alert['alert']}: {path} is not in the repository"
        linked.add(path)
    for path in linked:
        headings = _headings(_markdown(repo / path), "h2")
        assert [h for h in headings if h in SECTIONS] == SECTIONS, (path, headings)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_runbook_has_the_six_sections_in_order(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    runbooks = sorted((repo / "docs" / "runbooks").glob("*.md"))
    expected = {
        "README.md",
        "slo-availability.md",
        "slo-latency.md",
        "sli-no-data.md",
        "rollback.md",
        "deploy-failure.md",
        "disaster-recovery.md",
        "dependency-outage.md",
    } | {f"datastore-{datastore}.md" for datastore in answers["datastores"]}
    assert {path.name for path in runbooks} == expected
    for path in runbooks:
        headings = _headings(_markdown(path), "h2")
        assert [h for h in headings if h in SECTIONS] == SECTIONS, (path.name, headings)


@pytest.mark.parametrize("example", EXAMPLES)
def test_cloudwatch_alarms_point_at_their_datastore_runbook(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    module = repo / "terraform" / "modules" / "service"
    main = hcl2.loads((module / "main.tf").read_text(encoding="utf-8"))
    runbooks = next(
        block["alarm_runbooks"] for block in main["locals"] if "alarm_runbooks" in block
    )
    assert "docs/runbooks/datastore-${datastore}.md in ${var.repository}." in runbooks
    seen = 0
    for datastore in ("postgres", "s3", "sqs"):
        parsed = hcl2.loads((module / f"{datastore}.tf").read_text(encoding="utf-8"))
        for resource in parsed["resource"]:
            # python-hcl2 keeps labels and strings in their quoted source form.
            for name, alarm in resource.get('"aws_cloudwatch_metric_alarm"', {}).items():
                assert alarm["alarm_description"].endswith(
                    f'${{local.alarm_runbooks["{datastore}"]}}"'
                ), name
                seen += 1
        assert (repo / "docs" / "runbooks" / f"datastore-{datastore}.md").is_file() == (
            datastore in answers["datastores"]
        )
    assert seen == 7
    assert "docs/runbooks/README.md" not in (module / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("example", EXAMPLES)
def test_disaster_recovery_runbook_states_the_answered_strategy_rto_and_rpo(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    text = (repo / "docs" / "runbooks" / "disaster-recovery.md").read_text(encoding="utf-8")
    assert re.search(rf"^- \*\*Strategy:\*\* {answers['dr_strategy']}\b", text, re.M)
    assert re.findall(r"^- \*\*RTO:\*\* (\d+) minutes$", text, re.M) == [
        str(answers["rto_minutes"])
    ]
    assert re.findall(r"^- \*\*RPO:\*\* (\d+) minutes$", text, re.M) == [
        str(answers["rpo_minutes"])
    ]
    assert "## Test procedure" in text


def test_disaster_recovery_follows_overridden_answers_and_names_the_gap(
    render: Render, minimal_answers: dict[str, Any]
) -> None:
    repo = render(
        {**minimal_answers, "dr_strategy": "pilot_light", "rto_minutes": 30, "rpo_minutes": 5}
    )
    text = (repo / "docs" / "runbooks" / "disaster-recovery.md").read_text(encoding="utf-8")
    assert "- **Strategy:** pilot_light" in text
    assert "- **RTO:** 30 minutes" in text
    assert "- **RPO:** 5 minutes" in text
    # Tier 2 data is not copied to the DR region: the runbook says so instead of pretending.
    assert "**Gap:**" in text


# ---------------------------------------------------------------------------------------
# OWNERSHIP.md and ESCALATION.md
# ---------------------------------------------------------------------------------------

# The ownership models (docs/ownership.md): who approves prod deploys (A on Deploys), who is paged
# first (R and A on On-call), who reviews infrastructure changes (A on Infrastructure).
MODELS: dict[str, dict[str, Any]] = {
    "dev_only": {"deploys": {"team"}, "paged": "team", "infra": {"team"}},
    "shared": {"deploys": {"team", "sre"}, "paged": "team", "infra": {"team", "sre"}},
    "platform": {"deploys": {"team"}, "paged": "team", "infra": {"platform"}},
    "sre_only": {"deploys": {"sre"}, "paged": "sre", "infra": {"sre"}},
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_raci_follows_the_ownership_model(
    render: Render, minimal_answers: dict[str, Any], model: str
) -> None:
    repo = render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model})
    answers = load_yaml(repo / ".copier-answers.yml")
    raci = _raci(repo, answers["team"], answers["sre_team"], answers["platform_team"])
    assert list(raci) == RACI_ROWS
    expected = MODELS[model]
    accountable = {
        row: {p for p, letters in cells.items() if "A" in letters} for row, cells in raci.items()
    }
    assert accountable["Deploys"] == expected["deploys"]
    assert accountable["Infrastructure"] == expected["infra"]
    assert accountable["On-call"] == {expected["paged"]}
    assert "R" in raci["On-call"][expected["paged"]]
    assert accountable["Incident command"] == {expected["paged"]}
    # Whoever may approve a prod deploy may approve its rollback.
    assert accountable["Rollback"] == expected["deploys"]
    for row, cells in raci.items():
        assert all(letters <= {"R", "A", "C", "I"} for letters in cells.values()), row
        assert any("R" in letters for letters in cells.values()), row
    # SRE is the second escalation level under shared; the team gets tickets under sre_only.
    assert ("R" in raci["On-call"]["sre"]) == (model in ("shared", "sre_only"))
    assert ("I" in raci["On-call"]["team"]) == (model == "sre_only")


@pytest.mark.parametrize(("model", "tier"), [(m, 2) for m in sorted(MODELS)] + [("platform", 1)])
def test_escalation_path_follows_the_ownership_model(
    render: Render, minimal_answers: dict[str, Any], model: str, tier: int
) -> None:
    repo = render({**minimal_answers, **SRE_ON_CALL, "ownership_model": model, "tier": tier})
    ownership = _markdown(repo / "docs" / "OWNERSHIP.md")
    levels = _ordered_items(_section(ownership, "Escalation path"))
    escalation = _ordered_items(
        _section(_markdown(repo / "docs" / "ESCALATION.md"), "Paging escalation")
    )
    assert levels == escalation
    assert len(levels) >= 2
    who = [level.split("**")[1] for level in levels]
    sre = load_yaml(repo / ".copier-answers.yml")["sre_team"]
    assert who[0].startswith(sre if model == "sre_only" else "catalog")
    sre_levels = [i for i, name in enumerate(who) if name.startswith(f"{sre} ")]
    if model == "shared":
        assert sre_levels == [1]  # the second level
    elif model == "platform" and tier == 1:
        assert sre_levels == [len(who) - 1]  # the last level, tier 1 only
    elif model != "sre_only":
        assert sre_levels == []
    # Level 1 is paged by the page owner's policy; an SRE level names SRE's own policy.
    assert ("PSRE1" if model == "sre_only" else "PCATALOG1") in levels[0]
    if model == "sre_only":
        # The team is no level of the pager: SRE calls it in through its own policy.
        assert "PCATALOG1" in levels[-1]
        assert "never page" in levels[-1]
    else:
        assert all(("PSRE1" in level) == (i in sre_levels) for i, level in enumerate(levels))


def test_no_oncall_provider_pages_nobody(render: Render, minimal_answers: dict[str, Any]) -> None:
    answers = {k: v for k, v in minimal_answers.items() if k != "oncall_escalation_policy"}
    repo = render({**answers, "tier": 3, "oncall_provider": "none"})
    ownership = (repo / "docs" / "OWNERSHIP.md").read_text(encoding="utf-8")
    contacts = _section(_markdown(repo / "docs" / "OWNERSHIP.md"), "Contacts")
    assert any("On-call:** none" in t.content for t in contacts if t.type == "inline")
    levels = _ordered_items(_section(_markdown(repo / "docs" / "OWNERSHIP.md"), "Escalation path"))
    assert levels
    assert not any("paged by" in level for level in levels)
    assert "#catalog-alerts" in levels[0]
    assert "escalation policy" not in ownership
    catalog = load_yaml(repo / "catalog-info.yaml")
    annotations = catalog["metadata"]["annotations"]
    domain = load_yaml(repo / ".copier-answers.yml")["org_domain"]
    assert annotations[f"{domain}/oncall-provider"] == "none"
    assert f"{domain}/escalation-policy" not in annotations


@pytest.mark.parametrize("example", EXAMPLES)
def test_escalation_defines_four_severities_and_who_joins_a_sev1(
    rendered_examples: dict[str, Path], example: str
) -> None:
    tokens = _markdown(rendered_examples[example] / "docs" / "ESCALATION.md")
    assert _headings(tokens, "h3") == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert {"Who joins a SEV1", "Paging escalation"} <= set(_headings(tokens, "h2"))
    text = (rendered_examples[example] / "docs" / "ESCALATION.md").read_text(encoding="utf-8")
    for severity in re.split(r"^### ", text, flags=re.M)[1:]:
        assert "**Respond within:**" in severity
        assert "**Updates:**" in severity
        assert severity.count("\n- ") >= 3  # examples and the two timings


# ---------------------------------------------------------------------------------------
# SLA.md and READINESS.md
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "objective"), [(1, None), (1, 99.0), (1, 99.99), (2, None), (3, None)]
)
def test_sla_only_for_tier_one_and_below_the_slo(
    render: Render, minimal_answers: dict[str, Any], tier: int, objective: float | None
) -> None:
    answers = {**minimal_answers, **SRE_ON_CALL, "tier": tier}
    if objective is not None:
        answers["slo_availability"] = objective
    repo = render(answers)
    sla = repo / "docs" / "SLA.md"
    readiness = (repo / "docs" / "READINESS.md").read_text(encoding="utf-8")
    if tier != 1:
        assert not sla.exists()
        assert "Not applicable" in readiness.split("### 4.")[1].split("### 5.")[0]
        return
    slo = load_yaml(repo / ".copier-answers.yml")["slo_availability"]
    (commitment,) = re.findall(
        r"^- \*\*Availability commitment:\*\* ([0-9.]+)%$", sla.read_text(encoding="utf-8"), re.M
    )
    assert float(commitment) < slo
    # The margin is twice the SLO's error budget.
    assert float(commitment) == pytest.approx(100 - 2 * (100 - slo))


@pytest.mark.parametrize("example", EXAMPLES)
def test_readiness_covers_the_fourteen_items_with_check_ids(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    text = (repo / "docs" / "READINESS.md").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r"^### (\d+)\. ", text, re.M)]
    assert numbers == list(range(1, 15))
    ids = set(re.findall(r"`([a-z-]+)`", "\n".join(re.findall(r"Checked by .*", text))))
    assert ids >= {
        "ownership", "contacts", "escalation", "sli", "slo", "sla", "deploy-strategy", "ci",
        "cd", "static-analysis", "dr-plan", "backups", "redundancy", "alert-routing",
        "runbooks", "rollback", "observability", "security-context",
    }  # fmt: skip
    # Every repository path it cites as evidence exists.
    for path in re.findall(r"`((?:docs|helm|observability|ci|terraform)/[^`<>]+\.[a-z]+)`", text):
        assert (repo / path).is_file(), path


# ---------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------


def _docs(repo: Path) -> list[Path]:
    return [*sorted((repo / "docs").rglob("*.md")), repo / "README.md"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_docs_are_plain_markdown_and_their_links_resolve(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    for path in _docs(repo):
        tokens = _markdown(path)
        flat = tokens + [child for token in tokens for child in (token.children or [])]
        # A `<placeholder>` outside code would vanish as an HTML tag.
        assert not [t.content for t in flat if t.type.startswith("html")], path
        for link in (t.attrs["href"] for t in flat if t.type == "link_open"):
            assert isinstance(link, str)
            if link.startswith("http"):
                continue
            target, _, anchor = link.partition("#")
            resolved = (path.parent / target).resolve()
            assert resolved.exists(), f"{path.relative_to(repo)}: {link}"
            if anchor:
                slugs = [
                    re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                    for h in _headings(_markdown(resolved), "h2")
                ]
                assert anchor in slugs, f"{path.relative_to(repo)}: {link}"


@pytest.fixture(params=HOSTILE, ids=range(len(HOSTILE)))
def hostile_repo(
    request: pytest.FixtureRequest, render: Render, minimal_answers: dict[str, Any]
) -> tuple[Path, str]:
    text = request.param
    return render({**minimal_answers, "description": text, "environments": ["prod"]}), text


def test_hostile_description_stays_literal_in_the_catalog_and_the_docs(
    hostile_repo: tuple[Path, str],
) -> None:
    repo, text = hostile_repo
    catalog = load_yaml(repo / "catalog-info.yaml")
    assert catalog["metadata"]["description"] == text
    assert catalog["metadata"]["name"] == "catalog-api"
    for name in ("OWNERSHIP.md", "runbooks/README.md"):
        tokens = _markdown(repo / "docs" / name)
        paragraph = tokens[next(i for i, t in enumerate(tokens) if t.type == "paragraph_open") + 1]
        assert [child.type for child in paragraph.children or []] == ["text"], name
        assert (paragraph.children or [])[0].content == text.strip(), name


# ---------------------------------------------------------------------------------------
# catalog-info.yaml
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_catalog_entry_names_owner_tags_contacts_and_links(
    rendered_examples: dict[str, Path], example: str
) -> None:
    repo = rendered_examples[example]
    answers = load_yaml(repo / ".copier-answers.yml")
    entity = load_yaml(repo / "catalog-info.yaml")
    assert entity["apiVersion"] == "backstage.io/v1alpha1"
    assert entity["kind"] == "Component"
    assert entity["metadata"]["name"] == answers["service_name"]
    spec = entity["spec"]
    assert spec["owner"] == f"group:{answers['team']}"
    assert (spec["type"], spec["lifecycle"]) == ("service", "production")
    assert spec["system"] == answers["team"]
    tags = entity["metadata"]["tags"]
    assert f"tier-{answers['tier']}" in tags
    assert f"ownership-{answers['ownership_model'].replace('_', '-')}" in tags
    assert answers["deploy_strategy"].replace("_", "-") in tags
    domain = answers["org_domain"]
    labels = entity["metadata"]["labels"]
    assert labels[f"{domain}/team"] == answers["team"]
    assert labels[f"{domain}/tier"] == str(answers["tier"])
    assert labels[f"{domain}/cost-center"] == answers["cost_center"]
    annotations = entity["metadata"]["annotations"]
    assert annotations[f"{answers['ci_provider']}.com/project-slug"] == answers["repository"]
    assert annotations[f"{domain}/owner-email"] == answers["owner_email"]
    assert annotations[f"{domain}/slack-channel"] == answers["slack_channel"]
    assert annotations[f"{domain}/ownership-model"] == answers["ownership_model"]
    assert annotations[f"{domain}/oncall-provider"] == answers["oncall_provider"]
    if answers["oncall_provider"] != "none":
        assert annotations[f"{domain}/escalation-policy"] == answers["oncall_escalation_policy"]
    links = {link["title"]: link["url"] for link in entity["metadata"]["links"]}
    assert _repo_path(links["Runbooks"], answers) == "docs/runbooks/README.md"
    assert _repo_path(links["SLOs"], answers) == "observability/slos.yaml"
    for title in ("Runbooks", "SLOs"):
        assert (repo / _repo_path(links[title], answers)).is_file()
    assert f"var-service={answers['service_name']}" in links["Dashboard"]
    assert ("SLA" in links) == (answers["tier"] == 1)


def _require_backstage() -> str:
    node = require_tool("node")
    require(
        (BACKSTAGE_MODULES / "@backstage" / "catalog-model" / "package.json").is_file(),
        f"@backstage/catalog-model is not installed in {BACKSTAGE_MODULES.parent} (make install)",
    )
    return node


def _backstage(node: str, *files: Path) -> tuple[int, dict[str, Any]]:
    """Run Backstage's own validation on catalog files: exit code and the JSON report."""
    process = subprocess.run(
        [node, str(BACKSTAGE_SCRIPT), "--json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.stdout, process.stderr
    report: dict[str, Any] = json.loads(process.stdout)
    return process.returncode, report


def test_backstage_accepts_every_rendered_catalog_entry(
    rendered_examples: dict[str, Path],
    render: Render,
    minimal_answers: dict[str, Any],
) -> None:
    node = _require_backstage()
    variants = [
        render({**minimal_answers, "ci_provider": "gitlab", "repository": "acme/shop/catalog-api"}),
        render({**minimal_answers, **SRE_ON_CALL, "oncall_provider": "opsgenie", "tier": 1}),
        render(
            {**minimal_answers, "description": HOSTILE[0], "org_domain": "platform.acme.example"}
        ),
    ]
    files = [repo / "catalog-info.yaml" for repo in [*rendered_examples.values(), *variants]]
    code, report = _backstage(node, *files)
    assert code == 0, json.dumps(report, indent=2)
    assert [r["entity"] for r in report["results"]] == [
        f"component:default/{load_yaml(f)['metadata']['name']}" for f in files
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metadata": {"tags": ["Tier_1"]}}, "tags.0"),
        ({"metadata": {"labels": {"acme.example/tier": 1}}}, "labels"),
        ({"metadata": {"annotations": {"not a key": "x"}}}, "annotations"),
        ({"spec": {"owner": None}}, "owner"),
        ({"spec": {"system": "system:"}}, "spec.system"),
        ({"kind": "Service"}, "kind"),
    ],
)
def test_backstage_validation_rejects_broken_entries(
    rendered_examples: dict[str, Path], tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    node = _require_backstage()
    entity = load_yaml(rendered_examples["catalog-api"] / "catalog-info.yaml")
    for key, value in change.items():
        if isinstance(value, dict):
            for field, content in value.items():
                if content is None:
                    entity[key].pop(field)
                else:
                    entity[key][field] = content
        else:
            entity[key] = value
    broken = tmp_path / "catalog-info.yaml"
    broken.write_text(json.dumps(entity), encoding="utf-8")
    code, report = _backstage(node, broken)
    assert code == 1
    (result,) = report["results"]
    assert not result["ok"]
    assert message in result["error"], result["error"]
