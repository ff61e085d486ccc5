"""HCL for the toolkit: the one entry point to python-hcl2, safe to call from any thread.

python-hcl2 (8.x) is not thread-safe: its rules serialize with a default argument
``context=SerializationContext()``, one object per method created at import and shared by
every call in the process, and the expression, function and indexing rules flip
``inside_dollar_string`` on it while they serialize their children (python-hcl2 issue
#327). Two threads serializing at once see each other's flag, and a value comes back in the
wrong form with no error: ``null`` as the string ``"null"``, ``true`` as ``"true"``, a list
as its HCL source text. Lark's parsing and the tree transformation keep their state per
call; the shared object is only in the serialization, which ``hcl2.loads`` always runs.

So every parse goes through :func:`loads`, which holds one lock of the process for the
whole ``hcl2.loads``: the parse itself is pure Python and holds the GIL, so threads gain
nothing from parsing at once anyway. Separate processes (the fleet's pool) have separate
objects and never wait on each other.
"""

from __future__ import annotations

import threading
from typing import Any

import hcl2

_LOCK = threading.Lock()


def loads(text: str) -> dict[str, Any]:
    """``text`` parsed by python-hcl2, one parse at a time in this process.

    Raises what python-hcl2 raises for text that is not HCL (lark errors of many kinds).
    """
    with _LOCK:
        return dict(hcl2.loads(text))
