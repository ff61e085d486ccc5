"""The HCL expressions the readiness checks evaluate: what can be known from the files, and
what cannot."""

from __future__ import annotations

from typing import Any

import pytest

from generator.readiness.sources.terraform import UnknownValueError, evaluate, value_of


class Scope:
    def __init__(self, variables: dict[str, Any], locals_: dict[str, Any]) -> None:
        self.variables = variables
        self.locals = locals_

    def var(self, name: str) -> Any:
        if name not in self.variables:
            raise UnknownValueError(name)
        return value_of(self.variables[name], self)

    def local(self, name: str) -> Any:
        return value_of(self.locals[name], self)


TIERS = {
    '"1"': {"backup_retention_days": 35, "multi_az": True},
    '"3"': {"backup_retention_days": 7, "multi_az": False},
}


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [
        ("coalesce(var.days, local.tier.backup_retention_days)", {"tier": 1, "days": None}, 35),
        ("coalesce(var.days, local.tier.backup_retention_days)", {"tier": 3, "days": 14}, 14),
        ("local.tier.multi_az", {"tier": 3}, False),
        ('contains(var.stores, "postgres") ? 1 : 0', {"stores": ['"postgres"', '"s3"']}, 1),
        ('contains(var.stores, "postgres") ? 1 : 0', {"stores": ['"sqs"']}, 0),
        ("local.tier.multi_az && !(var.tier > 2)", {"tier": 1}, True),
        ('var.env == "prod" ? 365 : 90', {"env": '"prod"'}, 365),
        ("max(var.tier * 2, 3) - 1", {"tier": 1}, 2),
        ('"${var.env}-data"', {"env": '"prod"'}, "prod-data"),
        ("try(data.x.y, 5)", {}, 5),
    ],
)
def test_evaluate(expression: str, variables: dict[str, Any], expected: Any) -> None:
    scope = Scope(variables, {"tier": "${local.tiers[tostring(var.tier)]}", "tiers": TIERS})
    assert evaluate(expression, scope) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "data.aws_region.current.id",
        "[for s in var.x : s]",
        "aws_s3_bucket.data[*].arn",
        "jsonencode({})",
        "var.missing",
        "coalesce(null, null)",
    ],
)
def test_evaluate_refuses_what_cannot_be_known(expression: str) -> None:
    with pytest.raises(UnknownValueError):
        evaluate(expression, Scope({}, {}))
