"""The shared macros of includes/, rendered through Copier exactly as the templates use them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import pytest
from markdown_it import MarkdownIt
from ruamel.yaml import YAML

from tests.conftest import copy_template, require_tool

HOSTILE = [
    "Bridges WMS ↔ carrier: {{ x }}, 'q', \"dq\", back\\slash, ${HOME}, 100%",
    "%{ if true }directive%{ endif } and $${escaped} and ${var.x}",
    "# not a heading *bold* _em_ [link](http://x) <b>html</b> &amp; | a | b | ~~s~~ `code` $x$",
    "null",
    "yes: no",
    "- item > quote --- !!python/object:os.system &anchor *alias @at",
    "🚀 café naïve 日本語 \\n not a newline \\u0041",
    "{% raw %}{{ .Values.image }}{% endraw %} {# comment #}",
    "1. not a list item",
    "    four leading spaces and a trailing one ",
    "--- a thematic break?",
]

Snippet = Callable[[str, dict[str, Any]], str]


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Snippet:
    """Render a one-file template that imports includes/ macros, through Copier."""
    root = Path(__file__).resolve().parents[2]
    counter = iter(range(10_000))

    def _render(source: str, data: dict[str, Any]) -> str:
        template = tmp_path_factory.mktemp("snippet")
        shutil.copytree(root / "includes", template / "includes")
        shutil.copy2(root / "policy.yml", template / "policy.yml")
        types = {str: "str", int: "int"}
        questions = "\n".join(
            f"{key}:\n  type: {types.get(type(v), 'yaml')}" for key, v in data.items()
        )
        (template / "copier.yml").write_text(f"_subdirectory: out\n{questions}\n")
        (template / "out").mkdir()
        (template / "out" / "result.txt.jinja").write_text(source)
        destination = tmp_path_factory.mktemp("snippet-out") / str(next(counter))
        copy_template(template, destination, data)
        return (destination / "result.txt").read_text(encoding="utf-8")

    return _render


@pytest.mark.parametrize("text", HOSTILE)
def test_hcl_string_round_trips(snippet: Snippet, text: str) -> None:
    out = snippet(
        "{% from 'includes/escape.jinja' import hcl %}value = {{ hcl(v) }}\n", {"v": text}
    )
    parsed = hcl2.loads(out)
    # python-hcl2 keeps the HCL source form of a string: quoted, interpolation escapes doubled.
    source_form = parsed["value"]
    assert source_form.startswith('"')
    assert source_form.endswith('"')
    assert "${" not in source_form.replace("$${", "")
    assert "%{" not in source_form.replace("%%{", "")
    decoded = json.loads(source_form.replace("$${", "${").replace("%%{", "%{"))
    assert decoded == text


@pytest.mark.parametrize("text", HOSTILE)
def test_yaml_scalar_round_trips(snippet: Snippet, text: str) -> None:
    out = snippet("{% from 'includes/escape.jinja' import yaml %}key: {{ yaml(v) }}\n", {"v": text})
    assert YAML(typ="safe", pure=True).load(out) == {"key": text}


@pytest.mark.parametrize("text", HOSTILE)
def test_json_string_round_trips(snippet: Snippet, text: str) -> None:
    out = snippet(
        "{% from 'includes/escape.jinja' import json %}{\"key\": {{ json(v) }}}\n", {"v": text}
    )
    assert json.loads(out) == {"key": text}


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_is_literal(snippet: Snippet, text: str) -> None:
    out = snippet(
        "{% from 'includes/escape.jinja' import md %}Description: {{ md(v) }}\n", {"v": text}
    )
    tokens = (
        MarkdownIt("commonmark").enable("table").enable("strikethrough").parseInline(out.strip())
    )
    children = tokens[0].children or []
    assert [child.type for child in children] == ["text"], out
    assert children[0].content == f"Description: {text}".strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_paragraph_stays_a_paragraph(snippet: Snippet, text: str) -> None:
    out = snippet(
        "# Title\n\n{% from 'includes/escape.jinja' import md_paragraph %}{{ md_paragraph(v) }}\n",
        {"v": text},
    )
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(out)
    assert [t.type for t in tokens] == [
        "heading_open",
        "inline",
        "heading_close",
        "paragraph_open",
        "inline",
        "paragraph_close",
    ], out
    assert [child.type for child in tokens[4].children or []] == ["text"], out
    children = tokens[4].children or []
    assert children[0].content == text.strip()


def test_aws_tags_render_the_contract_in_fmt_alignment(snippet: Snippet) -> None:
    data = {
        "service_name": "orders-api",
        "team": "orders",
        "cost_center": "cc-1",
        "tier": 1,
        "data_classification": "restricted",
        "ownership_model": "sre_only",
        "repository": "acme/orders-api",
    }
    out = snippet(
        "{% from 'includes/tags.jinja' import aws_tags with context %}"
        "tags = {\n{{- aws_tags('prod', 2) }}\n}\n",
        data,
    )
    tags = {key.strip('"'): value.strip('"') for key, value in hcl2.loads(out)["tags"].items()}
    assert tags == {
        "service": "orders-api",
        "environment": "prod",
        "team": "orders",
        "cost-center": "cc-1",
        "tier": "1",
        "data-classification": "restricted",
        "ownership-model": "sre-only",
        "repository": "acme/orders-api",
        "managed-by": "terraform",
    }
    equals_columns = {line.index("=") for line in out.splitlines()[1:-1]}
    assert len(equals_columns) == 1, "terraform fmt aligns the = of consecutive attributes"


@pytest.mark.parametrize(
    ("call", "expected_error"),
    [
        ("slug('ok-slug', 63)", ""),
        ("slug('Not-Slug', 63)", "lowercase slug"),
        ("slug('a--b', 63)", 'contains "--"'),
        ("slug('x' * 64, 63)", "at most 63"),
        ("aws_region('eu-west-1')", ""),
        ("aws_region('us-gov-west-1')", ""),
        ("aws_region('eu-west')", "AWS region"),
        ("number_range(99.9, 90, 100, false)", ""),
        ("number_range(100, 90, 100, false)", "90 <= value < 100"),
        ("number_range(true, 0, 1)", "not a number"),
        ("number_range(8080, 1024, 65535, integer=true)", ""),
        ("number_range(80.5, 1, 65535, integer=true)", "whole number"),
        ("printable('ok ↔ {{ x }}')", ""),
        ("printable('tab\\there')", "printable"),
        ("metric_name('http_requests_total')", ""),
        ("metric_name('http-requests')", "Prometheus metric name"),
        ("pattern('abc\\n', '[a-z]+', 'letters')", "printable"),
    ],
)
def test_rules(snippet: Snippet, call: str, expected_error: str) -> None:
    name = call.split("(")[0]
    out = snippet(
        f"{{% from 'includes/rules.jinja' import {name} %}}[{{{{ {call} }}}}]", {"unused": 0}
    )
    message = out.strip()[1:-1]
    if expected_error:
        assert expected_error in message
    else:
        assert message == ""


def test_hcl_strings_mean_the_literal_text_to_terraform(snippet: Snippet, tmp_path: Path) -> None:
    """Terraform itself reads each escaped answer back as the exact original text."""
    import subprocess

    terraform = require_tool("terraform")
    body = "".join(f"{{{{ hcl(v{i}) }}}},\n" for i in range(len(HOSTILE)))
    out = snippet(
        "{% from 'includes/escape.jinja' import hcl %}locals {\n  values = [\n" + body + "  ]\n}\n",
        {f"v{i}": text for i, text in enumerate(HOSTILE)},
    )
    (tmp_path / "main.tf").write_text(out, encoding="utf-8")
    done = subprocess.run(
        [terraform, "console"],
        input="jsonencode(local.values)\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(json.loads(done.stdout.strip())) == HOSTILE
