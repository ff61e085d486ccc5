"""The readiness model: a check's result from its findings, and the score of a report."""

from __future__ import annotations

from generator.readiness.model import Check, Findings, Report, Result, Status


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
