"""`paved validate` runs independent validators at the same time: the report is the same,
in the registry's order, whatever the number of jobs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from generator.validate import groups, select, validate
from generator.validators import REGISTRY
from generator.validators.helm import ChartValidator

# Quick validators of several kinds, the chart group among them.
QUICK = ["parse", "terraform-fmt", "helm-lint", "kubernetes-schema", "pod-security", "ci-pinning"]


def test_the_report_keeps_the_registry_order_whatever_the_jobs(
    rendered_examples: dict[str, Path],
) -> None:
    repo = rendered_examples["payments-api"]
    reports = [validate(repo, only=QUICK, jobs=jobs) for jobs in (1, 2, 6)]
    order = [v.name for v in REGISTRY if v.name in QUICK]
    for report in reports:
        assert [o.validator for o in report.outcomes] == order
        assert report.to_json() == reports[0].to_json()


def test_the_chart_validators_share_one_group_the_others_run_alone() -> None:
    found = groups(select(None))
    chart = [group for group in found if isinstance(group[0], ChartValidator)]
    assert len(chart) == 1
    assert [v.name for v in chart[0]] == [v.name for v in REGISTRY if isinstance(v, ChartValidator)]
    assert all(len(group) == 1 for group in found if group is not chart[0])
    assert sum(len(group) for group in found) == len(list(REGISTRY))


def test_jobs_below_one_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--jobs", "0"])
    assert result.exit_code == 2
    assert "'--jobs': 0 is not in the range x>=1" in result.output
