"""Module READMEs document every input and output exactly as the Terraform declares them."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

_MODULES_DIR = Path(__file__).resolve().parents[2] / "templates" / "terraform" / "modules"
# The modules and the submodules they ship (``<module>/modules/<name>``, e.g. the bucket).
MODULES = sorted(
    path for path in [*_MODULES_DIR.iterdir(), *_MODULES_DIR.glob("*/modules/*")] if path.is_dir()
)


def _declared(module: Path, filename: str, block: str) -> dict[str, dict[str, object]]:
    parsed = hcl2.loads((module / filename).read_text(encoding="utf-8"))
    return {name.strip('"'): body for item in parsed.get(block, []) for name, body in item.items()}


def _readme(module: Path) -> str:
    """The module's README as the template holds it (a Jinja template where it names the
    service's org); its tables are plain Markdown either way."""
    (path,) = [
        module / name for name in ("README.md", "README.md.jinja") if (module / name).is_file()
    ]
    return path.read_text(encoding="utf-8")


def _table_names(readme: str, heading: str) -> list[str]:
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(_MODULES_DIR)))
def test_every_variable_is_typed_described_and_documented(module: Path) -> None:
    variables = _declared(module, "variables.tf", "variable")
    assert variables
    for name, body in variables.items():
        assert str(body.get("description", "")).strip('"'), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"
    readme = _readme(module)
    assert sorted(_table_names(readme, "Inputs")) == sorted(variables)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(_MODULES_DIR)))
def test_every_output_is_described_and_documented(module: Path) -> None:
    outputs = _declared(module, "outputs.tf", "output")
    assert outputs
    for name, body in outputs.items():
        assert str(body.get("description", "")).strip('"'), f"output {name} has no description"
    readme = _readme(module)
    assert sorted(_table_names(readme, "Outputs")) == sorted(outputs)
