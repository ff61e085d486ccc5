"""The edits a product team makes to its repository, and whether an update kept them.

Teams own their repositories after the copy: they tune prod values, add Terraform of their
own, extend runbooks, write notes in the README and delete files they do not want. An
update that loses one of those, or brings a deleted file back, costs the team its work.
:func:`make_edits` makes one of each kind (where the repository has the file), and
:func:`check_edits` reads the updated repository for each: still there, lost (the team's
text is gone, or the deleted file is back), or its file deleted by the update.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

TEAM_TERRAFORM_FILE = "terraform/envs/prod/team.tf"
TEAM_TERRAFORM = """\
# Team addition: the dashboard the runbook links to (kept across template updates).
output "team_dashboard_url" {
  description = "The team's dashboard of the service."
  value       = "https://dashboards.example/d/service"
}
"""
TEAM_RUNBOOK = """
## Team notes: provider outage

Check the provider's status page first; our retries back off for 10 minutes.
"""
TEAM_README = """
## Team notes

Deploys freeze on the last Friday of the month.
"""
# Files a team may delete without breaking anything the template checks, first found wins.
OPTIONAL_FILES = (".pre-commit-config.yaml", ".editorconfig")
_REPLICAS = re.compile(r"^(?P<key>replicaCount:[ \t]*)(?P<count>\d+)[ \t]*$", re.MULTILINE)


class EditKind(StrEnum):
    TUNE_PROD_VALUES = "tune-prod-values"
    ADD_TERRAFORM = "add-terraform-file"
    EXTEND_RUNBOOK = "extend-runbook"
    README_NOTES = "add-readme-notes"
    DELETE_OPTIONAL = "delete-optional-file"


@dataclass(frozen=True)
class Edit:
    """One team edit: the file, and the text that must still be in it after an update
    (``None`` for a deleted file, which must stay deleted)."""

    kind: EditKind
    path: str
    kept_text: str | None

    @property
    def deletes(self) -> bool:
        return self.kept_text is None


class EditState(StrEnum):
    KEPT = "kept"
    LOST = "lost"  # the team's text is gone, or the deleted file is back
    FILE_DELETED = "file-deleted"  # the update deleted the file the team had edited


@dataclass(frozen=True)
class EditResult:
    edit: Edit
    state: EditState
    detail: str


def make_edits(repo: Path) -> list[Edit]:
    """Make the team's edits in ``repo`` (not committed); the edits made, in a fixed order."""
    edits: list[Edit] = []
    prod_values = sorted(repo.glob("helm/*/values-prod.yaml"))
    if prod_values:
        path = prod_values[0]
        text = path.read_text(encoding="utf-8")
        match = _REPLICAS.search(text)
        if match:
            tuned = f"{match['key']}{int(match['count']) + 1}"
            path.write_text(text[: match.start()] + tuned + text[match.end() :], encoding="utf-8")
            edits.append(Edit(EditKind.TUNE_PROD_VALUES, _relative(repo, path), tuned))
    if (repo / TEAM_TERRAFORM_FILE).parent.is_dir():
        (repo / TEAM_TERRAFORM_FILE).write_text(TEAM_TERRAFORM, encoding="utf-8")
        edits.append(Edit(EditKind.ADD_TERRAFORM, TEAM_TERRAFORM_FILE, TEAM_TERRAFORM))
    runbooks = repo / "docs" / "runbooks"
    runbook = runbooks / "README.md"
    if not runbook.is_file():
        found = sorted(runbooks.glob("*.md")) if runbooks.is_dir() else []
        runbook = found[0] if found else runbook
    if runbook.is_file():
        _append(runbook, TEAM_RUNBOOK)
        edits.append(Edit(EditKind.EXTEND_RUNBOOK, _relative(repo, runbook), TEAM_RUNBOOK.strip()))
    readme = repo / "README.md"
    if readme.is_file():
        _append(readme, TEAM_README)
        edits.append(Edit(EditKind.README_NOTES, "README.md", TEAM_README.strip()))
    for name in OPTIONAL_FILES:
        if (repo / name).is_file():
            (repo / name).unlink()
            edits.append(Edit(EditKind.DELETE_OPTIONAL, name, None))
            break
    return edits


def check_edits(repo: Path, edits: Sequence[Edit]) -> list[EditResult]:
    """What became of each edit in the updated ``repo``."""
    results = []
    for edit in edits:
        path = repo / edit.path
        if edit.kept_text is None:
            if path.exists():
                results.append(
                    EditResult(
                        edit, EditState.LOST, "the team deleted it; the update brought it back"
                    )
                )
            else:
                results.append(EditResult(edit, EditState.KEPT, "still deleted"))
            continue
        if not path.is_file():
            results.append(
                EditResult(
                    edit, EditState.FILE_DELETED, "the update deleted the file the team had edited"
                )
            )
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if edit.kept_text in text:
            line = text[: text.index(edit.kept_text)].count("\n") + 1
            results.append(EditResult(edit, EditState.KEPT, f"line {line}"))
        else:
            first = edit.kept_text.splitlines()[0]
            results.append(EditResult(edit, EditState.LOST, f"the team's text is gone: {first!r}"))
    return results


def _append(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8")
    separator = "" if current.endswith("\n") else "\n"
    path.write_text(current + separator + text, encoding="utf-8")


def _relative(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix()
