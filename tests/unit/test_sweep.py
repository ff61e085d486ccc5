"""The sweep's draws: reproducible from a seed, accepted by Copier, and varied the way
copier.yml's rules allow."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from generator.template_check.sweep import Draw, SweepError, cast_to_bool, draw
from tests.conftest import copy_template, example_files, load_yaml

SEED = 20240611


def validator(template: Path, question: str) -> Callable[[Any], str]:
    """``question``'s validator from ``template``'s copier.yml, rendered on its own (the
    rules of identity strings read no other answer): its message, empty when accepted."""
    source = load_yaml(template / "copier.yml")[question]["validator"]
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(template)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        keep_trailing_newline=True,
    )
    compiled = env.from_string(source)
    return lambda value: compiled.render({question: value}).strip()


def choice_values(template: Path, question: str) -> list[Any]:
    choices = load_yaml(template / "copier.yml")[question]["choices"]
    return list(choices.values()) if isinstance(choices, dict) else list(choices)


@pytest.fixture(scope="module")
def drawn(template_dir: Path) -> list[Draw]:
    return draw(template_dir, example_files(), 30, SEED)


def test_the_same_seed_gives_the_same_draws(template_dir: Path) -> None:
    first = draw(template_dir, example_files(), 10, 7)
    again = draw(template_dir, example_files(), 10, 7)
    assert first == again
    assert [d.name for d in first] == [f"sweep-{index}" for index in range(1, 11)]


def test_another_seed_gives_other_draws(template_dir: Path) -> None:
    first = draw(template_dir, example_files(), 10, 7)
    other = draw(template_dir, example_files(), 10, 8)
    assert [d.answers for d in first] != [d.answers for d in other]


def test_draws_start_from_the_examples(drawn: list[Draw]) -> None:
    stems = {path.stem for path in example_files()}
    assert {d.base for d in drawn} <= stems
    assert len({d.base for d in drawn}) > 1
    for d in drawn:
        base = load_yaml(next(path for path in example_files() if path.stem == d.base))
        kept = {key: value for key, value in d.answers.items() if key not in d.varied}
        # What a draw did not vary is the base's value.
        assert all(base[key] == value for key, value in kept.items()), d.name
        assert d.varied.items() <= d.answers.items()


def test_computed_and_number_questions_are_left_to_copier(
    template_dir: Path, drawn: list[Draw]
) -> None:
    questions = {
        name: spec
        for name, spec in load_yaml(template_dir / "copier.yml").items()
        if not name.startswith("_")
    }
    hidden = {name for name, spec in questions.items() if spec.get("when") is False}
    typed = {
        name
        for name, spec in questions.items()
        if spec.get("type", "str") not in {"str", "bool"} and "choices" not in spec
    }
    assert hidden
    assert typed
    for d in drawn:
        assert not hidden & d.answers.keys(), d.name
        # Numbers are drawn never; one is carried only where its default is refused
        # (a base's own latency buckets need its own threshold).
        assert not typed & d.varied.keys(), d.name
        assert set(d.answers) <= set(questions)


def test_copier_accepts_the_draws(template_dir: Path, tmp_path: Path) -> None:
    for d in draw(template_dir, example_files(), 3, SEED + 1):
        destination = copy_template(template_dir, tmp_path / d.name, d.answers)
        recorded = load_yaml(destination / ".copier-answers.yml")
        assert {key: recorded.get(key) for key in d.answers} == d.answers, d.name


def test_choices_vary(template_dir: Path, drawn: list[Draw]) -> None:
    tiers = {d.answers["tier"] for d in drawn}
    assert len(tiers) >= 2
    assert tiers <= set(choice_values(template_dir, "tier"))
    assert all(isinstance(tier, int) for tier in tiers)
    assert {d.answers["ci_provider"] for d in drawn} == set(
        choice_values(template_dir, "ci_provider")
    )
    datastores = [d.answers["datastores"] for d in drawn]
    assert [] in datastores
    assert any(len(chosen) >= 2 for chosen in datastores)
    everything = choice_values(template_dir, "environments")
    environments = [d.answers["environments"] for d in drawn]
    assert any(chosen != everything for chosen in environments)
    # The validator's rule (prod is required) and the choices' order hold in every draw.
    environments_rule = validator(template_dir, "environments")
    for chosen in environments:
        assert not environments_rule(chosen), chosen
        assert chosen == [name for name in everything if name in chosen]


def test_per_choice_validators_hold(template_dir: Path, drawn: list[Draw]) -> None:
    """`oncall_provider: none` is refused by its own validator in tiers that page."""
    spec = load_yaml(template_dir / "copier.yml")["oncall_provider"]["choices"]
    guarded = [value["value"] for value in spec.values() if isinstance(value, dict)]
    assert guarded
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(template_dir)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    for d in drawn:
        for choice in spec.values():
            if isinstance(choice, dict) and d.answers["oncall_provider"] == choice["value"]:
                refusal = env.from_string(choice["validator"]).render(d.answers)
                assert not refusal.strip(), d.name


def test_strings_reach_edge_lengths(template_dir: Path, drawn: list[Draw]) -> None:
    rule = validator(template_dir, "service_name")
    accepted = [n for n in range(1, 80) if not rule("a" * n)]
    shortest, longest = min(accepted), max(accepted)
    names = [d.answers["service_name"] for d in drawn]
    assert all(not rule(name) for name in names)
    assert {len(name) for name in names} & {shortest, longest}
    edges = [
        name
        for name in names
        if rule(name + name[-1]) or all(rule(name[:n]) for n in range(len(name)))
    ]
    assert edges
    # Every string a draw varied is still accepted by its question's rule.
    questions = load_yaml(template_dir / "copier.yml")
    rules = {key: validator(template_dir, key) for key in ("description", "team", "cost_center")}
    for d in drawn:
        for key, key_rule in rules.items():
            if key in d.varied:
                assert not key_rule(d.varied[key]), (d.name, key)
        assert all(len(value) <= 300 for value in d.answers.values() if isinstance(value, str))
    assert any(
        isinstance(value, str) and "choices" not in questions[key]
        for d in drawn
        for key, value in d.varied.items()
    )


def test_drawing_is_fast(template_dir: Path) -> None:
    started = time.perf_counter()
    draw(template_dir, example_files(), 20, SEED)
    assert time.perf_counter() - started < 5


def write_template(root: Path, copier_yml: str, answers: str = "{}\n") -> tuple[Path, Path]:
    root.mkdir()
    (root / "copier.yml").write_text(copier_yml, encoding="utf-8")
    base = root / "base.yml"
    base.write_text(answers, encoding="utf-8")
    return root, base


def test_a_choice_its_validator_refuses_is_never_drawn(tmp_path: Path) -> None:
    template, base = write_template(
        tmp_path / "t",
        """\
budget:
  type: str
  default: low
  when: false
size:
  type: str
  choices:
    small: s
    large:
      value: l
      validator: "{{ 'too large for ' ~ budget if budget == 'low' else '' }}"
extras:
  type: yaml
  multiselect: true
  choices: "{{ ['a', 'b', 'c'] | to_json }}"
  validator: "{{ 'pick at most two' if extras | length > 2 else '' }}"
""",
    )
    draws = draw(template, [base], 20, 1)
    assert {d.answers["size"] for d in draws} == {"s"}
    assert all(len(d.answers["extras"]) <= 2 for d in draws)
    assert "budget" not in draws[0].answers


def test_the_only_choice_refused_is_an_error(tmp_path: Path) -> None:
    template, base = write_template(
        tmp_path / "t",
        """\
_envops:
  keep_trailing_newline: true
flavour:
  type: str
  choices:
    vanilla:
      value: vanilla
      validator: "{% if true %}vanilla is off the menu{% endif %}"
""",
        "flavour: vanilla\n",
    )
    with pytest.raises(SweepError, match=r"sweep-1.*'flavour'.*vanilla is off the menu") as error:
        draw(template, [base], 1, 0)
    assert error.value.exit_code == 2


def test_a_required_question_nothing_answers_is_an_error(tmp_path: Path) -> None:
    template, base = write_template(
        tmp_path / "t",
        """\
code:
  type: str
  validator: "{{ '' if code is string and code.startswith('Q') else 'must start with Q' }}"
""",
        "code: nope\n",
    )
    with pytest.raises(SweepError, match=r"'code'.*must start with Q"):
        draw(template, [base], 1, 0)


def test_when_is_read_as_copier_reads_it(tmp_path: Path) -> None:
    template, base = write_template(
        tmp_path / "t",
        """\
mode:
  type: str
  choices: [slow, fast]
detail:
  type: str
  default: plain
  when: "{{ 'yes' if mode == 'fast' else 'no' }}"
""",
        "detail: fancy\n",
    )
    for d in draw(template, [base], 10, 3):
        assert ("detail" in d.answers) == (d.answers["mode"] == "fast")


def test_an_unreadable_questionnaire_is_an_error(tmp_path: Path) -> None:
    template, base = write_template(tmp_path / "t", "question: [unclosed\n")
    with pytest.raises(SweepError, match="not valid YAML"):
        draw(template, [base], 1, 0)
    with pytest.raises(SweepError, match=r"no copier\.yml"):
        draw(tmp_path, [base], 1, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("false", False), ("", False), ("0", False), ("No", False), (" off ", False),
     ("none", False), ("true", True), ("1", True), ("y", True), (True, True), (0, False)],
)  # fmt: skip
def test_cast_to_bool(value: Any, expected: bool) -> None:
    assert cast_to_bool(value) is expected
