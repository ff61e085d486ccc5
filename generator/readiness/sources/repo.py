"""Reading a generated repository as it is now: answers, YAML with line numbers, HCL, text, and
the chart rendered per environment.

Every file is read once per run. A file that is missing is a finding for the check that
wanted it; a file that exists but cannot be read or parsed stops the run with a
:class:`~generator.errors.RepositoryError` naming the file and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from generator import hcl
from generator.answers import ANSWERS_FILE, read_answers
from generator.errors import AnswersError, RepositoryError
from generator.policy import Policy, load_policy
from generator.validators.base import Context
from generator.validators.helm import (
    NO_HELM,
    RenderError,
    Target,
    charts,
    helm_available,
    rendered,
)
from generator.validators.kubernetes import Manifest

# --- line numbers of round-trip YAML nodes ----------------------------------------------


def key_line(node: Any, key: Any) -> int | None:
    """The 1-based line of ``key`` in a mapping loaded by the round-trip loader."""
    if isinstance(node, CommentedMap) and key in node:
        try:
            return int(node.lc.key(key)[0]) + 1
        except (KeyError, TypeError):
            return node_line(node)
    return None


def item_line(node: Any, index: int) -> int | None:
    """The 1-based line of item ``index`` of a sequence loaded by the round-trip loader."""
    if isinstance(node, CommentedSeq) and 0 <= index < len(node):
        try:
            return int(node.lc.item(index)[0]) + 1
        except (KeyError, TypeError):
            return node_line(node)
    return None


def node_line(node: Any) -> int | None:
    """The 1-based line where a mapping or sequence starts."""
    if isinstance(node, CommentedMap | CommentedSeq):
        return int(node.lc.line) + 1
    return None


def dig(node: Any, *path: Any) -> Any:
    """``node[p0][p1]...``, or ``None`` as soon as a step is missing."""
    for part in path:
        found_in_dict = isinstance(node, dict) and part in node
        found_in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if found_in_dict or found_in_list:
            node = node[part]
        else:
            return None
    return node


# --- parsing -------------------------------------------------------------------------
# The same text parses to the same tree: a fleet of services generated from one template
# shares most of its files, so each distinct text is parsed once per process. The trees are
# only read, never changed.


@lru_cache(maxsize=512)
def _parse_yaml(text: str) -> Any:
    return YAML(typ="rt", pure=True).load(text)


@lru_cache(maxsize=256)
def _parse_hcl(text: str) -> dict[str, Any]:
    return hcl.loads(text)


# --- the repository -------------------------------------------------------------------


class ChartUnavailableError(Exception):
    """The chart's manifests cannot be had: no chart, no values file, no in-process Helm."""


class Repo:
    """A generated service repository, read lazily and once."""

    def __init__(self, root: Path, policy: Policy | None = None) -> None:
        # The standards the repository is held to: its template's policy (the toolkit's
        # own unless named).
        self.policy = policy if policy is not None else load_policy()
        if not root.exists():
            raise RepositoryError(f"{root}: no such directory")
        if not root.is_dir():
            raise RepositoryError(f"{root}: not a directory")
        self.root = root
        answers_path = root / ANSWERS_FILE
        if not answers_path.is_file():
            raise RepositoryError(
                f"{root}: not a generated repository (no {ANSWERS_FILE}; "
                "render one with `copier copy` or `paved new`)"
            )
        self._yaml: dict[str, Any] = {}
        self._hcl: dict[str, dict[str, Any]] = {}
        self._text: dict[str, str | None] = {}
        self._manifests: dict[str, list[Manifest] | ChartUnavailableError] = {}
        self._context = Context(root)
        try:
            answers = read_answers(root, lines=True)
        except AnswersError as error:
            raise RepositoryError(str(error)) from error
        if not answers.data.get("service_name"):
            raise RepositoryError(f"{ANSWERS_FILE}: no service_name: not an answers file")
        if answers.get("tier") not in (1, 2, 3):
            raise RepositoryError(
                f"{ANSWERS_FILE}:{answers.line('tier')}: tier {answers.data.get('tier')!r} is "
                "not 1, 2 or 3"
            )
        self.answers = answers

    # -- files --

    def path(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def glob(self, pattern: str) -> list[str]:
        """Repo-relative paths of the files matching ``pattern``, sorted."""
        return sorted(
            p.relative_to(self.root).as_posix() for p in self.root.glob(pattern) if p.is_file()
        )

    def text(self, rel: str) -> str | None:
        """The file's text, ``None`` when it does not exist."""
        if rel not in self._text:
            path = self.root / rel
            if not path.is_file():
                self._text[rel] = None
            else:
                try:
                    self._text[rel] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    raise RepositoryError(f"{rel}: cannot be read: {error}") from error
        return self._text[rel]

    def lines(self, rel: str) -> list[str]:
        return (self.text(rel) or "").splitlines()

    def yaml(self, rel: str) -> Any:
        """The file as round-trip YAML (with line numbers), ``None`` when it does not exist."""
        if rel not in self._yaml:
            text = self.text(rel)
            if text is None:
                self._yaml[rel] = None
            else:
                try:
                    self._yaml[rel] = _parse_yaml(text)
                except YAMLError as error:
                    reason = " ".join(str(error).split())
                    raise RepositoryError(f"{rel}: invalid YAML: {reason}") from error
        return self._yaml[rel]

    def hcl(self, rel: str) -> dict[str, Any] | None:
        """The file parsed by python-hcl2, ``None`` when it does not exist."""
        if rel not in self._hcl:
            text = self.text(rel)
            if text is None:
                return None
            try:
                self._hcl[rel] = _parse_hcl(text)
            except Exception as error:  # python-hcl2 raises lark errors of many kinds
                reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise RepositoryError(
                    f"{rel}: invalid HCL: {reason or type(error).__name__}"
                ) from error
        return self._hcl[rel]

    def find_line(
        self, rel: str, pattern: str, start: int = 1, end: int | None = None
    ) -> int | None:
        """The first 1-based line in [start, end] matching the regular expression."""
        regex = re.compile(pattern)
        for number, line in enumerate(self.lines(rel), start=1):
            if number < start or (end is not None and number > end):
                continue
            if regex.search(line):
                return number
        return None

    def find_lines(self, rel: str, pattern: str) -> Iterator[tuple[int, re.Match[str]]]:
        regex = re.compile(pattern)
        for number, line in enumerate(self.lines(rel), start=1):
            for match in regex.finditer(line):
                yield number, match

    # -- the chart --

    @cached_property
    def chart(self) -> Path | None:
        """The service's chart: ``helm/<service_name>/``, else the only chart there is."""
        found = charts(self.root)
        for chart in found:
            if chart.name == self.answers.service:
                return chart
        return found[0] if len(found) == 1 else None

    @property
    def chart_rel(self) -> str:
        chart = self.chart
        return chart.relative_to(self.root).as_posix() if chart else f"helm/{self.answers.service}"

    def values_rel(self, environment: str) -> str:
        return f"{self.chart_rel}/values-{environment}.yaml"

    def chart_environments(self) -> list[str]:
        chart = self.chart
        if chart is None:
            return []
        return sorted(p.stem.removeprefix("values-") for p in chart.glob("values-*.yaml"))

    def manifests(self, environment: str) -> list[Manifest]:
        """The chart rendered with ``values-<environment>.yaml``, as the deploy renders it.

        Raises :class:`ChartUnavailableError` (with the reason) when there is nothing to render.
        """
        if environment not in self._manifests:
            self._manifests[environment] = self._render(environment)
        result = self._manifests[environment]
        if isinstance(result, ChartUnavailableError):
            raise result
        return result

    def _render(self, environment: str) -> list[Manifest] | ChartUnavailableError:
        chart = self.chart
        if chart is None:
            return ChartUnavailableError(f"no chart helm/{self.answers.service}/Chart.yaml")
        values = self.values_rel(environment)
        if not self.exists(values):
            return ChartUnavailableError(f"{values} missing")
        # Parse first: an invalid values file is a usage error naming the file.
        self.yaml(values)
        self.yaml(f"{self.chart_rel}/values.yaml")
        if not helm_available():
            return ChartUnavailableError(f"cannot render the chart: {NO_HELM}")
        try:
            return rendered(self._context, Target(chart, environment))
        except RenderError as error:
            return ChartUnavailableError(f"does not render: {error}")

    def values_line(self, environment: str, *path: str) -> tuple[str, int | None]:
        """Where a chart value is set: ``values-<env>.yaml`` if it sets it, else values.yaml."""
        for rel in (self.values_rel(environment), f"{self.chart_rel}/values.yaml"):
            data = self.yaml(rel) if self.exists(rel) else None
            node = dig(data, *path[:-1]) if path[:-1] else data
            if isinstance(node, dict) and path[-1] in node:
                return rel, key_line(node, path[-1])
        return self.values_rel(environment), None

    def template_line(self, source: str, needle: str) -> tuple[str, int | None]:
        """A rendered manifest's template file (``<chart>/templates/x.yaml``) and the first
        line mentioning ``needle``."""
        rel = f"{self.chart_rel}/{source.split('/', 1)[1]}" if "/" in source else source
        line = self.find_line(rel, re.escape(needle)) if self.exists(rel) else None
        return rel, line
