"""The few Markdown shapes the readiness checks read: headings, sections, numbered lists,
table rows and ``- **Field:** value`` lines. Fenced code blocks are skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBERED = re.compile(r"^\s{0,3}(\d+)[.)]\s+(\S.*)$")


@dataclass(frozen=True)
class Line:
    number: int
    text: str


def prose(text: str) -> list[Line]:
    """The lines outside fenced code blocks, with their 1-based numbers."""
    lines: list[Line] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(Line(number, line))
    return lines


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    line: int


def headings(text: str) -> list[Heading]:
    found = []
    for line in prose(text):
        match = _HEADING.match(line.text)
        if match:
            found.append(Heading(len(match.group(1)), match.group(2).strip(), line.number))
    return found


def find_heading(text: str, level: int, title: str) -> Heading | None:
    """The first heading of ``level`` whose title starts with ``title`` (case-insensitive)."""
    wanted = title.casefold()
    for heading in headings(text):
        if heading.level == level and heading.title.casefold().startswith(wanted):
            return heading
    return None


def section(text: str, level: int, title: str) -> tuple[Heading, list[Line]] | None:
    """A heading and the prose lines under it, up to the next heading of the same or a
    higher level."""
    heading = find_heading(text, level, title)
    if heading is None:
        return None
    body: list[Line] = []
    for line in prose(text):
        if line.number <= heading.line:
            continue
        match = _HEADING.match(line.text)
        if match and len(match.group(1)) <= level:
            break
        body.append(line)
    return heading, body


def numbered(lines: list[Line]) -> list[Line]:
    """The items of the numbered lists among ``lines`` (``1. ...``)."""
    return [line for line in lines if _NUMBERED.match(line.text)]


def table_rows(lines: list[Line]) -> list[tuple[Line, list[str]]]:
    """Table rows (header included, separator rows left out) with their cells."""
    rows = []
    for line in lines:
        stripped = line.text.strip()
        if not stripped.startswith("|"):
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
            continue
        rows.append((line, cells))
    return rows


def tables(lines: list[Line]) -> list[list[tuple[Line, list[str]]]]:
    """The tables among ``lines``: runs of consecutive table rows."""
    found: list[list[tuple[Line, list[str]]]] = []
    previous: int | None = None
    for line, cells in table_rows(lines):
        # Separator rows (|---|) are left out of the rows, hence a gap of two.
        if previous is None or line.number > previous + 2:
            found.append([])
        found[-1].append((line, cells))
        previous = line.number
    return found


def field_line(text: str, name: str) -> tuple[str, int] | None:
    """The value of a ``- **Name:** value`` line and its line number."""
    pattern = re.compile(rf"^\s*[-*]\s+\*\*{re.escape(name)}:\*\*\s*(.*)$", re.IGNORECASE)
    for line in prose(text):
        match = pattern.match(line.text)
        if match:
            return match.group(1).strip(), line.number
    return None
