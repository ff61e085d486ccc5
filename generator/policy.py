"""The platform's standards: the template's ``policy.yml``, read by the toolkit.

The same file the templates read at copy time (``includes/policy.jinja``): the org profile,
the tier table, pod sizes, environment sizing and SLO alerting. Readiness holds a repository
to the policy of the template it was rendered from; the toolkit's own copy (the template
this package was built from, which is the release a repository's CI installs) is the
default, ``--template`` names another.

Every value keeps the line it was read from (:attr:`Policy.sources`), so ``paved policy
show`` can say where to change it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from generator.errors import PavedError

POLICY_FILE = "policy.yml"
TIERS = (1, 2, 3)
# How a datastore's data is backed up (policy.yml: datastores.<name>.backup); readiness
# checks each kind in prod.
BACKUP_KINDS = ("rds_automated_backups", "versioning", "none")
# copier.yml's dr_strategy choices.
DR_STRATEGIES = ("backup_restore", "pilot_light", "warm_standby", "active_active")


class PolicyError(PavedError):
    """The policy file is missing, does not parse, or breaks a rule of its shape."""

    exit_code = 2


@dataclass(frozen=True)
class Tier:
    """What a tier decides: one row of the tier table, named as in ``policy.yml``."""

    prod_min_replicas: int
    prod_max_replicas: int
    zone_spread: bool
    pages: bool
    escalate_after_minutes: int
    sre_last_level: bool
    sla: bool
    readiness_min_score: int
    slo_availability: float
    rto_minutes: int
    rpo_minutes: int
    dr_strategy: str
    rds_backup_days: int
    rds_multi_az: bool
    rds_deletion_protection: bool
    dr_copies: bool
    s3_noncurrent_version_days: int
    budget_usd: int
    sqs_message_age_alarm_seconds: int


# The rule each tier value keeps, as (check, what the rule says).
_RULES: dict[str, tuple[Any, str]] = {
    "prod_min_replicas": (lambda v: _whole(v) and v >= 1, "a whole number >= 1"),
    "prod_max_replicas": (lambda v: _whole(v) and v >= 1, "a whole number >= 1"),
    "zone_spread": (lambda v: isinstance(v, bool), "true or false"),
    "pages": (lambda v: isinstance(v, bool), "true or false"),
    "escalate_after_minutes": (lambda v: _whole(v) and v >= 1, "a whole number of minutes >= 1"),
    "sre_last_level": (lambda v: isinstance(v, bool), "true or false"),
    "sla": (lambda v: isinstance(v, bool), "true or false"),
    "dr_strategy": (
        lambda v: v in DR_STRATEGIES,
        "one of " + ", ".join(DR_STRATEGIES),
    ),
    "readiness_min_score": (lambda v: _whole(v) and 0 <= v <= 100, "a whole number 0-100"),
    "slo_availability": (lambda v: _number(v) and 90 <= v < 100, "a percentage, 90 <= x < 100"),
    "rto_minutes": (lambda v: _whole(v) and v >= 1, "a whole number of minutes >= 1"),
    "rpo_minutes": (lambda v: _whole(v) and v >= 1, "a whole number of minutes >= 1"),
    "rds_backup_days": (lambda v: _whole(v) and 1 <= v <= 35, "a whole number 1-35 (RDS' range)"),
    "rds_multi_az": (lambda v: isinstance(v, bool), "true or false"),
    "rds_deletion_protection": (lambda v: isinstance(v, bool), "true or false"),
    "dr_copies": (lambda v: isinstance(v, bool), "true or false"),
    "s3_noncurrent_version_days": (lambda v: _whole(v) and v >= 1, "a whole number >= 1"),
    "budget_usd": (lambda v: _whole(v) and v >= 1, "a whole number of USD >= 1"),
    "sqs_message_age_alarm_seconds": (lambda v: _whole(v) and v >= 60, "a whole number >= 60"),
}
_ORG_KEYS = (
    "slug",
    "domain",
    "sre_team",
    "platform_team",
    "sre_slack_channel",
    "ownership_model",
    "oncall_provider",
    "ci_provider",
    "aws_region",
    "git_hosts",
    "cluster_name",
    "state_bucket",
)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Policy:
    """A template's policy file, checked and with the line of every value."""

    path: Path
    data: dict[str, Any]
    tiers: dict[int, Tier]
    sources: dict[str, int]

    @property
    def org(self) -> dict[str, Any]:
        org: dict[str, Any] = self.data["org"]
        return org

    @property
    def datastores(self) -> dict[str, dict[str, Any]]:
        datastores: dict[str, dict[str, Any]] = self.data["datastores"]
        return datastores

    @property
    def slo(self) -> dict[str, Any]:
        slo: dict[str, Any] = self.data["slo"]
        return slo

    def tier(self, tier: int) -> Tier:
        return self.tiers[tier]

    def _rates(self, alert: str) -> list[float]:
        return [float(pair["rate"]) for pair in self.slo["burn_windows"] if pair["alert"] == alert]

    def fast_burn_rate(self) -> float:
        """The fastest burn rate that pages (the 1h/5m pair of the shipped table)."""
        return max(self._rates("fast"))

    def slow_burn_rate(self) -> float:
        """The slowest burn rate that opens a ticket (the 3d/6h pair of the shipped table)."""
        return min(self._rates("slow"))


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is under it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def bundled_template() -> Path:
    """The template this toolkit was built from: the checkout it runs from, or the copy of
    ``policy.yml`` packaged beside the code (see pyproject.toml)."""
    here = Path(__file__).resolve().parent
    if (here / POLICY_FILE).is_file():
        return here
    return here.parent


def policy_path(template: Path | None = None) -> Path:
    """Where the policy of ``template`` (a template directory) lives; the toolkit's own
    when ``template`` is ``None``."""
    return (template if template is not None else bundled_template()) / POLICY_FILE


def load_policy(template: Path | None = None) -> Policy:
    """The checked policy of ``template`` (see :func:`policy_path`)."""
    path = policy_path(template).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            f"{path}: no such file; a template's standards live in {POLICY_FILE} at its root"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot be read: {error}") from error
    return _load(path, text)


@lru_cache(maxsize=16)
def _load(path: Path, text: str) -> Policy:
    """The policy ``text`` read from ``path`` (parsed once per distinct text)."""
    try:
        tree = YAML(typ="rt", pure=True).load(text)
    except YAMLError as error:
        raise PolicyError(f"{path}: not YAML: {error}".replace("\n", " ")) from error
    if not isinstance(tree, CommentedMap):
        raise PolicyError(f"{path}: not a mapping; the rule is the sections org, tiers, slo, ...")
    sources: dict[str, int] = {}
    _lines(tree, "", sources)
    where = _Where(path, sources)
    for section in ("org", "tiers", "pod_sizes", "environments", "datastores", "slo"):
        if not isinstance(tree.get(section), dict):
            raise PolicyError(f"{where(section)}: `{section}` is missing or not a mapping")
    for key in _ORG_KEYS:
        if key not in tree["org"]:
            raise PolicyError(f"{where('org')}: org.{key} is missing")
    tiers: dict[int, Tier] = {}
    for tier in TIERS:
        row = tree["tiers"].get(tier)
        if not isinstance(row, dict):
            raise PolicyError(f"{where('tiers')}: tiers.{tier} is missing or not a mapping")
        values = {}
        for field in fields(Tier):
            key = f"tiers.{tier}.{field.name}"
            if field.name not in row:
                raise PolicyError(f"{where(f'tiers.{tier}')}: {key} is missing")
            check, rule = _RULES[field.name]
            if not check(row[field.name]):
                raise PolicyError(f"{where(key)}: {key} is {row[field.name]!r}; the rule is {rule}")
            values[field.name] = row[field.name]
        tiers[tier] = Tier(**values)
        if tiers[tier].prod_max_replicas < tiers[tier].prod_min_replicas:
            key = f"tiers.{tier}.prod_max_replicas"
            raise PolicyError(
                f"{where(key)}: {key} is below tiers.{tier}.prod_min_replicas; the rule is "
                "a ceiling at or above the floor"
            )
    for name, store in tree["datastores"].items():
        _check_datastore(str(name), store, where)
    unknown = sorted(set(tree["tiers"]) - set(TIERS), key=str)
    if unknown:
        raise PolicyError(f"{where('tiers')}: tiers {unknown} are not 1, 2 or 3")
    return Policy(path, _plain(tree), tiers, sources)


_DATASTORE_RULES: dict[str, tuple[Any, str]] = {
    "title": (lambda v: isinstance(v, str) and v != "", "a name in prose"),
    "runbook": (lambda v: isinstance(v, str) and v != "", "what its runbook covers"),
    "runbook_covers_replica": (lambda v: isinstance(v, bool), "true or false"),
    "aws_api": (lambda v: v is None or (isinstance(v, str) and v != ""), "an API name or null"),
    "backup": (lambda v: v in BACKUP_KINDS, "one of " + ", ".join(BACKUP_KINDS)),
    "dr_copy": (lambda v: isinstance(v, bool), "true or false"),
}


def _check_datastore(name: str, store: Any, where: _Where) -> None:
    key = f"datastores.{name}"
    if not isinstance(store, dict):
        raise PolicyError(f"{where(key)}: {key} is not a mapping")
    for field, (check, rule) in _DATASTORE_RULES.items():
        if field not in store:
            raise PolicyError(f"{where(key)}: {key}.{field} is missing")
        if not check(store[field]):
            raise PolicyError(
                f"{where(f'{key}.{field}')}: {key}.{field} is {store[field]!r}; the rule is {rule}"
            )


class _Where:
    def __init__(self, path: Path, sources: dict[str, int]) -> None:
        self.path, self.sources = path, sources

    def __call__(self, key: str) -> str:
        while key and key not in self.sources:
            key = key.rpartition(".")[0]
        return f"{self.path}:{self.sources[key]}" if key else str(self.path)


def _lines(node: Any, prefix: str, sources: dict[str, int]) -> None:
    """The 1-based line of every key and list item under ``node``, by dotted path."""
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            line = node.lc.key(key)[0] + 1
            sources[dotted] = line
            _lines(value, f"{dotted}.", sources)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            dotted = f"{prefix}{index}"
            sources[dotted] = node.lc.item(index)[0] + 1
            _lines(value, f"{dotted}.", sources)


def _plain(node: Any) -> Any:
    """ruamel's round-trip tree as plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


# --- `paved policy show` -----------------------------------------------------------------

# What `show` lists per tier, in the order of the table.
SHOWN_SECTIONS = ("org", "tiers", "pod_sizes", "environments", "datastores", "slo")


def to_json(policy: Policy) -> str:
    """The effective policy with the ``path:line`` of every value under ``sources``."""
    import json

    data = dict(policy.data)
    data["tiers"] = {str(tier): row for tier, row in policy.data["tiers"].items()}
    shown = {section: data[section] for section in SHOWN_SECTIONS if section in data}
    sources = {key: f"{_shown(policy.path)}:{line}" for key, line in policy.sources.items()}
    return json.dumps({**shown, "file": str(policy.path), "sources": sources}, indent=2)


def to_table(policy: Policy) -> str:
    """The org profile, then the tier table (a column per tier), then the rest, each row
    with the lines it comes from."""
    where = _shown(policy.path)
    lines = [f"policy: {where}", "", "org"]
    for key, value in policy.org.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                dotted = f"org.{key}.{sub}"
                name = f"{key}.{sub}"
                lines.append(f"  {name:<28} {subvalue!s:<32} {where}:{policy.sources[dotted]}")
        else:
            lines.append(f"  {key:<28} {value!s:<32} {where}:{policy.sources[f'org.{key}']}")
    rows = [
        (field.name, [_cell(getattr(policy.tier(tier), field.name)) for tier in TIERS])
        for field in fields(Tier)
    ]
    width = max(8, *(len(cell) for _, cells in rows for cell in cells))
    header = " ".join(f"{tier:>{width}}" for tier in TIERS)
    lines += ["", f"  {'tiers':<30} {header}   lines"]
    for name, cells in rows:
        sources = ",".join(str(policy.sources[f"tiers.{tier}.{name}"]) for tier in TIERS)
        values = " ".join(f"{cell:>{width}}" for cell in cells)
        lines.append(f"  {name:<30} {values}   {where}:{sources}")
    for section in SHOWN_SECTIONS[2:]:
        lines += ["", section]
        for key, line in policy.sources.items():
            if not key.startswith(f"{section}."):
                continue
            value = _at(policy.data, key)
            if isinstance(value, dict | list):
                continue
            lines.append(f"  {key[len(section) + 1 :]:<40} {value!s:<16} {where}:{line}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _at(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        elif isinstance(data, dict):
            data = data[int(part)] if part.isdigit() and int(part) in data else data[part]
    return data
