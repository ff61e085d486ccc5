"""Ownership: owners identified (``ownership``), contacts given (``contacts``), the escalation
path and severity levels (``escalation``)."""

from __future__ import annotations

import re

from generator.readiness.model import CHECKS, Findings
from generator.readiness.sources import markdown
from generator.readiness.sources.paths import (
    CATALOG,
    ESCALATION_DOC,
    OWNERSHIP_DOC,
    PROD_ROOT,
    RACI_ROWS,
)
from generator.readiness.sources.people import _page_policy, _sre_escalates
from generator.readiness.sources.repo import (
    Repo,
    dig,
    key_line,
)
from generator.readiness.sources.text import _word


def _codeowners_path(repo: Repo) -> str | None:
    host = ".gitlab" if repo.answers.ci_provider == "gitlab" else ".github"
    for candidate in (f"{host}/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
        if repo.exists(candidate):
            return candidate
    return None


def _codeowners(repo: Repo, path: str) -> list[tuple[int, str, list[str]]]:
    rules = []
    for number, line in enumerate(repo.lines(path), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped or stripped.startswith("["):  # GitLab section headers
            continue
        pattern, *owners = stripped.split()
        rules.append((number, pattern, owners))
    return rules


def _pattern_matches(pattern: str, path: str) -> bool:
    """A CODEOWNERS pattern (gitignore style) against a repository path."""
    if pattern in ("*", "**", "/**"):
        return True
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    regex = re.escape(body).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    regex += "/.*" if directory else "(/.*)?"
    if not anchored:
        regex = "(.*/)?" + regex
    return re.fullmatch(regex, path) is not None


def _owners_of(rules: list[tuple[int, str, list[str]]], path: str) -> tuple[int | None, list[str]]:
    """The owners of ``path``: the last matching rule wins, as on GitHub and GitLab."""
    found: tuple[int | None, list[str]] = (None, [])
    for number, pattern, owners in rules:
        if _pattern_matches(pattern, path):
            found = (number, owners)
    return found


@CHECKS.add(
    "ownership",
    1,
    "Owners identified: a group, in the catalog and CODEOWNERS, with a RACI",
    required=True,
    fix="Name the owning team as `spec.owner: group:<team>` in catalog-info.yaml, keep "
    "CODEOWNERS per the ownership model with groups only (`copier update` restores both), "
    "and keep the RACI table in docs/OWNERSHIP.md.",
)
def check_ownership(repo: Repo, f: Findings) -> None:
    a = repo.answers
    handle = f"@{a.org}/{a.team}"
    catalog = repo.yaml(CATALOG)
    owner_group: str | None = None
    if catalog is None:
        f.bad(CATALOG, None, "missing: no catalog entry names the owner")
    else:
        spec = dig(catalog, "spec")
        owner = dig(spec, "owner")
        line = key_line(spec, "owner") or key_line(catalog, "spec")
        if not owner:
            f.bad(CATALOG, line, "spec.owner is not set")
        else:
            kind, _, name = str(owner).rpartition(":")
            name = name.rsplit("/", 1)[-1]
            if kind.casefold() == "user":
                f.bad(CATALOG, line, f"spec.owner {owner}: a person, not a group")
            elif kind.casefold() != "group":
                f.bad(CATALOG, line, f"spec.owner {owner}: not a group reference (group:<team>)")
            elif name != a.team:
                f.bad(CATALOG, line, f"spec.owner {owner}: the answers name the team {a.team}")
            else:
                owner_group = name
                f.ok(CATALOG, line, f"spec.owner {owner}")

    codeowners = _codeowners_path(repo)
    host = ".gitlab" if a.ci_provider == "gitlab" else ".github"
    if codeowners is None:
        f.bad(
            f"{host}/CODEOWNERS",
            None,
            "missing: no code owners, so no change needs the owning team's review",
        )
    else:
        rules = _codeowners(repo, codeowners)
        for number, _pattern, owners in rules:
            for token in owners:
                if not (token.startswith("@") and "/" in token):
                    f.bad(codeowners, number, f"owner {token}: a person, not a group (@org/team)")
        model = a.ownership_model
        expected_default = f"@{a.org}/{a.sre_team}" if model == "sre_only" else handle
        line, owners = _owners_of(rules, "README.md")
        if line is None:
            f.bad(codeowners, None, "no `*` rule: files without an owner")
        elif expected_default not in owners:
            f.bad(
                codeowners,
                line,
                f"default owners {' '.join(owners) or '(none)'}; the {model} model needs "
                f"{expected_default}",
            )
        else:
            f.ok(codeowners, line, f"default owners {' '.join(owners)}")
        sre, platform = f"@{a.org}/{a.sre_team}", f"@{a.org}/{a.platform_team}"
        infra_reviewers = {
            "dev_only": [handle],
            "shared": [handle, sre],
            "platform": [platform],
            "sre_only": [sre],
        }.get(model, [handle])
        for path in (f"{PROD_ROOT}/main.tf", f"{repo.chart_rel}/values-prod.yaml"):
            line, owners = _owners_of(rules, path)
            missing = [o for o in infra_reviewers if o not in owners]
            if missing:
                f.bad(
                    codeowners,
                    line,
                    f"{path} is reviewed by {' '.join(owners) or 'nobody'}; the {model} model "
                    f"needs {' '.join(infra_reviewers)}",
                )
            else:
                f.ok(codeowners, line, f"{path} reviewed by {' '.join(owners)}")
        if owner_group is not None and not any(
            f"@{a.org}/{owner_group}" in owners for _, _, owners in rules
        ):
            f.bad(codeowners, None, f"the catalog owner group:{owner_group} is no code owner")

    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no RACI of who does what")
        return
    # The RACI table is the one with most of the activity rows (a contacts table may have
    # an "On-call" row too).
    wanted = {name.casefold() for name in RACI_ROWS}
    by_name: dict[str, tuple[markdown.Line, list[str]]] = {}
    for table in markdown.tables(markdown.prose(text)):
        rows = {cells[0].casefold(): (line, cells) for line, cells in table}
        if len(wanted & set(rows)) > len(wanted & set(by_name)):
            by_name = rows
    for name in RACI_ROWS:
        row = by_name.get(name.casefold())
        if row is None:
            f.bad(OWNERSHIP_DOC, None, f"RACI table has no row {name!r}")
            continue
        row_line, cells = row
        letters = {t for cell in cells[1:] for t in re.findall(r"\b[RACI]\b", cell)}
        if "A" not in letters or "R" not in letters:
            f.bad(
                OWNERSHIP_DOC,
                row_line.number,
                f"RACI row {name!r}: nobody responsible (R) and accountable (A)",
            )
    if all(name.casefold() in by_name for name in RACI_ROWS):
        first = by_name[RACI_ROWS[0].casefold()][0]
        f.ok(OWNERSHIP_DOC, first.number, f"RACI table with {len(RACI_ROWS)} rows")


@CHECKS.add(
    "contacts",
    1,
    "Contacts given: owner email, chat channel, on-call",
    required=False,
    fix="Keep the owner-email, slack-channel, oncall-provider and escalation-policy "
    "annotations in catalog-info.yaml and the `## Contacts` section of docs/OWNERSHIP.md in "
    "line with the answers.",
)
def check_contacts(repo: Repo, f: Findings) -> None:
    a = repo.answers
    expected = {
        "owner-email": str(a.get("owner_email", "")),
        "slack-channel": str(a.get("slack_channel", "")),
        "oncall-provider": a.oncall_provider,
    }
    if a.oncall_provider != "none":
        expected["escalation-policy"] = str(a.get("oncall_escalation_policy", ""))
    catalog = repo.yaml(CATALOG)
    if catalog is None:
        f.bad(CATALOG, None, "missing: no catalog entry carries the contacts")
    else:
        annotations = dig(catalog, "metadata", "annotations")
        for key, value in expected.items():
            name = f"{a.org_domain}/{key}"
            found = dig(annotations, name) if isinstance(annotations, dict) else None
            line = key_line(annotations, name) or key_line(dig(catalog, "metadata"), "annotations")
            if found is None:
                f.bad(CATALOG, line, f"annotation {name} missing")
            elif str(found) != value:
                f.bad(CATALOG, line, f"annotation {name} is {found!r}; the answers say {value!r}")
            else:
                f.ok(CATALOG, line, f"{name}: {found}")
    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no contacts section")
        return
    found_section = markdown.section(text, 2, "Contacts")
    if found_section is None:
        f.bad(OWNERSHIP_DOC, None, "no `## Contacts` section")
        return
    heading, lines = found_section
    body = markdown.plain("\n".join(line.text for line in lines))
    for key, value in expected.items():
        if key == "oncall-provider" and value == "none":
            continue
        if value and value.casefold() not in body.casefold():
            f.bad(OWNERSHIP_DOC, heading.line, f"`## Contacts` does not give the {key} {value}")
    f.ok(OWNERSHIP_DOC, heading.line, "## Contacts")


def _numbered_levels(f: Findings, path: str, text: str, title: str) -> list[str]:
    """Check that the ``## <title>`` section of a document lists at least two numbered
    levels; the section's text, for the checks on who the levels name."""
    found = markdown.section(text, 2, title)
    if found is None:
        f.bad(path, None, f"no `## {title}` section")
        return []
    heading, lines = found
    levels = markdown.numbered(lines)
    if len(levels) < 2:
        f.bad(
            path,
            heading.line,
            f"`## {title}` has {len(levels)} numbered level(s); it needs at least 2",
        )
    else:
        f.ok(path, heading.line, f"{title.lower()} with {len(levels)} levels")
    return [markdown.plain("\n".join(line.text for line in lines))]


@CHECKS.add(
    "escalation",
    1,
    "Escalation path and severity levels given",
    required=False,
    fix="Keep the numbered `## Escalation path` of docs/OWNERSHIP.md and the SEV1-SEV4 "
    "levels, `## Who joins a SEV1` and `## Paging escalation` of docs/ESCALATION.md.",
)
def check_escalation(repo: Repo, f: Findings) -> None:
    a = repo.answers
    levels_text: list[str] = []
    text = repo.text(OWNERSHIP_DOC)
    if text is None:
        f.bad(OWNERSHIP_DOC, None, "missing: no escalation path")
    else:
        levels_text += _numbered_levels(f, OWNERSHIP_DOC, text, "Escalation path")
    text = repo.text(ESCALATION_DOC)
    if text is None:
        f.bad(ESCALATION_DOC, None, "missing: no severity levels")
    else:
        for level in ("SEV1", "SEV2", "SEV3", "SEV4"):
            if markdown.find_heading(text, 3, level) is None:
                f.bad(ESCALATION_DOC, None, f"no `### {level}` section")
        if markdown.find_heading(text, 2, "Who joins a SEV1") is None:
            f.bad(ESCALATION_DOC, None, "no `## Who joins a SEV1` section")
        levels_text += _numbered_levels(f, ESCALATION_DOC, text, "Paging escalation")
    if not levels_text:
        return
    combined = "\n".join(levels_text)
    model = a.ownership_model
    first = a.sre_team if model == "sre_only" else a.team
    where = OWNERSHIP_DOC if repo.exists(OWNERSHIP_DOC) else ESCALATION_DOC
    if not _word(combined, first):
        f.bad(where, None, f"the escalation path never names {first}, who is paged first")
    if (model == "sre_only" or _sre_escalates(repo)) and not _word(combined, a.sre_team):
        f.bad(where, None, f"the {model} model escalates to {a.sre_team}; the path never names it")
    if a.oncall_provider == "none":
        return
    policy, owner = _page_policy(a)
    if policy and not _word(combined, policy):
        f.bad(where, None, f"the escalation path never names {owner}'s on-call policy {policy}")
    sre_policy = str(a.get("sre_escalation_policy", ""))
    if _sre_escalates(repo) and sre_policy and not _word(combined, sre_policy):
        f.bad(
            where,
            None,
            f"the {model} model escalates to SRE's policy {sre_policy}; the path never names it",
        )
