"""The pure pieces of the readiness checks: HCL evaluation, Alertmanager routing, CODEOWNERS
patterns, Markdown sections, the CI job model and scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.alertmanager import route_receivers
from generator.readiness.checks.alerting import _runbook_path
from generator.readiness.checks.ownership import _owners_of, _pattern_matches
from generator.readiness.model import Check, Findings, Report, Result, Status
from generator.readiness.sources import markdown
from generator.readiness.sources.ci import pipeline
from generator.readiness.sources.repo import Repo
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


def test_route_receivers_follow_alertmanager_semantics() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {
                "matchers": ['service="api"'],
                "receiver": "team-chat",
                "routes": [
                    {"matchers": ['severity="page"'], "receiver": "pager", "continue": True},
                    {"matchers": ['severity=~"page|critical"'], "receiver": "sre-chat"},
                    {"match": {"severity": "ticket"}, "receiver": "tickets"},
                ],
            }
        ],
    }
    assert route_receivers(route, {"service": "api", "severity": "page"}) == ["pager", "sre-chat"]
    assert route_receivers(route, {"service": "api", "severity": "ticket"}) == ["tickets"]
    assert route_receivers(route, {"service": "api", "severity": "info"}) == ["team-chat"]
    assert route_receivers(route, {"service": "web", "severity": "page"}) == ["default"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "src/app.py", True),
        ("/terraform/", "terraform/envs/prod/main.tf", True),
        ("/terraform/", "modules/terraform/x.tf", False),
        ("docs/", "service/docs/a.md", True),
        ("/.gitlab-ci.yml", ".gitlab-ci.yml", True),
        ("*.tf", "terraform/envs/prod/main.tf", True),
        ("/helm/**/values.yaml", "helm/api/values.yaml", True),
    ],
)
def test_codeowners_patterns(pattern: str, path: str, matches: bool) -> None:
    assert _pattern_matches(pattern, path) is matches


def test_codeowners_last_match_wins() -> None:
    rules = [(1, "*", ["@acme/team"]), (2, "/terraform/", ["@acme/platform"])]
    assert _owners_of(rules, "terraform/main.tf") == (2, ["@acme/platform"])
    assert _owners_of(rules, "README.md") == (1, ["@acme/team"])


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://github.com/acme/api/blob/main/docs/runbooks/x.md", "docs/runbooks/x.md"),
        ("https://gitlab.com/acme/api/-/blob/main/docs/runbooks/x.md#top", "docs/runbooks/x.md"),
        ("https://github.com/other/api/blob/main/docs/runbooks/x.md", None),
        ("https://wiki.example/runbooks/x", None),
    ],
)
def test_runbook_urls_map_to_repository_paths(url: str, path: str | None) -> None:
    assert _runbook_path(url, "acme/api") == path


def test_markdown_sections_skip_code_blocks() -> None:
    text = (
        "# Title\n\n## Escalation path\n\n1. Team\n2. Manager\n```\n## Not a heading\n3. no\n"
        "```\n## Next\n\n- **RTO:** 60 minutes\n"
    )
    found = markdown.section(text, 2, "escalation path")
    assert found is not None
    heading, lines = found
    assert heading.line == 3
    assert [line.text for line in markdown.numbered(lines)] == ["1. Team", "2. Manager"]
    assert markdown.field_line(text, "RTO") == ("60 minutes", 13)
    assert [h.title for h in markdown.headings(text)] == ["Title", "Escalation path", "Next"]


def test_markdown_tables_are_runs_of_rows() -> None:
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| c |\n|---|\n| 3 |\n"
    tables = markdown.tables(markdown.prose(text))
    assert [[cells for _, cells in table] for table in tables] == [
        [["a", "b"], ["1", "2"]],
        [["c"], ["3"]],
    ]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("#fulfilment\\_alerts", "#fulfilment_alerts"),
        ("**Email:** fulfil\\_ment+ops%eu@acme.example", "Email: fulfil_ment+ops%eu@acme.example"),
        ("policy `P_FULFIL_1` and `a\\_b`", "policy P_FULFIL_1 and a\\_b"),
        ("_em_ *em* ~~gone~~ \\* \\` \\$x\\$ \\~ \\[x\\] \\<b\\>", "em em gone * ` $x$ ~ [x] <b>"),
        (
            "&amp; &#95; [the channel](https://x) ![alt *text*](i.png) <b>bold</b>",
            "& _ the channel alt text bold",
        ),
        (
            "- **Slack:** #a\\_b\n- **SRE:** sre\n\nwrapped\nline",
            "Slack: #a_b\nSRE: sre\nwrapped\nline",
        ),
        ("| a \\| b | `c` |\n|---|---|\n| 1 | 2 |", "a | b\nc\n1\n2"),
        ("```\nP\\_1\n```", "P\\_1"),
    ],
)
def test_plain_is_the_text_a_reader_sees(source: str, shown: str) -> None:
    assert markdown.plain(source) == shown


def test_plain_inline_keeps_block_markers_as_text() -> None:
    assert markdown.plain("1. first \\_ - item", inline=True) == "1. first _ - item"
    assert markdown.plain("1. first", inline=False) == "first"


def test_markdown_readers_return_rendered_text() -> None:
    text = (
        "## **Escalation** path\n\n- **RTO:** **60** minutes\n\n"
        "| **On\\-call** | `a \\| b` | c \\| d |\n|---|---|---|\n"
    )
    assert [h.title for h in markdown.headings(text)] == ["Escalation path"]
    assert markdown.field_line(text, "RTO") == ("60 minutes", 3)
    (table,) = markdown.tables(markdown.prose(text))
    assert [cells for _, cells in table] == [["On-call", "a | b", "c | d"]]
    assert markdown.find_line(text, r"^On-call$") is None
    assert markdown.find_line(text, r"\bOn-call\b") == 5


def test_gitlab_includes_are_resolved_from_the_pipeline_file(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: gitlab\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - local: /ci/gitlab/*.yml\n  - project: other/templates\n"
        "  - remote: https://example.com/x.yml\n"
        ".tools:\n  before_script: [ci/setup.sh]\n"
    )
    (tmp_path / "ci/gitlab").mkdir(parents=True)
    (tmp_path / "ci/gitlab/test.yml").write_text(
        "unit:\n  extends: .tools\n  script: [make test]\n"
        '  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
    )
    (tmp_path / "ci/gitlab/deploy.yml").write_text(
        "deploy:prod:\n  script: [ci/deploy.sh prod]\n  environment: {name: prod}\n"
        '  needs: [{job: unit}]\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n'
        "      when: manual\n"
    )
    (tmp_path / "ci/setup.sh").write_text("apk add helm\n")
    (tmp_path / "ci/deploy.sh").write_text("helm upgrade --install api chart\n")
    ci = pipeline(Repo(tmp_path))
    assert ci.files == [".gitlab-ci.yml", "ci/gitlab/deploy.yml", "ci/gitlab/test.yml"]
    unit, deploy = ci.job("unit"), ci.job("deploy:prod")
    assert unit is not None
    assert deploy is not None
    assert (unit.on_change, unit.on_main, unit.manual) == (True, False, False)
    assert unit.runs(r"apk add helm")
    assert unit.scripts == ("ci/setup.sh",)
    assert (deploy.on_change, deploy.on_main, deploy.manual) == (False, True, True)
    assert deploy.environment == "prod"
    assert deploy.needs == ("unit",)
    assert deploy.runs(r"helm upgrade")
    assert deploy.via(r"helm upgrade") == " (via ci/deploy.sh)"


def test_jobs_know_which_pushes_to_main_start_them(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: github\n")
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "apply.yml").write_text(
        "on:\n  push:\n    branches: [main]\n    paths: ['ci/**', '!ci/*.md']\n"
        "  workflow_dispatch:\njobs:\n  apply:\n    steps:\n      - run: ci/apply.sh\n"
    )
    (workflows / "docs.yml").write_text(
        "on:\n  push:\n    branches: [main]\n    paths-ignore: ['**/*.py']\n"
        "jobs:\n  docs:\n    steps:\n      - run: make docs\n"
    )
    (workflows / "pr.yml").write_text(
        "on: [pull_request]\njobs:\n  test:\n    steps:\n      - run: make test\n"
    )
    ci = pipeline(Repo(tmp_path))
    apply, docs, test = (ci.job(name) for name in ("apply", "docs", "test"))
    assert apply is not None
    assert docs is not None
    assert test is not None
    assert apply.main_paths == ("ci/**", "!ci/*.md")
    assert apply.manual
    assert apply.starts_on_main_change("ci/protect_environments.py")
    assert apply.starts_on_main_change("ci/sub/x.sh")
    assert not apply.starts_on_main_change("ci/README.md")
    assert not apply.starts_on_main_change("src/app.py")
    assert docs.starts_on_main_change("README.md")
    assert not docs.starts_on_main_change("ci/protect_environments.py")
    assert not test.starts_on_main_change("ci/protect_environments.py")


def test_gitlab_rules_changes_decide_which_pushes_to_main_start_a_job(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("service_name: api\nci_provider: gitlab\n")
    (tmp_path / ".gitlab-ci.yml").write_text(
        "apply:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      changes: {paths: [ci/*.py]}\n'
        '    - if: $CI_COMMIT_BRANCH == "main"\n      when: manual\n'
        "by-hand:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      when: manual\n'
        "always:\n  script: [ci/apply.sh]\n  rules:\n"
        '    - if: $CI_COMMIT_BRANCH == "main"\n      changes: [docs/**]\n'
        '    - if: $CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"\n'
    )
    ci = pipeline(Repo(tmp_path))
    apply, by_hand, always = (ci.job(name) for name in ("apply", "by-hand", "always"))
    assert apply is not None
    assert by_hand is not None
    assert always is not None
    assert apply.main_paths == ("ci/*.py",)
    assert apply.starts_on_main_change("ci/protect_environments.py")
    assert not apply.starts_on_main_change("ci/gitlab/x.yml")
    assert by_hand.main_paths is None
    assert not by_hand.starts_on_main_change("ci/protect_environments.py")
    assert always.main_paths == ()
    assert always.starts_on_main_change("anything")


def _result(check_id: str, status: Status, required: bool) -> Result:
    return Result(check_id, check_id, status, required, ("x.yaml:1 y",), "")


def test_score_is_passed_over_applicable_rounded_down() -> None:
    results = (
        _result("a", Status.PASS, True),
        _result("b", Status.PASS, False),
        _result("c", Status.FAIL, False),
        _result("d", Status.NOT_APPLICABLE, True),
    )
    report = Report("api", results)
    assert report.score == 66
    assert report.passed is True
    assert Report("api", results, min_score=67).passed is False
    assert Report("api", (*results, _result("e", Status.FAIL, True))).passed is False
    assert Report("api", (_result("d", Status.NOT_APPLICABLE, True),)).score == 100


def test_a_check_with_problems_fails_with_them_first() -> None:
    check = Check("x", 1, "X", True, "the general fix", lambda repo, f: None)
    findings = Findings()
    findings.ok("a.yaml", 3, "fine")
    findings.bad("b.yaml", None, "missing", "add b.yaml")
    result = Result.of(check, findings)
    assert result.status is Status.FAIL
    assert result.evidence == ("b.yaml missing", "a.yaml:3 fine")
    assert result.fix == "add b.yaml"
    findings = Findings()
    findings.skip(".copier-answers.yml", "tier 2")
    assert Result.of(check, findings).status is Status.NOT_APPLICABLE
    assert Result.of(check, Findings()).fix == ""
