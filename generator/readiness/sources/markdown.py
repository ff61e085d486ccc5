"""The few Markdown shapes the readiness checks read: headings, sections, numbered lists,
table rows and ``- **Field:** value`` lines. Fenced code blocks are skipped.

The shapes are found line by line in the source, so evidence can name a line; what a check
compares with the answers is the text as a reader sees it rendered (:func:`plain`): the
generated docs escape answers for Markdown (``#fulfilment\\_alerts`` shows as
``#fulfilment_alerts``) and a team may write a value as code or in bold. Titles, cells and
field values come back rendered; section lines stay source, for the checks to render."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

# How GitHub and GitLab render the docs: CommonMark with tables and strikethrough.
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# A table cell delimiter: a pipe not escaped by a backslash (GFM's ``\|`` is a literal
# pipe, even inside a code span).
_CELL_PIPE = re.compile(r"(?<!\\)\|")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBERED = re.compile(r"^\s{0,3}(\d+)[.)]\s+(\S.*)$")


def plain(text: str, inline: bool = False) -> str:
    """``text`` as a reader sees it rendered: backslash escapes and entities resolved,
    emphasis, strikethrough and link markup dropped for their text, code spans and code
    blocks as their content, HTML (which shows no text of its own) left out; one line per
    paragraph line, list item, heading or table cell. With ``inline``, ``text`` is part of
    one line (a heading's title, a table cell, a field's value), where ``-`` or ``1.`` at
    the start is text, not a list."""
    tokens = _PARSER.parseInline(text) if inline else _PARSER.parse(text)
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.rstrip("\n"))
    return "\n".join(parts)


def _inline_text(children: Sequence[Token]) -> str:
    text = []
    for child in children:
        if child.type in ("text", "code_inline"):
            text.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text.append("\n")
        elif child.type == "image":
            text.append(_inline_text(child.children or []))
    return "".join(text)


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
            title = plain(match.group(2), inline=True).strip()
            found.append(Heading(len(match.group(1)), title, line.number))
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


def find_line(text: str, pattern: str) -> int | None:
    """The number of the first prose line whose rendered text matches ``pattern``."""
    regex = re.compile(pattern)
    for line in prose(text):
        if regex.search(plain(line.text, inline=True)):
            return line.number
    return None


def numbered(lines: list[Line]) -> list[Line]:
    """The items of the numbered lists among ``lines`` (``1. ...``)."""
    return [line for line in lines if _NUMBERED.match(line.text)]


def table_rows(lines: list[Line]) -> list[tuple[Line, list[str]]]:
    """Table rows (header included, separator rows left out) with their cells, rendered."""
    rows = []
    for line in lines:
        stripped = line.text.strip()
        if not stripped.startswith("|"):
            continue
        inner = stripped.removeprefix("|")
        if inner.endswith("|") and not inner.endswith("\\|"):
            inner = inner[:-1]
        cells = [cell.strip() for cell in _CELL_PIPE.split(inner)]
        if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
            continue
        rows.append((line, [plain(cell.replace("\\|", "|"), inline=True) for cell in cells]))
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
    """The value of a ``- **Name:** value`` line, rendered, and its line number."""
    pattern = re.compile(rf"^\s*[-*]\s+\*\*{re.escape(name)}:\*\*\s*(.*)$", re.IGNORECASE)
    for line in prose(text):
        match = pattern.match(line.text)
        if match:
            return plain(match.group(1), inline=True).strip(), line.number
    return None
