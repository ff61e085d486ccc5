"""Two copies of the same answers are byte-identical."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES, Render


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_answers_render_identical_bytes(render: Render) -> None:
    answers = EXAMPLES / "payments-api.yml"
    first, second = render(answers, "first"), render(answers, "second")
    first_files, second_files = _files(first), _files(second)
    assert sorted(first_files) == sorted(second_files)
    different = [name for name in first_files if first_files[name] != second_files[name]]
    assert different == []
    assert len(first_files) > 10
