"""The questionnaire as a person meets it: every prompt renders, and a copy completes in a
real terminal with bad answers re-asked."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from copier import _main as copier_main

from generator.policy import load_policy
from tests.conftest import EXAMPLES, ROOT, load_yaml

# The answers a person types for the questions that have no default.
TYPED = {
    "service_name": "orders-api",
    "description": 'Takes orders: "quotes", $HOME, {{ x }} and café are fine',
    "team": "orders",
    "owner_email": "orders@acme.example",
    "cost_center": "cc-1234",
    "oncall_escalation_policy": "PORDERS1",
    "sre_escalation_policy": "PSRE1",
}


POLICY = load_policy(ROOT)


def _questions() -> dict[str, dict[str, Any]]:
    config = load_yaml(ROOT / "copier.yml")
    return {k: v for k, v in config.items() if not k.startswith("_") and isinstance(v, dict)}


@dataclass
class Prompted:
    """What the questionnaire showed for one question."""

    message: str
    default: Any
    choices: list[tuple[str, Any, str]] = field(default_factory=list)  # title, value, disabled


def _choice_paths() -> Iterator[dict[str, Any]]:
    """Answers that cover every choice of every question that steers another (tier, on-call,
    ownership, CI, delivery, datastores), each tier with each ownership model."""
    providers = itertools.cycle(["pagerduty", "opsgenie"])
    ci = itertools.cycle(["github", "gitlab"])
    strategies = itertools.cycle(["rolling", "canary", "blue_green"])
    datastores = itertools.cycle([[], ["postgres"], ["s3", "sqs"], ["postgres", "s3", "sqs"]])
    dr = itertools.cycle(["backup_restore", "pilot_light", "warm_standby", "active_active"])
    for tier, model in itertools.product([1, 2, 3], ["dev_only", "shared", "platform", "sre_only"]):
        provider = next(providers)
        yield {
            "tier": tier,
            "ownership_model": model,
            # Tier 3 may page nobody: take that path for half of its models.
            "oncall_provider": "none"
            if tier == 3 and model in ("shared", "sre_only")
            else provider,
            "ci_provider": next(ci),
            "deploy_strategy": next(strategies),
            "datastores": next(datastores),
            "dr_strategy": next(dr),
        }


def _answer_prompt(
    structure: Mapping[str, Any], answers: Mapping[str, Any], prompted: dict[str, Prompted]
) -> Any:
    """Answer one prompt as a person would: the path's choice, a typed value, or the default."""
    name = structure["name"]
    message = structure["message"]
    assert isinstance(message, str), name
    assert message.strip(), f"{name}: empty prompt"
    choices = [
        (str(c.title), c.value, str(c.disabled or "")) for c in structure.get("choices") or []
    ]
    default = structure.get("default")
    prompted[name] = Prompted(message, default, choices)
    if structure["type"] in ("select", "checkbox"):
        if name in answers:
            wanted = answers[name]
            values = [value for _, value, _ in choices]
            for value in wanted if isinstance(wanted, list) else [wanted]:
                assert value in values, f"{name}: {value!r} is not offered ({values})"
            enabled = {value for _, value, disabled in choices if not disabled}
            chosen = wanted if isinstance(wanted, list) else [wanted]
            assert set(chosen) <= enabled, f"{name}: {wanted!r} is disabled: {choices}"
            raw: Any = wanted
        elif structure["type"] == "checkbox":
            raw = [c.value for c in structure["choices"] if c.checked]
        else:
            raw = default.value if default is not None else choices[0][1]
    else:
        raw = TYPED.get(name, default)
        assert raw is not None, f"{name}: no default and no typed answer"
        raw = str(raw)
        verdict = structure["validate"](raw)
        assert verdict is True, f"{name}: the default or typed answer {raw!r} is refused: {verdict}"
    if structure["type"] == "checkbox":
        verdict = structure["validate"](raw)
        assert verdict is True, f"{name}: {raw!r} is refused: {verdict}"
    return structure["filter"](raw)


def _run_questionnaire(
    template: Path,
    destination: Path,
    path: Mapping[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    answers: dict[str, Any] | None = None,
) -> dict[str, Prompted]:
    """Run Copier's questionnaire (and a rendering that writes nothing) on ``template``,
    answering each prompt as the choice ``path`` says, with typed answers and defaults for
    the rest; what each prompt showed. ``answers`` receives the answers Copier kept."""
    answers = {} if answers is None else answers
    prompted: dict[str, Prompted] = {}

    def fake_prompt(
        questions: list[Mapping[str, Any]], answers: Mapping[str, Any], **_: Any
    ) -> dict[str, Any]:
        # questionary's own contract: a question whose `when` is false is not shown and
        # keeps the answer it was given (Copier passes the default).
        (structure,) = questions
        if not structure["when"](answers):
            return dict(answers)
        return {structure["name"]: _answer_prompt(structure, path, prompted)}

    monkeypatch.setattr(copier_main, "unsafe_prompt", fake_prompt)
    # Copier's own Worker (run_copy's engine, which keeps the answers it collected); pretend:
    # the questionnaire and the rendering run, nothing is written.
    with copier_main.Worker(
        str(template), destination, defaults=False, unsafe=True, quiet=True, pretend=True
    ) as worker:
        worker.run_copy()
        answers.update(worker.answers.combined)
    return prompted


@pytest.mark.parametrize(
    "path", list(_choice_paths()), ids=lambda p: f"tier{p['tier']}-{p['ownership_model']}"
)
def test_every_prompt_renders_on_every_choice_path(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: dict[str, Any]
) -> None:
    """Copier renders each question's help, default, choices (with their validators), `when`
    and validator as it asks; a literal ``{{`` in a help text stops the questionnaire."""
    recorded: dict[str, Any] = {}
    prompted = _run_questionnaire(template_dir, tmp_path / "repo", path, monkeypatch, recorded)
    questions = _questions()

    # Each question is asked exactly where it applies; computed ones (when: false) never.
    expected = {name for name, q in questions.items() if q.get("when") is not False}
    tier = POLICY.tier(path["tier"])
    if not tier.dr_copies:
        expected.discard("dr_region")
    pager = path["oncall_provider"] != "none"
    sre_level = path["ownership_model"] == "shared" or (
        path["ownership_model"] == "platform" and tier.sre_last_level
    )
    if not pager:
        expected.discard("oncall_escalation_policy")
    if not (pager and (sre_level or path["ownership_model"] == "sre_only")):
        expected.discard("sre_escalation_policy")
    if not (pager and sre_level):
        expected.discard("sre_slack_channel")
    assert set(prompted) == expected

    for name, seen in prompted.items():
        help_text = re.sub(r"\{%.*?%\}", "", " ".join(str(questions[name].get("help", "")).split()))
        # The help is shown rendered: no Jinja statement survives, and text around it does.
        assert "{%" not in seen.message, name
        assert seen.message.split()[:2] == help_text.split()[:2], name
    for name, value in path.items():
        assert recorded[name] == value, name
    # The choice that a tier forbids is offered, but disabled with the rule.
    disabled = {value: why for _, value, why in prompted["oncall_provider"].choices if why}
    if not POLICY.tier(path["tier"]).pages:
        assert disabled == {}
    else:
        assert set(disabled) == {"none"}
        assert f"tier {path['tier']} pages on fast burn" in disabled["none"]


def test_number_questions_offer_one_line_numbers(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked, a number's default is one editable number, not YAML with an end marker."""
    prompted = _run_questionnaire(template_dir, tmp_path / "repo", {"tier": 1}, monkeypatch)
    assert prompted["container_port"].default == "8080"
    assert prompted["slo_availability"].default == f"{POLICY.tier(1).slo_availability:g}"
    assert prompted["slo_latency_ms"].default == "250"
    assert prompted["rto_minutes"].default == str(POLICY.tier(1).rto_minutes)
    for name in ("container_port", "slo_availability", "slo_latency_target", "rpo_minutes"):
        assert "\n" not in prompted[name].default, name


# --- the real questionnaire in a pseudo-terminal ------------------------------------------

UP, DOWN, SPACE, ENTER, CLEAR = "\x1b[A", "\x1b[B", " ", "\r", "\x15"  # Ctrl-U clears the line


@dataclass
class Step:
    """What a person does at one question: wrong answers first (each with the words of the
    error they must see), then the answer that is kept."""

    keys: str
    wrong: list[tuple[str, str]] = field(default_factory=list)


# One walk through every question: tier 1 (so the DR region is asked), PagerDuty, shared
# ownership, GitLab, canary releases, two datastores.
WALK: dict[str, Step] = {
    "service_name": Step(
        CLEAR + "orders-api",
        wrong=[("Orders_API", "is not a valid service name"), ("ab", "3 to 32 characters")],
    ),
    "description": Step(CLEAR + TYPED["description"], wrong=[("   ", "must not be empty")]),
    "tier": Step(UP),
    "org": Step(""),
    "org_domain": Step(""),
    "team": Step(CLEAR + "orders", wrong=[("Orders Team", "lowercase slug")]),
    "owner_email": Step(CLEAR + "orders@acme.example", wrong=[("orders", "email address")]),
    "slack_channel": Step(""),
    # "none" is disabled for tier 1: the cursor skips it.
    "oncall_provider": Step(""),
    "oncall_escalation_policy": Step(
        CLEAR + "PORDERS1", wrong=[("P ORDERS", "^[A-Za-z0-9_-]{1,64}$")]
    ),
    "ownership_model": Step(UP),
    "sre_team": Step(""),
    "platform_team": Step(""),
    "sre_escalation_policy": Step(
        CLEAR + "PSRE1", wrong=[("PORDERS1", "SRE's own policy, not the service team's")]
    ),
    "sre_slack_channel": Step(
        CLEAR + "#sre-oncall", wrong=[("#orders-alerts", "SRE's own channel")]
    ),
    "cost_center": Step(CLEAR + "cc-1234", wrong=[("CC_1234", "cost centre")]),
    "data_classification": Step(DOWN),
    "repository": Step(""),
    "aws_region": Step(""),
    "dr_region": Step(CLEAR + "us-east-1", wrong=[("eu-west-1", "other than aws_region")]),
    "environments": Step(""),
    "container_port": Step(CLEAR + "8443", wrong=[("80", "1024 <= value <= 65535")]),
    "health_path": Step(""),
    "datastores": Step(SPACE + DOWN + DOWN + SPACE),
    "deploy_strategy": Step(DOWN),
    "slo_availability": Step(CLEAR + "99.9", wrong=[("100", "90 <= value < 100")]),
    "sli_requests_metric": Step(""),
    "sli_latency_metric": Step(""),
    "sli_latency_buckets": Step(""),
    "slo_latency_ms": Step(CLEAR + "500", wrong=[("300", "bucket boundary")]),
    "slo_latency_target": Step(""),
    "dr_strategy": Step(""),
    "rto_minutes": Step(CLEAR + "30"),
    "rpo_minutes": Step(""),
    "ci_provider": Step(DOWN),
}

# What the walk records: the typed answers, and the defaults it kept (the org profile's and
# tier 1's, policy.yml).
POLICY = load_policy(ROOT)
WALKED = {
    "service_name": "orders-api",
    "description": TYPED["description"],
    "tier": 1,
    "org": POLICY.org["slug"],
    "team": "orders",
    "owner_email": "orders@acme.example",
    "slack_channel": "#orders-alerts",
    "oncall_provider": POLICY.org["oncall_provider"],
    "oncall_escalation_policy": "PORDERS1",
    "ownership_model": "shared",
    "sre_escalation_policy": "PSRE1",
    "sre_slack_channel": "#sre-oncall",
    "cost_center": "cc-1234",
    "data_classification": "confidential",
    "repository": f"{POLICY.org['slug']}/orders-api",
    "dr_region": "us-east-1",
    "environments": ["dev", "staging", "prod"],
    "container_port": 8443,
    "datastores": ["postgres", "sqs"],
    "deploy_strategy": "canary",
    "slo_availability": 99.9,
    "slo_latency_ms": 500,
    "slo_latency_target": 99.0,
    "dr_strategy": "warm_standby",
    "rto_minutes": 30,
    "rpo_minutes": POLICY.tier(1).rpo_minutes,
    "ci_provider": "gitlab",
}

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x08")


def _plain(text: str) -> str:
    return ANSI.sub("", text)


def _question_of(shown: str, helps: Mapping[str, str]) -> str:
    """The question whose help text the prompt shows (as much of it as fits on the line).

    A help text may be a template (a policy value in it): its text up to the first
    expression is what every rendering starts with.
    """
    shown = shown.strip()
    matches = [
        name
        for name, text in helps.items()
        if text.startswith(shown) or ("{{" in text and shown.startswith(_fixed_start(text)))
    ]
    assert len(matches) == 1, f"prompt {shown!r} matches {matches or 'no question'}"
    return matches[0]


def _fixed_start(text: str) -> str:
    """A templated help text's start before its first expression (never empty)."""
    start = text.split("{{", 1)[0].strip()
    assert start, text
    return start


@pytest.mark.slow
def test_a_person_completes_a_copy_in_a_terminal(template_dir: Path, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    destination = tmp_path / "orders-api"
    helps = {
        name: re.sub(
            r"\{%-? (?!raw|endraw).*?%\}",
            "",
            " ".join(str(q.get("help", "")).split()),
        )
        .replace("{% raw %}", "")
        .replace("{% endraw %}", "")
        for name, q in _questions().items()
    }
    copier_bin = Path(sys.executable).with_name("copier")
    child = pexpect.spawn(
        str(copier_bin),
        ["copy", "--trust", str(template_dir), str(destination)],
        encoding="utf-8",
        dimensions=(60, 400),
        timeout=60,
        env={**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1"},
    )
    asked: list[str] = []
    try:
        while True:
            # Copier shows each question as "🎤 <help>" followed by the prompt line.
            index = child.expect([r"🎤(?:\x1b\[[0-9;]*m|\s)*([^\r\n\x1b]+)[\x1b\r]", pexpect.EOF])
            if index == 1:
                break
            name = _question_of(child.match.group(1), helps)
            if asked and name == asked[-1]:
                continue  # the prompt redrawn (an error shown, a key pressed)
            assert name in WALK, f"the walk has no answer for {name}"
            assert name not in asked, f"{name} asked again after {asked[-1]}"
            asked.append(name)
            step = WALK[name]
            if name == "container_port":
                # One editable number, not YAML's "8080" and "..." on two lines.
                child.expect_exact("8080")
                child.expect_exact("\x1b[?25h")  # the prompt drawn: the cursor shown again
                assert "..." not in _plain(child.before)
            for wrong, words in step.wrong:
                child.send(CLEAR + wrong + ENTER)
                child.expect_exact(words)
            child.send(step.keys + ENTER)
    finally:
        child.close()
    assert child.exitstatus == 0, _plain(child.before or "")
    assert asked == list(WALK)
    recorded = load_yaml(destination / ".copier-answers.yml")
    assert {k: recorded.get(k) for k in WALKED} == WALKED
    assert (destination / ".gitlab-ci.yml").is_file()
    assert (destination / "docs" / "runbooks" / "datastore-sqs.md").is_file()
    assert not (destination / "docs" / "runbooks" / "datastore-s3.md").exists()


def test_the_readme_copy_from_an_answers_file_runs_in_a_script(
    template_dir: Path, tmp_path: Path
) -> None:
    """The README's quick start for scripts, run as written: no terminal, nothing asked."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = [
        line.split("  #")[0].strip()
        for line in readme.splitlines()
        if line.startswith("copier copy") and "--data-file" in line
    ]
    stand_ins = {
        "<template-url>": str(template_dir),
        "answers.yml": str(EXAMPLES / "catalog-api.yml"),
        "my-service": str(tmp_path / "my-service"),
    }
    program, *args = (stand_ins.get(word, word) for word in shlex.split(command))
    assert program == "copier"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("copier")), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    recorded = load_yaml(tmp_path / "my-service" / ".copier-answers.yml")
    assert recorded["service_name"] == "catalog-api"
