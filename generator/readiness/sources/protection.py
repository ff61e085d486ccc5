"""Environment protection as code: who approves a deploy, as ``ci/protect_environments.py``
says and as the ownership model wants it.

The script is read, never run: its ``APPROVERS`` mapping (environment -> approver team
slugs) and ``ENVIRONMENTS`` list are taken from the parsed source with :mod:`ast`, so a
team's edit is seen as written (reordered, reformatted or commented) and anything that is
not a literal is reported instead of guessed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from generator.answers import Answers
from generator.readiness.sources.ci import GITHUB_WORKFLOWS, Job
from generator.readiness.sources.repo import Repo

SCRIPT = "ci/protect_environments.py"
# Where the template puts the job that applies the script, per CI provider.
APPLY_FILES = {
    "github": f"{GITHUB_WORKFLOWS}/protect-environments.yml",
    "gitlab": "ci/gitlab/protect-environments.yml",
}

# A command that runs the script (``python3 ci/protect_environments.py``, optionally after
# variable assignments or ``&&``), not a comment, an echo or a ``--dry-run``.
_APPLY = re.compile(
    r"(?:^|&&|;|\|\|)[ \t]*(?:[A-Za-z_]\w*=\S*[ \t]+)*(?:python3?[ \t]+)?(?:\./)?"
    + re.escape(SCRIPT)
    + r"\b(?![^\n]*--dry-run)",
    re.MULTILINE,
)


def prod_approvers(answers: Answers) -> list[str]:
    """The teams that approve a prod deploy under the answered ownership model: the service
    team (dev_only, platform), the team or SRE (shared), SRE only (sre_only). The template
    renders the same rule from includes/approvals.jinja."""
    team, sre = answers.team, answers.sre_team
    by_model = {
        "dev_only": [team],
        "shared": [team, sre],
        "platform": [team],
        "sre_only": [sre],
    }
    return list(dict.fromkeys(by_model.get(answers.ownership_model, [team])))


def rule_text(answers: Answers) -> str:
    """How the ownership model's prod approval reads in a finding."""
    approvers = prod_approvers(answers)
    if answers.ownership_model == "sre_only":
        return f"{approvers[0]} only"
    if len(approvers) > 1:
        return f"{' or '.join(approvers)} (either one approves)"
    return approvers[0]


@dataclass(frozen=True)
class Entry:
    """One environment's approvers in the script, and the line of its key."""

    teams: tuple[str, ...]
    line: int


@dataclass
class Protection:
    """What ``ci/protect_environments.py`` sets, or why it cannot be told."""

    approvers: dict[str, Entry] = field(default_factory=dict)
    approvers_line: int | None = None
    # Every environment APPROVERS names, literal value or not.
    named: set[str] = field(default_factory=set)
    environments: tuple[str, ...] | None = None
    environments_line: int | None = None
    # (line, what is wrong) for what cannot be read; empty when everything could.
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """The module's top-level ``NAME = value`` and ``NAME: type = value``, last one wins."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            found[node.target.id] = node.value
    return found


def _strings(node: ast.expr) -> tuple[str, ...] | None:
    """A literal list or tuple of strings, else ``None``."""
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    items = [e.value for e in node.elts if isinstance(e, ast.Constant)]
    if len(items) != len(node.elts) or not all(isinstance(i, str) for i in items):
        return None
    return tuple(str(i) for i in items)


def read(repo: Repo) -> Protection | None:
    """The script's protection rules; ``None`` when the script does not exist."""
    text = repo.text(SCRIPT)
    if text is None:
        return None
    found = Protection()
    try:
        tree = ast.parse(text, filename=SCRIPT)
    except SyntaxError as error:
        found.problems.append((error.lineno, f"does not parse as Python: {error.msg}"))
        return found
    values = _assignments(tree)
    mapping = values.get("APPROVERS")
    if mapping is None:
        found.problems.append((None, "no top-level APPROVERS mapping: who approves is unknown"))
    elif not isinstance(mapping, ast.Dict):
        found.problems.append(
            (mapping.lineno, "APPROVERS is not a literal mapping: who approves cannot be told")
        )
    else:
        found.approvers_line = mapping.lineno
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            teams = _strings(value)
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                line = key.lineno if key is not None else value.lineno
                found.problems.append((line, "APPROVERS has a key that is not an environment name"))
            elif teams is None:
                found.named.add(key.value)
                found.problems.append(
                    (key.lineno, f"APPROVERS[{key.value!r}] is not a literal list of team slugs")
                )
            else:
                found.named.add(key.value)
                found.approvers[key.value] = Entry(teams, key.lineno)
    environments = values.get("ENVIRONMENTS")
    if environments is not None:
        found.environments = _strings(environments)
        found.environments_line = environments.lineno
    return found


def applies(job: Job) -> bool:
    """Whether the job runs the script for real (not ``--dry-run``), in its own commands or in
    a script it calls."""
    texts = [job.commands, *(t for path, t in job.script_texts.items() if path != SCRIPT)]
    return any(_APPLY.search(_without_comments(text)) for text in texts)


def _without_comments(text: str) -> str:
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())
