"""HCL parsing from several threads gives what one parse at a time gives (generator.hcl)."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator import hcl
from tests.conftest import ROOT


def _canonical(text: str) -> str:
    return json.dumps(hcl.loads(text), sort_keys=True, default=str)


def test_threads_parse_terraform_as_one_parse_at_a_time_does(
    rendered_examples: dict[str, Path],
) -> None:
    # python-hcl2 shares one serialization context between all its calls: parsed in threads
    # without generator.hcl's lock, most of these come back with `null`, `true` or lists as
    # strings (130 to 190 of these 230 on a 2-core machine).
    files = sorted((rendered_examples["payments-api"] / "terraform").rglob("*.tf"))
    assert len(files) > 10
    texts = [path.read_text(encoding="utf-8") for path in files] * 10
    alone = [_canonical(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(_canonical, texts))
    pairs = enumerate(zip(alone, together, strict=True))
    differ = [str(files[i % len(files)]) for i, (a, b) in pairs if a != b]
    assert not differ, f"{len(differ)} of {len(texts)} threaded parses differ: {differ[:3]}"


def test_every_hcl_parse_of_the_toolkit_goes_through_the_lock() -> None:
    imports = re.compile(r"^\s*(import hcl2|from hcl2[ .])", re.MULTILINE)
    direct = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "generator").rglob("*.py"))
        if path.name != "hcl.py" and imports.search(path.read_text(encoding="utf-8"))
    ]
    assert direct == [], "parse HCL with generator.hcl.loads, not python-hcl2 directly"
