"""`copier update` onto the bucket module keeps every existing bucket: the state moves.

The service module used to write its three buckets out resource by resource; it now calls
``modules/bucket`` once per bucket, with ``moved`` blocks. A service created before that has
its buckets in state under the old addresses. This test applies the service module as it was
rendered before the change (against Terraform's mock provider, offline), then plans the
module as rendered now on that same state: every old bucket resource must be moved into a
module instance with no change, and nothing may be destroyed or replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.validators.terraform import init
from tests.conftest import ROOT, copy_template, git, require, require_tool

# The last commit whose s3.tf wrote the buckets inline, i.e. what existing services run.
BEFORE = "dbee0ba956d5e5097cd64ecdd773cde414a9bf7f"
EXAMPLE = "payments-api"
MODULE = Path("terraform/modules/service")

# The resources each bucket had, as the moved blocks name them.
HARDENING = (
    "aws_s3_bucket",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
)
# Only the data bucket logs access and sends events; only a tier 1 data bucket replicates.
DATA_ONLY = ("aws_s3_bucket_logging", "aws_s3_bucket_notification")
REPLICATION = "aws_s3_bucket_replication_configuration"

TAGS = {
    "service": "orders-api",
    "environment": "prod",
    "team": "fulfilment",
    "cost-center": "cc-1234",
    "tier": "1",
    "data-classification": "confidential",
    "ownership-model": "team",
    "repository": "acme/orders-api",
    "managed-by": "terraform",
}

HARNESS = """
mock_provider "aws" {
  source = "./after/tests/mocks/aws"
}

mock_provider "aws" {
  alias  = "dr"
  source = "./after/tests/mocks/aws_dr"
}

run "before" {
  command   = apply
  state_key = "service"
  providers = { aws = aws, aws.dr = aws.dr }
  module {
    source = "./before"
  }
}

run "after" {
  command   = plan
  state_key = "service"
  providers = { aws = aws, aws.dr = aws.dr }
  module {
    source = "./after"
  }
}
"""


def _variables(tier: int, datastores: list[str]) -> dict[str, Any]:
    return {
        "name": "orders-api",
        "environment": "prod",
        "tier": tier,
        "description": "Orders API",
        "tags": {**TAGS, "tier": str(tier)},
        "owner_email": "orders@acme.example",
        "datastores": datastores,
        "cluster_oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
        "allowed_security_group_ids": ["sg-0ccccccccccccccc3"],
        "ci_provider": "github",
        "repository": "acme/orders-api",
        "ci_oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    }


def _expected_moves(tier: int) -> set[tuple[str, str]]:
    buckets = [("data", "data_bucket"), ("logs", "logs_bucket")]
    if tier == 1:
        buckets.append(("data_dr", "dr_bucket"))
    moves = set()
    for old, module in buckets:
        for resource in HARDENING:
            moves.add((f"{resource}.{old}[0]", f"module.{module}[0].{resource}.this"))
        if old == "data":
            for resource in DATA_ONLY + ((REPLICATION,) if tier == 1 else ()):
                moves.add((f"{resource}.{old}[0]", f"module.{module}[0].{resource}.this[0]"))
    return moves


@pytest.fixture(scope="module")
def before_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example as `copier copy` rendered it at BEFORE, with that commit's answers."""
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{BEFORE}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    require(known.returncode == 0, f"commit {BEFORE[:12]} is not in this checkout's history")
    answers = YAML(typ="safe", pure=True).load(
        git(ROOT, "show", f"{BEFORE}:examples/answers/{EXAMPLE}.yml")
    )
    return copy_template(ROOT, tmp_path_factory.mktemp("before") / EXAMPLE, answers, BEFORE)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tier", "datastores"), [(1, ["postgres", "s3", "sqs"]), (3, ["s3"])], ids=["tier1", "tier3"]
)
def test_existing_buckets_move_into_the_bucket_module_unchanged(
    before_render: Path,
    rendered_examples: dict[str, Path],
    tmp_path: Path,
    tier: int,
    datastores: list[str],
) -> None:
    terraform = require_tool("terraform")
    require(bool(os.environ.get("TF_PLUGIN_DIR")), "TF_PLUGIN_DIR is not set (provider mirror)")
    after_render = rendered_examples[EXAMPLE]
    assert not (before_render / MODULE / "modules").exists()
    assert (after_render / MODULE / "modules" / "bucket" / "main.tf").is_file()
    for name, render in (("before", before_render), ("after", after_render)):
        shutil.copytree(
            render / MODULE, tmp_path / name, ignore=shutil.ignore_patterns("*.tftest.hcl")
        )
    (tmp_path / "main.tf").write_text("", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    # HCL reads JSON values as they are (objects may use ":").
    variables = "".join(
        f"  {name} = {json.dumps(value)}\n" for name, value in _variables(tier, datastores).items()
    )
    (tmp_path / "tests" / "moves.tftest.hcl").write_text(
        f"variables {{\n{variables}}}\n{HARNESS}", encoding="utf-8"
    )
    done = init(terraform, tmp_path)
    assert done.ok, done.output
    test = subprocess.run(
        [terraform, "test", "-verbose", "-json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_IN_AUTOMATION": "1"},
        check=False,
    )
    messages = [json.loads(line) for line in test.stdout.splitlines() if line.startswith("{")]
    assert test.returncode == 0, test.stdout + test.stderr
    plans = [m["test_plan"] for m in messages if m.get("type") == "test_plan"]
    assert len(plans) == 1, [m.get("@message") for m in messages]
    changes = plans[0]["resource_changes"]

    actions = Counter("-".join(c["change"]["actions"]) for c in changes)
    moved = {(c["previous_address"], c["address"]) for c in changes if c.get("previous_address")}
    # The state follows: exactly the old bucket resources move, each into its module instance.
    assert moved == _expected_moves(tier)
    # Nothing is destroyed or replaced, and nothing at all changes: the move is the only
    # difference, so every hardening setting is what it was.
    assert set(actions) == {"no-op"}, {
        c["address"]: c["change"]["actions"] for c in changes if c["change"]["actions"] != ["no-op"]
    }
    assert actions["no-op"] == len(changes) > len(moved)
