"""Rename one answer in a generated repository's answers file: a Copier migration.

    rename_answer.py ANSWERS_FILE OLD NEW

Copier runs it from the template's ``_migrations`` (see docs/upgrading.md) with the generated
repository as the working directory, before it reads the answers of an update, so the
renamed question finds the team's old answer. Comments, order and every other answer stay as
they are. Nothing to rename (the answer is already renamed, or was never given) is not an
error; an answers file that holds both names is, because only a person can tell which value
is right.

The key is renamed in the text, so every other byte stays (Copier's long-line folding
included), and the result is checked by parsing both versions with PyYAML, which Copier
always brings. A file the text rename cannot handle safely (a flow-style mapping, say) is
renamed with a ruamel.yaml round trip instead, which keeps comments and order but may
re-fold long lines; the interpreter Copier runs on may lack ruamel.yaml, and then the
migration stops with a message.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path
from typing import Any

USAGE = "usage: rename_answer.py ANSWERS_FILE OLD NEW"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class MigrationError(Exception):
    """The answers file cannot be migrated without a person deciding something."""


class _TextRenameError(Exception):
    """The key is not written in a way the text rename handles."""


def rename(text: str, old: str, new: str) -> str | None:
    """``text`` with the top-level key ``old`` renamed to ``new``; ``None`` when absent."""
    for name in (old, new):
        if not _KEY.match(name):
            raise MigrationError(f"{name!r} is not an answer name")
    try:
        return _rename_text(text, old, new)
    except _TextRenameError:
        try:
            return _rename_round_trip(text, old, new)
        except ImportError:
            raise MigrationError(
                f"could not rename {old!r} in place: rename it to {new!r} by hand"
            ) from None


def _rename_round_trip(text: str, old: str, new: str) -> str | None:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    data = yaml.load(text)
    if not _needs_rename(data, old, new):
        return None
    position = list(data).index(old)
    comment = data.ca.items.pop(old, None)
    data.insert(position, new, data.pop(old))
    if comment is not None:
        data.ca.items[new] = comment
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _rename_text(text: str, old: str, new: str) -> str | None:
    import yaml  # PyYAML, a dependency of Copier

    before = yaml.safe_load(text)
    if not _needs_rename(before, old, new):
        return None
    renamed, count = re.subn(
        rf"^(['\"]?){re.escape(old)}\1(\s*:)", rf"\g<1>{new}\g<1>\2", text, flags=re.MULTILINE
    )
    after = yaml.safe_load(renamed)
    expected = {(new if key == old else key): value for key, value in before.items()}
    if count != 1 or after != expected:
        raise _TextRenameError(old)
    return renamed


def _needs_rename(data: Any, old: str, new: str) -> bool:
    if not isinstance(data, dict):
        raise MigrationError("not a YAML mapping of answers")
    if old in data and new in data:
        raise MigrationError(
            f"holds both {old!r} and its new name {new!r}: keep one (the value under "
            f"{new!r} is used from now on), then run the update again"
        )
    return old in data


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(USAGE, file=sys.stderr)
        return 2
    answers_file, old, new = Path(argv[0]), argv[1], argv[2]
    try:
        result = rename(answers_file.read_text(encoding="utf-8"), old, new)
    except (OSError, MigrationError) as error:
        print(f"rename_answer: {answers_file}: {error}", file=sys.stderr)
        return 1
    if result is None:
        print(f"rename_answer: {answers_file}: no {old!r}; nothing to rename", file=sys.stderr)
        return 0
    answers_file.write_text(result, encoding="utf-8")
    print(f"rename_answer: {answers_file}: renamed answer {old!r} to {new!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
