"""The report as text (a table for people, coloured on a terminal), JSON and Markdown."""

from __future__ import annotations

import json

import click

from generator.readiness.model import Report, Status

STATUS_COLOURS = {Status.PASS: "green", Status.FAIL: "red", Status.NOT_APPLICABLE: "yellow"}
STATUS_LABELS = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.NOT_APPLICABLE: "n/a"}


def _verdict(report: Report) -> str:
    counts = report.counts()
    applicable = counts["pass"] + counts["fail"]
    parts = [
        f"score {report.score}/100",
        f"{counts['pass']} of {applicable} applicable checks pass",
    ]
    if counts["not_applicable"]:
        parts.append(f"{counts['not_applicable']} not applicable")
    failed_required = [r.id for r in report.required_failures]
    if failed_required:
        parts.append(f"required failing: {', '.join(failed_required)}")
    if report.score < report.min_score:
        parts.append(f"below --min-score {report.min_score}")
    return f"{'READY' if report.passed else 'NOT READY'}: {'; '.join(parts)}"


def to_text(report: Report, colour: bool = False) -> str:
    """An aligned table: check, status, required, first evidence; then the fixes."""

    def paint(text: str, **style: object) -> str:
        return click.style(text, **style) if colour else text  # type: ignore[arg-type]

    header = ("check", "status", "required")
    rows = [
        (r.id, STATUS_LABELS[r.status], "required" if r.required else "scored", r)
        for r in report.results
    ]
    widths = [
        max(len(cells[i]) for cells in [header, *(row[:3] for row in rows)]) for i in range(3)
    ]
    lines = [paint(f"readiness of {report.service}", bold=True)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  evidence")
    for check, status, required, result in rows:
        cells = [
            check.ljust(widths[0]),
            paint(status.ljust(widths[1]), fg=STATUS_COLOURS[result.status], bold=True),
            required.ljust(widths[2]),
            result.evidence[0] if result.evidence else "",
        ]
        lines.append("  ".join(cells))
    failed = [r for r in report.results if r.status is Status.FAIL]
    if failed:
        lines.append("")
        for result in failed:
            lines.append(paint(f"{result.id}:", bold=True))
            lines.extend(f"  - {line}" for line in result.evidence if line)
            if result.fix:
                lines.append(f"  fix: {result.fix}")
    lines.append("")
    verdict = _verdict(report)
    lines.append(paint(verdict, fg="green" if report.passed else "red", bold=True))
    return "\n".join(lines)


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """A Markdown table, one row per check, for a pull request comment or a wiki page."""
    icons = {Status.PASS: "pass", Status.FAIL: "**fail**", Status.NOT_APPLICABLE: "n/a"}
    lines = [
        f"## Production readiness: {_cell(report.service)}",
        "",
        f"**Score {report.score}/100**: {'ready' if report.passed else 'not ready'}.",
        "",
        "| Check | Status | Required | Evidence | Fix |",
        "|---|---|---|---|---|",
    ]
    for result in report.results:
        evidence = "<br>".join(f"`{_cell(e)}`" for e in result.evidence[:5])
        if len(result.evidence) > 5:
            evidence += f"<br>... {len(result.evidence) - 5} more"
        lines.append(
            f"| `{result.id}` | {icons[result.status]} | {'yes' if result.required else 'no'} "
            f"| {evidence} | {_cell(result.fix)} |"
        )
    lines.extend(["", _verdict(report)])
    return "\n".join(lines)


FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown}
