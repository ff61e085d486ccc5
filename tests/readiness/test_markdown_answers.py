"""Answers that Markdown escapes: a fresh service whose contacts hold ``_`` (the only
character of the contact answers that the docs escape) scores 100, because the checks read
the docs as a reader sees them rendered, and the docs show each answer as written.

The answer rules decide what can occur: Slack channels and escalation policies may hold
``_``, emails ``_ . % + -``, team slugs none of these. ``*``, backticks and non-ASCII are
allowed in the description only, which no check compares; it carries them here so that a
service with them is ready too."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.conftest import (
    EXAMPLES,
    POLICY,
    copy_template,
    example_answer,
    load_yaml,
    require_helm,
    sla_commitment,
)
from tests.readiness.conftest import Breakable, check, report

# The org's domain (annotation keys, emails) and tier 1's RTO and SLA, as rendered.
DOMAIN = example_answer("catalog-api", "org_domain")
RTO = POLICY.tier(1).rto_minutes
SLA = sla_commitment(POLICY.tier(1).slo_availability)
DESCRIPTION = "Ships orders — «fulfilment» for *every* `warehouse`, same_day & on time."
CONTACTS = {
    "team": "fulfilment",
    "owner_email": f"fulfil_ment+ops%eu@{DOMAIN}",
    "slack_channel": "#fulfilment_alerts",
    "oncall_escalation_policy": "P_FULFIL_1",
    "description": DESCRIPTION,
}
SRE = {"sre_escalation_policy": "SRE_PRIMARY_1", "sre_slack_channel": "#sre_pages"}
# Every way the contacts reach the docs: the team paged (platform), SRE the second level
# (shared, tier 1 with its SLA and DR plan), SRE paged (sre_only), nobody paged (tier 3).
VARIANTS: dict[str, dict[str, Any]] = {
    "platform": {},
    "shared-tier1-opsgenie": {
        **SRE,
        "ownership_model": "shared",
        "tier": 1,
        "oncall_provider": "opsgenie",
    },
    "sre-only": {**SRE, "ownership_model": "sre_only"},
    "tier3-no-pager": {"tier": 3, "oncall_provider": "none", "ownership_model": "dev_only"},
}
CONTACT_KEYS = (
    "slack_channel",
    "owner_email",
    "oncall_escalation_policy",
    "sre_slack_channel",
    "sre_escalation_policy",
)
DOCS = ("docs/OWNERSHIP.md", "docs/ESCALATION.md", "docs/READINESS.md", "README.md")


@pytest.fixture(scope="module")
def escaped_repos(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = load_yaml(EXAMPLES / "catalog-api.yml")
    target = tmp_path_factory.mktemp("escaped")
    repos = {}
    for name, overrides in VARIANTS.items():
        answers = {**base, **CONTACTS, **overrides}
        if answers.get("oncall_provider") == "none":
            answers.pop("oncall_escalation_policy")
        repos[name] = copy_template(template_dir, target / name, answers)
    return repos


@pytest.fixture
def escaped_copy(escaped_repos: dict[str, Path], tmp_path: Path) -> Breakable:
    def _copy(name: str) -> Path:
        return Path(shutil.copytree(escaped_repos[name], tmp_path / name))

    return _copy


@pytest.fixture(autouse=True)
def _helm() -> None:
    require_helm()


def _answers(repo: Path) -> dict[str, Any]:
    answers: dict[str, Any] = load_yaml(repo / ".copier-answers.yml")
    return answers


def _tokens(path: Path) -> list[Token]:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return parser.parse(path.read_text(encoding="utf-8"))


def _shown(tokens: list[Token]) -> str:
    """The text a reader sees, code spans included, one line per inline run."""
    lines = []
    for token in tokens:
        if token.type == "inline":
            lines.append(
                "".join(
                    c.content if c.type in ("text", "code_inline") else " "
                    for c in token.children or []
                )
            )
    return "\n".join(lines)


def _contacts(repo: Path) -> str:
    text = (repo / "docs/OWNERSHIP.md").read_text(encoding="utf-8")
    return text.split("## Contacts", 1)[1].split("\n## ", 1)[0]


def _edit_contacts(repo: Path, old: str, new: str) -> None:
    path = repo / "docs/OWNERSHIP.md"
    text = path.read_text(encoding="utf-8")
    section = _contacts(repo)
    assert old in section, (old, section)
    path.write_text(text.replace(section, section.replace(old, new)), encoding="utf-8")


@pytest.mark.parametrize("name", VARIANTS)
def test_contacts_with_underscores_score_100(escaped_repos: dict[str, Path], name: str) -> None:
    repo = escaped_repos[name]
    # The docs escape the answers (else this test would prove nothing).
    assert "#fulfilment\\_alerts" in _contacts(repo)
    assert f"fulfil\\_ment+ops%eu@{DOMAIN}" in _contacts(repo)
    code, data = report(repo)
    failed = {c["id"]: c["evidence"][:3] for c in data["checks"] if c["status"] == "fail"}
    assert failed == {}
    assert (code, data["score"]) == (0, 100)
    evidence = check(data, "contacts")["evidence"]
    assert any(e.startswith("docs/OWNERSHIP.md:") for e in evidence), evidence
    assert any(e.endswith(f" {DOMAIN}/slack-channel: #fulfilment_alerts") for e in evidence)


@pytest.mark.parametrize("name", VARIANTS)
def test_docs_show_the_answers_as_written(escaped_repos: dict[str, Path], name: str) -> None:
    repo = escaped_repos[name]
    answers = _answers(repo)
    values = [str(answers[key]) for key in CONTACT_KEYS if key in answers]
    docs = [*(repo / doc for doc in DOCS), *sorted((repo / "docs/runbooks").glob("*.md"))]
    for path in docs:
        source = path.read_text(encoding="utf-8")
        shown = _shown(_tokens(path))
        for value in values:
            if value in source or value.replace("_", "\\_") in source:
                assert value in shown, (path.name, value)
        # Escaped once: no backslash of an escape is left for a reader to see.
        assert not re.search(r"\\[_*`\[\]<>&|~$]", shown), path.name
        _tables_keep_their_columns(path)
    # OWNERSHIP.md gives every contact; the README and OWNERSHIP.md open with the description.
    ownership = _shown(_tokens(repo / "docs/OWNERSHIP.md"))
    assert [value for value in values if value not in ownership] == []
    assert DESCRIPTION in ownership
    assert DESCRIPTION in _shown(_tokens(repo / "README.md"))


def _tables_keep_their_columns(path: Path) -> None:
    """Every row of every table has its header's number of cells (an answer's pipe, say,
    would split a cell)."""
    width = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line.strip()[1:-1]))
        width = width or cells
        assert cells == width, (path.name, line)


def test_the_catalog_carries_the_answers_unescaped(escaped_repos: dict[str, Path]) -> None:
    for repo in escaped_repos.values():
        annotations = load_yaml(repo / "catalog-info.yaml")["metadata"]["annotations"]
        assert annotations[f"{DOMAIN}/slack-channel"] == "#fulfilment_alerts"
        assert annotations[f"{DOMAIN}/owner-email"] == f"fulfil_ment+ops%eu@{DOMAIN}"
        assert load_yaml(repo / "catalog-info.yaml")["metadata"]["description"] == DESCRIPTION


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        ("#fulfilment\\_alerts", "#fulfilment\\_alarms", "slack-channel", "#fulfilment_alerts"),
        (
            f"fulfil\\_ment+ops%eu@{DOMAIN}",
            f"fulfilment+ops%eu@{DOMAIN}",
            "owner-email",
            f"fulfil_ment+ops%eu@{DOMAIN}",
        ),
        # The backslash shows inside a code span: a reader sees another channel.
        ("#fulfilment\\_alerts", "`#fulfilment\\_alerts`", "slack-channel", "#fulfilment_alerts"),
        ("`P_FULFIL_1`", "`P_FULFIL_2`", "escalation-policy", "P_FULFIL_1"),
    ],
)
def test_a_changed_contact_fails_contacts(
    escaped_copy: Breakable, old: str, new: str, key: str, value: str
) -> None:
    repo = escaped_copy("platform")
    _edit_contacts(repo, old, new)
    code, data = report(repo)
    result = check(data, "contacts")
    assert result["status"] == "fail"
    assert code == 0  # scored, not required
    assert data["score"] < 100
    assert any(
        e.startswith("docs/OWNERSHIP.md:") and f"the {key} {value}" in e for e in result["evidence"]
    ), result["evidence"]


@pytest.mark.parametrize(
    "written",
    [
        "#fulfilment_alerts",
        "`#fulfilment_alerts`",
        "**#fulfilment\\_alerts**",
        "#fulfilment&#95;alerts",
    ],
)
def test_a_contact_written_another_way_that_shows_the_same_passes(
    escaped_copy: Breakable, written: str
) -> None:
    repo = escaped_copy("platform")
    _edit_contacts(repo, "- **Slack:** #fulfilment\\_alerts", f"- **Slack:** {written}")
    _, data = report(repo)
    assert check(data, "contacts")["status"] == "pass", check(data, "contacts")["evidence"]
    assert data["score"] == 100


def test_a_changed_policy_in_the_escalation_path_fails_escalation(
    escaped_copy: Breakable,
) -> None:
    repo = escaped_copy("platform")
    ownership = repo / "docs/OWNERSHIP.md"
    text = ownership.read_text(encoding="utf-8")
    start = text.index("## Escalation path")
    end = text.index("\n## ", start)
    ownership.write_text(
        text[:start] + text[start:end].replace("P_FULFIL_1", "P_OTHER_1") + text[end:],
        encoding="utf-8",
    )
    escalation = repo / "docs/ESCALATION.md"
    text = escalation.read_text(encoding="utf-8")
    escalation.write_text(text.replace("P_FULFIL_1", "P_OTHER_1"), encoding="utf-8")
    _, data = report(repo)
    result = check(data, "escalation")
    assert result["status"] == "fail"
    assert any("on-call policy P_FULFIL_1" in e for e in result["evidence"]), result["evidence"]


@pytest.mark.parametrize(
    ("path", "old", "new", "check_id"),
    [
        (
            "docs/runbooks/disaster-recovery.md",
            "- **Strategy:** warm_standby:",
            "- **Strategy:** _warm\\_standby_:",
            "dr-plan",
        ),
        (
            "docs/runbooks/disaster-recovery.md",
            f"- **RTO:** {RTO} minutes",
            f"- **RTO:** **{RTO}** minutes",
            "dr-plan",
        ),
        (
            "docs/SLA.md",
            f"- **Availability commitment:** {SLA}%",
            f"- **Availability commitment:** {SLA}\\%",
            "sla",
        ),
        ("docs/OWNERSHIP.md", "| On-call |", "| **On\\-call** |", "ownership"),
    ],
)
def test_docs_are_read_as_rendered_by_every_check(
    escaped_copy: Breakable, path: str, old: str, new: str, check_id: str
) -> None:
    repo = escaped_copy("shared-tier1-opsgenie")
    target = repo / path
    text = target.read_text(encoding="utf-8")
    assert old in text, old
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, data = report(repo)
    assert check(data, check_id)["status"] == "pass", check(data, check_id)["evidence"]
    assert data["score"] == 100


def test_a_changed_rto_written_in_bold_still_fails_dr_plan(escaped_copy: Breakable) -> None:
    repo = escaped_copy("shared-tier1-opsgenie")
    target = repo / "docs/runbooks/disaster-recovery.md"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace(f"- **RTO:** {RTO} minutes", "- **RTO:** **9999** minutes"))
    _, data = report(repo)
    result = check(data, "dr-plan")
    assert result["status"] == "fail"
    assert any(f"RTO 9999 minutes; the answers say {RTO}" in e for e in result["evidence"])
