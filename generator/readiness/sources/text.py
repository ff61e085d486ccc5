"""Small readers of values in text: words, numbers, lines."""

from __future__ import annotations

import math
import re
from typing import Any


def _word(text: str, word: str) -> bool:
    """``word`` in ``text`` as a whole word (case-insensitive; hyphens bind)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _line(where: str) -> int | None:
    _, _, line = where.rpartition(":")
    return int(line) if line.isdigit() else None
