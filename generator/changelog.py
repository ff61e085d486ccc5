"""The template's CHANGELOG.md: one ``## <version>`` section per release (newest first,
``## Unreleased`` on top), each with a ``### Upgrade notes`` subsection that says what changes
in a generated repository and what its team must check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import Version

from generator.template_source import parse_version

UNRELEASED = "Unreleased"
_RELEASE = re.compile(r"^## +\[?(?P<name>[^\]\s]+)\]?")
_SUBSECTION = re.compile(r"^### +(?P<title>.+?)\s*$")


@dataclass(frozen=True)
class Release:
    """One section of the changelog."""

    name: str  # "0.2.0" (as written, "v" or not) or "Unreleased"
    upgrade_notes: str  # the text under "### Upgrade notes", "" when there is none

    @property
    def version(self) -> Version | None:
        return parse_version(self.name)


def parse(text: str) -> list[Release]:
    """The sections of a changelog in file order."""
    releases: list[Release] = []
    name: str | None = None
    notes: list[str] = []
    in_notes = False

    def close() -> None:
        if name is not None:
            releases.append(Release(name, "\n".join(notes).strip()))

    for line in text.splitlines():
        if line.startswith("## "):
            close()
            match = _RELEASE.match(line)
            name = match["name"] if match else line[3:].strip()
            notes, in_notes = [], False
        elif (sub := _SUBSECTION.match(line)) is not None:
            in_notes = sub["title"].lower() == "upgrade notes"
        elif in_notes:
            notes.append(line)
    close()
    return releases


def notes_between(
    releases: list[Release],
    after: Version | None,
    up_to: Version | None,
    include_unreleased: bool = False,
) -> list[Release]:
    """Releases newer than ``after`` and at most ``up_to``, oldest first: what an update
    from ``after`` to ``up_to`` crosses. ``Unreleased`` is added (last) when the target is a
    commit past the newest release."""
    crossed = [
        release
        for release in releases
        if release.version is not None
        and (after is None or release.version > after)
        and (up_to is None or release.version <= up_to)
    ]
    crossed.sort(key=lambda release: release.version or Version("0"))
    if include_unreleased:
        crossed.extend(r for r in releases if r.name.lower() == UNRELEASED.lower())
    return crossed
