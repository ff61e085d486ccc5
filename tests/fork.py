"""A fork of this repository for another organisation, made the way docs/adopting.md says:
the values of policy.yml changed on their lines, and the example answers rewritten for the
organisation. Nothing else changes, so whatever breaks in a fork is a file that restated a
value of the policy instead of reading it.

``python -m tests.fork DEST [PYTEST ARGS]`` makes the suite's fork (:data:`SUITE_POLICY`)
of the working tree in DEST and runs pytest there, with the fork's own toolkit: a fork
must keep a green suite, so a test that types a value of the policy (a slug, a replica
count, an objective) instead of reading it fails there. tests/render/test_adopting.py
follows the guide itself on the guide's example (:data:`GUIDE_POLICY`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.policy import load_policy
from tests.conftest import ROOT, edit_policy, git

ORG, DOMAIN = "globex", "globex.example"

# docs/adopting.md, step 3: the org profile of globex, whose tier 2 services run three prod
# replicas and keep 21 days of database backups.
GUIDE_POLICY: dict[str, Any] = {
    "org.slug": ORG,
    "org.domain": DOMAIN,
    "tiers.2.prod_min_replicas": 3,
    "tiers.2.rds_backup_days": 21,
}

# The suite's fork: another organisation (not globex, so that test_adopting.py still adopts
# the template for a new one there), and every value a test might type differs from the
# shipped one (teams and channel, and at least one number in each column a test asserts),
# within each value's rule. The HPA ceilings and the standard pod's CPU stay: the update
# tests' next release changes them (tests/update/conftest.py), and must still change
# something.
SUITE_POLICY: dict[str, Any] = {
    **GUIDE_POLICY,
    "org.slug": "initech",
    "org.domain": "initech.example",
    "org.sre_team": "reliability",
    "org.platform_team": "infra",
    "org.sre_slack_channel": "#reliability-pages",
    "tiers.1.prod_min_replicas": 4,
    "tiers.3.prod_min_replicas": 3,
    "tiers.1.escalate_after_minutes": 3,
    "tiers.2.escalate_after_minutes": 8,
    "tiers.3.escalate_after_minutes": 20,
    "tiers.2.readiness_min_score": 95,
    "tiers.3.readiness_min_score": 85,
    "tiers.1.slo_availability": 99.99,
    "tiers.2.slo_availability": 99.8,
    "tiers.3.slo_availability": 99.0,
    "tiers.1.rto_minutes": 30,
    "tiers.2.rto_minutes": 120,
    "tiers.1.rpo_minutes": 10,
    "tiers.2.rpo_minutes": 30,
    "tiers.3.rto_minutes": 720,
    "tiers.3.rpo_minutes": 720,
    "tiers.1.rds_backup_days": 30,
    "tiers.3.rds_backup_days": 5,
    "tiers.1.s3_noncurrent_version_days": 120,
    "tiers.2.s3_noncurrent_version_days": 45,
    "tiers.3.s3_noncurrent_version_days": 20,
    "tiers.1.budget_usd": 2000,
    "tiers.2.budget_usd": 800,
    "tiers.3.budget_usd": 100,
    "tiers.1.sqs_message_age_alarm_seconds": 240,
    "tiers.2.sqs_message_age_alarm_seconds": 600,
    "tiers.3.sqs_message_age_alarm_seconds": 1800,
    # 7.2x for an hour spends 1% of a 30-day budget (7.2 / 720 hours).
    "slo.burn_windows.0.rate": 7.2,
    "slo.burn_windows.0.budget_spent": "1%",
}


def fork_answers(text: str, old: Mapping[str, Any], org: str = ORG, domain: str = DOMAIN) -> str:
    """An answers file of the organisation ``old`` (its policy's org profile) rewritten for
    ``org``: its domain (emails, labels) first, then the slug as a word (``org:``,
    ``repository: <org>/...``)."""
    text = text.replace(str(old["domain"]), domain)
    return re.sub(rf"(?<![\w-]){re.escape(str(old['slug']))}(?![\w-])", org, text)


def fork_examples(
    examples: Path, old: Mapping[str, Any], org: str = ORG, domain: str = DOMAIN
) -> list[Path]:
    """Rewrite every answers file under ``examples`` for ``org`` (:func:`fork_answers`)."""
    paths = sorted(examples.glob("*.yml"))
    for path in paths:
        text = fork_answers(path.read_text(encoding="utf-8"), old, org, domain)
        path.write_text(text, encoding="utf-8")
    return paths


def fork_repository(target: Path, policy: Mapping[str, Any]) -> Path:
    """The working tree's files (tracked and new, as git lists them) copied into ``target``,
    with ``policy`` edited into its policy.yml and its examples rewritten for the org it
    names, and committed: a fork is a git repository of its own."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    old = load_policy(ROOT).org
    edit_policy(target, policy)
    org, domain = str(policy["org.slug"]), str(policy["org.domain"])
    fork_examples(target / "examples" / "answers", old, org, domain)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", f"{org}: policy and examples")
    return target


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.fork DEST [PYTEST ARGS]", file=sys.stderr)
        return 2
    target = Path(argv[0]).resolve()
    if target.exists() and any(target.iterdir()):
        print(f"{target}: exists and is not empty; choose a new directory", file=sys.stderr)
        return 2
    fork_repository(target, SUITE_POLICY)
    if (ROOT / ".tools").exists():
        (target / ".tools").symlink_to((ROOT / ".tools").resolve())
    # The fork's toolkit, in this process's environment: its generator/ comes first.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv[1:]], cwd=target, env=env
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
