"""templates/ holds what a team sees: every file there is written out in the file itself,
not one call into includes/ (README, "Layout"). includes/ keeps what several files share."""

from __future__ import annotations

import re

from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
# Jinja comments, statements ({% ... %}) and expressions ({{ ... }}), across lines.
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


def test_every_template_file_has_text_of_its_own() -> None:
    """A file whose text is nothing but imports and calls hides what the team gets."""
    calls_only = []
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        text = path.read_text(encoding="utf-8")
        if not JINJA.sub("", text).strip():
            calls_only.append(str(path.relative_to(ROOT)))
    assert not calls_only, calls_only
