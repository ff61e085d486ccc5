"""Random valid answer combinations of a Copier template, drawn from its copier.yml.

`paved template test --sweep N --seed S` renders the template with each combination this
module draws and checks the result. The questionnaire in copier.yml is the only source of
truth: which questions there are, which values they allow (``choices``, per-choice
validators, ``validator``), when they are asked (``when``) and what they default to. No
question name is known here.

A draw starts from one example answers file (a *base*, picked at random) and walks the
questions in copier.yml order, as Copier asks them, keeping a context of every answer so far
that each question's expressions are rendered with. As when Copier asks the questions in
order, an expression sees the answers to the questions before it, and
``_copier_conf.data`` is the data the draw hands to Copier (so ``'x' in _copier_conf.data``
tells whether the draw carries ``x``). The Jinja environment is Copier's: a sandbox with
the Ansible core filters, templates imported from the template root, and copier.yml's
``_envops`` and ``_jinja_extensions``.

* A question whose ``when`` is false is not asked: its default (rendered and cast to the
  question's type) goes into the context only. Hidden computed values (``when: false`` with
  a default) therefore never reach the answers.
* A question with ``choices`` gets one random allowed choice, or, with ``multiselect``, a
  random subset of the allowed choices (of a random size, empty included) in the order of
  the choices. A choice is allowed when its own validator (``{value: ..., validator: ...}``)
  renders nothing and the question's validator accepts it. Values keep the type the
  question casts them to (``type: yaml`` choices stay numbers).
* A ``bool`` question without choices is a choice between false and true.
* A ``str`` question without choices keeps the base's value (or, when the base has none,
  the default Copier computes); once in :data:`EDGE_CHANCE` it takes an *edge length*
  instead: the longest value the validator accepts when letters are appended to it (up to
  :data:`LENGTH_CAP` characters), or its shortest accepted prefix.
* Questions of other types (``int``, ``float``, ``json``, ``yaml``, ``path``; a ``type``
  that is a Jinja expression is rendered first) are not drawn. Their default goes into the
  context and they are left out of the answers, so that Copier computes defaults that
  depend on other answers (a tier's objectives). A list or mapping the base gives (bucket
  boundaries) is kept. When the default is refused in this draw's context, the base's
  value is used instead.

Every value a draw keeps, draws or falls back on must pass the question's validator,
rendered with the context as Copier renders it (any output but whitespace is a refusal, and
the output is the reason). A refused multiselect subset is drawn again, up to
:data:`REDRAWS` times. A value that is refused, or missing where the question has no
default, falls back in order on the base's value and the default (the default first for a
question that is not drawn), the other bases' values for the question, and, for a string,
the string answers given so far; when none is accepted the draw stops with
a :class:`SweepError` that names the draw, the question and the validator's message.

Draws are reproducible: the same template, bases, count and seed give the same draws. All
randomness comes from one ``random.Random(seed)``, and questions, choices and bases are
walked in the order copier.yml and the caller give them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import yaml
from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.loaders import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import import_string
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from generator.errors import PavedError

#: The chance that a ``str`` question without choices takes an edge length.
EDGE_CHANCE = 1 / 3
#: How many times a refused multiselect subset is drawn again before falling back.
REDRAWS = 20
#: The longest value an edge length probes.
LENGTH_CAP = 300
#: How many refusals a SweepError lists.
MAX_REASONS = 8
#: The characters appended to a value to lengthen it, the first one the validator accepts.
FILLERS = ("x", "X", "0")
#: The Jinja extensions Copier loads for every template, before the template's own.
COPIER_EXTENSIONS = ("jinja2_ansible_filters.AnsibleCoreFiltersExtension",)

_CONFIG_FILES = ("copier.yml", "copier.yaml")
_TRUE = frozenset({"y", "yes", "t", "true", "on"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "~", "null", "none"})


@dataclass(frozen=True)
class Draw:
    """One drawn answer combination.

    ``answers`` is the data for ``copier.run_copy(data=...)``: the drawn values and the
    base's identity strings, in copier.yml order. Questions left to their defaults (numbers,
    unasked and computed questions) are absent, so Copier computes them. ``varied`` holds
    only what this draw chose rather than kept from the base.
    """

    name: str
    base: str
    answers: dict[str, Any]
    varied: dict[str, Any]


class SweepError(PavedError):
    """No valid answer combination can be drawn, or the questionnaire cannot be read."""

    exit_code = 2


class _Missing:
    """A question without a default."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING = _Missing()


class _UnsetError(UndefinedError):
    """A default that renders Copier's ``UNSET``: the question has no default."""


class _RefusedError(Exception):
    """A value the question does not accept; the message says why."""


@dataclass(frozen=True)
class _Candidate:
    """A value a question may take: where it comes from, the value as given, whether the
    answers carry it (a default is left for Copier to compute) and whether it is reported
    as varied."""

    what: str
    raw: Any
    carried: bool
    varied: bool


@dataclass(frozen=True)
class _Choice:
    """A choice as offered now: its label, its value cast to the question's type and the
    output of its own validator (non-empty: the choice is disabled)."""

    label: str
    value: Any
    refusal: str


def draw(template: Path, bases: Sequence[Path], count: int, seed: int) -> list[Draw]:
    """Draw ``count`` valid answer combinations for ``template`` from ``seed``.

    Each draw starts from one of ``bases`` (example answers files, YAML mappings of
    question names to answers), picked at random; draws are named ``sweep-1``,
    ``sweep-2``, ... The same arguments always give the same list.
    """
    if count <= 0:
        return []
    if not bases:
        raise SweepError("a sweep needs at least one example answers file to start from")
    questionnaire = _Questionnaire(template)
    loaded = [(path.stem, _load_answers(path)) for path in bases]
    rng = random.Random(seed)
    return [
        _Walk(questionnaire, f"sweep-{index}", rng, loaded).run() for index in range(1, count + 1)
    ]


def cast_to_bool(value: Any) -> bool:
    """Copier's reading of a rendered ``when`` (or a ``bool`` answer) as true or false.

    Numbers are false when zero; strings are read as YAML booleans and nulls (``""``,
    ``"false"``, ``"no"``, ``"n"``, ``"off"``, ``"~"``, ``"null"``, ``"none"`` are false,
    case and surrounding spaces ignored); anything else by Python's truth.
    """
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        lower = value.strip().lower()
        if not lower or lower in _FALSE:
            return False
        if lower in _TRUE:
            return True
    return bool(value)


def _cast_to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode()
    raise ValueError(f"could not convert {value!r} to a string")


_CASTS: Mapping[str, Callable[[Any], Any]] = {
    "bool": cast_to_bool,
    "float": float,
    "int": int,
    "json": json.loads,
    "str": _cast_to_str,
    "yaml": yaml.safe_load,
    "path": str,
}


def _cast(value: Any, type_name: str) -> Any:
    """Cast an answer to a question's type as Copier does (``json`` and ``yaml`` parse
    strings and keep other values as they are)."""
    if value is None and type_name not in {"json", "yaml"}:
        raise _RefusedError(f"None is not a valid {type_name} answer")
    try:
        return _CASTS[type_name](value)
    except (TypeError, AttributeError) as error:
        if type_name in {"json", "yaml"}:
            return value
        raise _RefusedError(f"{value!r} is not a valid {type_name} answer") from error
    except (ValueError, yaml.YAMLError) as error:
        raise _RefusedError(f"{value!r} is not a valid {type_name} answer: {error}") from error


def _yaml() -> YAML:
    """A safe loader that reads YAML 1.1, as Copier's PyYAML does (``on``, ``no`` are
    booleans, ``010`` is octal)."""
    loader = YAML(typ="safe", pure=True)
    loader.version = (1, 1)
    return loader


def _load_yaml(path: Path, what: str) -> list[Any]:
    """The documents of a YAML file."""
    try:
        return list(_yaml().load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise SweepError(f"{path}: cannot read the {what}: {error.strerror or error}") from error
    except YAMLError as error:
        raise SweepError(f"{path}: the {what} is not valid YAML: {error}") from error


def _load_answers(path: Path) -> dict[str, Any]:
    documents = _load_yaml(path, "answers file")
    data = documents[0] if documents else None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise SweepError(f"{path}: an answers file must be a YAML mapping of questions to answers")
    return {str(key): value for key, value in data.items()}


class _Questionnaire:
    """copier.yml's questions and a Jinja environment like the one Copier renders them with.

    copier.yml (or copier.yaml) is read as Copier reads it: YAML 1.1, its documents merged
    (a later one wins, ``_jinja_extensions`` add up). Keys starting with ``_`` are settings,
    the others questions, in file order; a question given as a bare value is its default.
    Copier's ``!include`` tag is not supported.
    """

    def __init__(self, template: Path) -> None:
        config_path = next(
            (template / name for name in _CONFIG_FILES if (template / name).is_file()), None
        )
        if config_path is None:
            raise SweepError(f"{template}: no copier.yml, so there are no questions to draw")
        data: dict[Any, Any] = {}
        extensions: list[Any] = []
        for document in _load_yaml(config_path, "questionnaire"):
            if document is None:
                continue
            if not isinstance(document, Mapping):
                raise SweepError(f"{config_path}: not a mapping of settings and questions")
            data.update(document)
            extensions.extend(document.get("_jinja_extensions") or ())
        if extensions:
            data["_jinja_extensions"] = extensions
        self.root = template.resolve()
        self.questions: dict[str, dict[str, Any]] = {}
        settings: dict[str, Any] = {}
        for key, spec in data.items():
            name = str(key)
            if name.startswith("_"):
                settings[name[1:]] = spec
            elif isinstance(spec, Mapping):
                self.questions[name] = {str(field): value for field, value in spec.items()}
            else:
                self.questions[name] = {"default": spec}
        self.env = self._environment(config_path, settings)
        self._compiled: dict[str, Template] = {}

    @staticmethod
    def _environment(config_path: Path, settings: Mapping[str, Any]) -> SandboxedEnvironment:
        """Copier's environment: its default extensions, the template's ``_jinja_extensions``
        and ``_envops`` (``keep_trailing_newline`` on unless turned off), templates loaded
        from the template root."""
        envops = settings.get("envops") or {}
        if not isinstance(envops, Mapping):
            raise SweepError(f"{config_path}: _envops must be a mapping of Jinja options")
        options: dict[str, Any] = {str(key): value for key, value in envops.items()}
        options.setdefault("keep_trailing_newline", True)
        undefined = options.get("undefined")
        if undefined is not None:
            if undefined not in {"jinja2.Undefined", "jinja2.StrictUndefined"}:
                raise SweepError(
                    f"{config_path}: _envops.undefined is {undefined!r}; Copier supports "
                    '"jinja2.Undefined" and "jinja2.StrictUndefined"'
                )
            options["undefined"] = import_string(undefined)
        extensions: list[Any] = list(COPIER_EXTENSIONS)
        try:
            from copier._jinja_ext import YieldExtension
        except ImportError:
            pass
        else:
            extensions.append(YieldExtension)
        extensions.extend(str(name) for name in settings.get("jinja_extensions") or ())
        loader = FileSystemLoader(str(config_path.parent.resolve()))
        try:
            env = SandboxedEnvironment(loader=loader, extensions=extensions, **options)
        except (ImportError, TypeError, AttributeError) as error:
            raise SweepError(
                f"{config_path}: cannot build its Jinja environment: {error}"
            ) from error

        paths: dict[str, type[PurePath]] = {
            "posix": PurePosixPath,
            "windows": PureWindowsPath,
            "native": PurePath,
        }

        def pathjoin(*parts: str, mode: Literal["posix", "windows", "native"] = "posix") -> str:
            return str(paths[mode](*parts))

        env.globals["pathjoin"] = pathjoin
        return env

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = self.env.from_string(source)
        return template.render(context)

    def render_value(self, value: Any, context: Mapping[str, Any]) -> Any:
        """A field as Copier renders it: strings as templates, lists item by item, other
        values as they are."""
        if isinstance(value, str):
            return self.render(value, context)
        if isinstance(value, list):
            return [self.render_value(item, context) for item in value]
        return value


class _Walk:
    """One draw: the questions in order, with the answers and the context so far."""

    def __init__(
        self,
        questionnaire: _Questionnaire,
        name: str,
        rng: random.Random,
        bases: Sequence[tuple[str, dict[str, Any]]],
    ) -> None:
        self.q = questionnaire
        self.name = name
        self.rng = rng
        self.base_name, self.base = bases[rng.randrange(len(bases))]
        self.others = [answers for stem, answers in bases if stem != self.base_name]
        self.answers: dict[str, Any] = {}
        self.varied: dict[str, Any] = {}
        self.context: dict[str, Any] = {
            "_copier_conf": {"data": self.answers, "src_path": PurePath(questionnaire.root)},
            "_copier_phase": "prompt",
            "_folder_name": name,
        }

    def run(self) -> Draw:
        for question, spec in self.q.questions.items():
            self._question(question, spec)
        return Draw(name=self.name, base=self.base_name, answers=self.answers, varied=self.varied)

    # --- rendering -------------------------------------------------------------------------

    def _fail(self, question: str, message: str) -> SweepError:
        return SweepError(f"{self.name} (from {self.base_name}): question {question!r}: {message}")

    def _render(self, question: str, field: str, value: Any, extra: Mapping[str, Any]) -> Any:
        try:
            return self.q.render_value(value, {**self.context, **extra})
        except _UnsetError:
            raise
        except TemplateError as error:
            raise self._fail(question, f"cannot render its {field}: {error}") from error

    def _type(self, question: str, spec: Mapping[str, Any]) -> str:
        """The question's type; without ``type``, Copier's guess from the default's type."""
        if "type" in spec:
            type_name = self._render(question, "type", spec["type"], {})
        else:
            guess = type(spec.get("default", _MISSING)).__name__
            type_name = guess if guess in _CASTS else "yaml"
        if type_name not in _CASTS:
            raise self._fail(question, f"unsupported type {type_name!r}")
        return str(type_name)

    def _parse(self, value: Any, type_name: str, multiselect: bool) -> Any:
        if not multiselect:
            return _cast(value, type_name)
        if isinstance(value, str):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as error:
                raise _RefusedError(f"{value!r} is not a YAML list: {error}") from error
        if not isinstance(value, list):
            raise _RefusedError(f"{value!r} is not a list")
        return [_cast(item, type_name) for item in value]

    def _default(self, question: str, spec: Mapping[str, Any], type_name: str) -> Any:
        """The rendered, cast default, or :data:`_MISSING`."""
        if "default" not in spec:
            return _MISSING
        unset = StrictUndefined(name="UNSET", exc=_UnsetError)
        try:
            raw = self._render(question, "default", spec["default"], {"UNSET": unset})
        except _UnsetError:
            return _MISSING
        try:
            return self._parse(raw, type_name, bool(spec.get("multiselect")))
        except _RefusedError as error:
            raise self._fail(question, f"its default cannot be read: {error}") from error

    def _refusal(self, question: str, spec: Mapping[str, Any], value: Any) -> str:
        """The validator's message for ``value`` (empty when it is accepted)."""
        validator = spec.get("validator", "")
        if not validator:
            return ""
        try:
            message = self.q.render_value(validator, {**self.context, question: value})
        except Exception as error:  # Copier reports any failure as a refusal.
            return str(error)
        return str(message).strip()

    # --- the questions ---------------------------------------------------------------------

    def _question(self, question: str, spec: Mapping[str, Any]) -> None:
        when = cast_to_bool(self._render(question, "when", spec.get("when", True), {}))
        type_name = self._type(question, spec)
        if not when:
            default = self._default(question, spec, type_name)
            if default is not _MISSING:
                self.context[question] = default
            return
        if spec.get("choices"):
            self._choose(question, spec, type_name)
        elif type_name == "bool":
            self._pick(question, spec, self._allowed_bools(question, spec))
        elif type_name == "str":
            self._string(question, spec)
        else:
            self._typed(question, spec)

    def _record(self, question: str, value: Any, *, varied: bool) -> None:
        self.answers[question] = value
        self.context[question] = value
        if varied:
            self.varied[question] = value

    def _choices(self, question: str, spec: Mapping[str, Any], type_name: str) -> list[_Choice]:
        """The question's choices as Copier offers them now, each with the output of its own
        validator (non-empty: the choice is disabled)."""
        raw = spec["choices"]
        if isinstance(raw, str):
            rendered = self._render(question, "choices", raw, {})
            try:
                raw = yaml.safe_load(rendered)
            except yaml.YAMLError as error:
                raise self._fail(question, f"its choices are not YAML: {error}") from error
        items = list(raw.items()) if isinstance(raw, Mapping) else raw
        if not isinstance(items, list):
            raise self._fail(question, f"its choices are not a list or a mapping: {raw!r}")
        choices: list[_Choice] = []
        seen: list[Any] = []
        for item in items:
            pair = isinstance(item, tuple | list)
            if pair and len(item) != 2:
                raise self._fail(question, f"choice {item!r} is not a label and a value")
            label, value = item if pair else (item, item)
            refusal = ""
            if pair and isinstance(value, Mapping):
                if "value" not in value:
                    raise self._fail(question, f"choice {label!r} has no 'value'")
                refusal = str(
                    self._render(
                        question, f"validator of choice {label!r}", value.get("validator", ""), {}
                    )
                )
                value = value["value"]
            try:
                cast = _cast(self._render(question, f"choice {label!r}", value, {}), type_name)
            except _RefusedError as error:
                raise self._fail(question, f"choice {label!r}: {error}") from error
            if cast in seen:
                continue
            seen.append(cast)
            choices.append(_Choice(str(label), cast, refusal))
        return choices

    def _choose(self, question: str, spec: Mapping[str, Any], type_name: str) -> None:
        choices = self._choices(question, spec, type_name)
        if spec.get("multiselect"):
            self._multiselect(question, spec, type_name, choices)
            return
        allowed: list[Any] = []
        reasons: list[str] = []
        for choice in choices:
            reason = choice.refusal or self._refusal(question, spec, choice.value)
            if reason:
                reasons.append(f"choice {choice.label!r} is refused: {reason}")
            else:
                allowed.append(choice.value)
        if not allowed:
            detail = "; ".join(reasons) or "it has no choices"
            raise self._fail(question, f"no choice is allowed ({detail})")
        self._record(question, self.rng.choice(allowed), varied=True)

    def _multiselect(
        self, question: str, spec: Mapping[str, Any], type_name: str, choices: list[_Choice]
    ) -> None:
        enabled = [choice.value for choice in choices if not choice.refusal]
        reasons: list[str] = []
        for _ in range(REDRAWS):
            picked = sorted(self.rng.sample(range(len(enabled)), self.rng.randint(0, len(enabled))))
            subset = [enabled[index] for index in picked]
            reason = self._refusal(question, spec, subset)
            if not reason:
                self._record(question, subset, varied=True)
                return
            reasons.append(reason)

        def select(value: Any) -> list[Any]:
            items = self._parse(value, type_name, multiselect=True)
            for item in items:
                if item not in enabled:
                    raise _RefusedError(f"{item!r} is not one of the allowed choices {enabled!r}")
            return [value for value in enabled if value in items]

        self._fallback(question, spec, select, reasons)

    def _allowed_bools(self, question: str, spec: Mapping[str, Any]) -> list[Any]:
        allowed = [value for value in (False, True) if not self._refusal(question, spec, value)]
        if not allowed:
            reason = self._refusal(question, spec, False)
            raise self._fail(question, f"neither false nor true is accepted: {reason}")
        return allowed

    def _pick(self, question: str, spec: Mapping[str, Any], allowed: list[Any]) -> None:
        self._record(question, self.rng.choice(allowed), varied=True)

    def _candidates(
        self, question: str, spec: Mapping[str, Any], *, base_first: bool, borrow: bool
    ) -> list[_Candidate]:
        """Where a value can come from, in order: the base and the default (the base first
        for kept values), the other bases, and with ``borrow`` the string answers so far."""
        base: list[_Candidate] = []
        if question in self.base:
            base.append(_Candidate(f"{self.base_name}'s value", self.base[question], True, False))
        default: list[_Candidate] = []
        value = self._default(question, spec, self._type(question, spec))
        if value is not _MISSING:
            default.append(_Candidate("the default", value, False, False))
        found = [*base, *default] if base_first else [*default, *base]
        found.extend(
            _Candidate("another example's value", other[question], True, True)
            for other in self.others
            if question in other
        )
        if borrow:
            found.extend(
                _Candidate(f"the answer to {key}", value, True, True)
                for key, value in self.context.items()
                if not key.startswith("_") and isinstance(value, str)
            )
        return found

    def _fallback(
        self,
        question: str,
        spec: Mapping[str, Any],
        parse: Callable[[Any], Any],
        reasons: list[str],
        *,
        base_first: bool = True,
        borrow: bool = False,
    ) -> Any:
        """Take the first candidate value the question accepts and return it. A carried
        value is in the answers while it is parsed and validated, as Copier sees data."""
        tried: set[str] = set()
        candidates = self._candidates(question, spec, base_first=base_first, borrow=borrow)
        for candidate in candidates:
            if candidate.carried:
                self.answers[question] = candidate.raw
            try:
                value = parse(candidate.raw)
                reason = self._refusal(question, spec, value)
            except _RefusedError as error:
                reason = str(error)
            if not reason:
                if candidate.carried:
                    self._record(question, value, varied=candidate.varied)
                else:
                    self.context[question] = value
                return value
            self.answers.pop(question, None)
            key = repr(candidate.raw)
            if key not in tried and len(reasons) < MAX_REASONS:
                reasons.append(f"{candidate.what} {candidate.raw!r} is refused: {reason}")
            tried.add(key)
        detail = "; ".join(reasons) if reasons else "it has no default and no example gives one"
        raise self._fail(question, f"no valid value: {detail}")

    def _string(self, question: str, spec: Mapping[str, Any]) -> None:
        def parse(value: Any) -> Any:
            return _cast(value, "str")

        value = self._fallback(question, spec, parse, [], borrow=True)
        if self.rng.random() >= EDGE_CHANCE:
            return
        shortest = self.rng.random() < 0.5

        def accepts(candidate: str) -> bool:
            return not self._refusal(question, spec, candidate)

        edge = _shortest(value, accepts) if shortest else _longest(value, accepts)
        if edge != value:
            self._record(question, edge, varied=True)

    def _typed(self, question: str, spec: Mapping[str, Any]) -> None:
        """Not drawn: the default, or the base's list or mapping, or a value the question
        accepts when the default is refused."""
        kept = self.base.get(question)
        base_first = isinstance(kept, list | dict)
        multiselect = bool(spec.get("multiselect"))

        def parse(value: Any) -> Any:
            return self._parse(value, self._type(question, spec), multiselect)

        self._fallback(question, spec, parse, [], base_first=base_first)


def _longest(value: str, accepts: Callable[[str], bool]) -> str:
    """``value`` lengthened with a filler character up to the last length the question
    accepts before refusing the next one, at most :data:`LENGTH_CAP` characters.

    Rules on a length refuse every longer value once they refuse one, so the boundary is
    found by doubling the number of fillers until a value is refused and bisecting between
    the last accepted and the first refused number: the result is accepted and one filler
    more is refused (or it is :data:`LENGTH_CAP` long).
    """
    room = LENGTH_CAP - len(value)
    for filler in FILLERS:
        if room <= 0 or not accepts(value + filler):
            continue
        good, bad = 1, room + 1
        step = 1
        while good < room:
            probe = min(good + step, room)
            if not accepts(value + filler * probe):
                bad = probe
                break
            good = probe
            step *= 2
        while bad - good > 1:
            middle = (good + bad) // 2
            if accepts(value + filler * middle):
                good = middle
            else:
                bad = middle
        return value + filler * good
    return value


def _shortest(value: str, accepts: Callable[[str], bool]) -> str:
    """The shortest prefix of ``value`` the question accepts (prefixes refused for other
    reasons than their length, such as a trailing hyphen, are skipped)."""
    for length in range(len(value)):
        if accepts(value[:length]):
            return value[:length]
    return value
