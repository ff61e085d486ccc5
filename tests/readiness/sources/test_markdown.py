"""Markdown as a reader sees it rendered: headings, sections, numbered lists, tables and
fields, outside code blocks."""

from __future__ import annotations

import pytest

from generator.readiness.sources import markdown


def test_sections_skip_code_blocks() -> None:
    text = (
        "# Title\n\n## Escalation path\n\n1. Team\n2. Manager\n```\n## Not a heading\n3. no\n"
        "```\n## Next\n\n- **RTO:** 60 minutes\n"
    )
    found = markdown.section(text, 2, "escalation path")
    assert found is not None
    heading, lines = found
    assert heading.line == 3
    assert [line.text for line in markdown.numbered(lines)] == ["1. Team", "2. Manager"]
    assert markdown.field_line(text, "RTO") == ("60 minutes", 13)
    assert [h.title for h in markdown.headings(text)] == ["Title", "Escalation path", "Next"]


def test_tables_are_runs_of_rows() -> None:
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| c |\n|---|\n| 3 |\n"
    tables = markdown.tables(markdown.prose(text))
    assert [[cells for _, cells in table] for table in tables] == [
        [["a", "b"], ["1", "2"]],
        [["c"], ["3"]],
    ]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("#fulfilment\\_alerts", "#fulfilment_alerts"),
        ("**Email:** fulfil\\_ment+ops%eu@acme.example", "Email: fulfil_ment+ops%eu@acme.example"),
        ("policy `P_FULFIL_1` and `a\\_b`", "policy P_FULFIL_1 and a\\_b"),
        ("_em_ *em* ~~gone~~ \\* \\` \\$x\\$ \\~ \\[x\\] \\<b\\>", "em em gone * ` $x$ ~ [x] <b>"),
        (
            "&amp; &#95; [the channel](https://x) ![alt *text*](i.png) <b>bold</b>",
            "& _ the channel alt text bold",
        ),
        (
            "- **Slack:** #a\\_b\n- **SRE:** sre\n\nwrapped\nline",
            "Slack: #a_b\nSRE: sre\nwrapped\nline",
        ),
        ("| a \\| b | `c` |\n|---|---|\n| 1 | 2 |", "a | b\nc\n1\n2"),
        ("```\nP\\_1\n```", "P\\_1"),
    ],
)
def test_plain_is_the_text_a_reader_sees(source: str, shown: str) -> None:
    assert markdown.plain(source) == shown


def test_plain_inline_keeps_block_markers_as_text() -> None:
    assert markdown.plain("1. first \\_ - item", inline=True) == "1. first _ - item"
    assert markdown.plain("1. first", inline=False) == "first"


def test_readers_return_rendered_text() -> None:
    text = (
        "## **Escalation** path\n\n- **RTO:** **60** minutes\n\n"
        "| **On\\-call** | `a \\| b` | c \\| d |\n|---|---|---|\n"
    )
    assert [h.title for h in markdown.headings(text)] == ["Escalation path"]
    assert markdown.field_line(text, "RTO") == ("60 minutes", 3)
    (table,) = markdown.tables(markdown.prose(text))
    assert [cells for _, cells in table] == [["On-call", "a | b", "c | d"]]
    assert markdown.find_line(text, r"^On-call$") is None
    assert markdown.find_line(text, r"\bOn-call\b") == 5
