"""Effective values of Terraform attributes, from the files as they are.

python-hcl2 gives the values of a configuration but leaves expressions as text. The
readiness checks need a few of them evaluated ("what backup retention does prod get?"),
so this module evaluates the forms the service stack uses: literals, ``var.`` and
``local.`` references (a module's variables resolved from the call in the environment
root, else from their defaults), attribute and index access, arithmetic, comparisons,
``&&``, ``||``, ``!``, conditionals and a handful of functions (coalesce, contains,
tostring, ...). Anything else (data sources, resource attributes, for expressions) raises
:class:`UnknownValueError`, and the check says it cannot tell instead of guessing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from generator.readiness.sources.repo import Repo


class UnknownValueError(Exception):
    """An expression whose value cannot be known from the files alone."""


# --- expressions ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:()\[\],.{}=])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)

Node = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise UnknownValueError(f"cannot read expression {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


class _Parser:
    """Recursive descent over the HCL expression grammar, minus for expressions and objects."""

    BINARY: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise UnknownValueError(f"expected {value or 'more'} in expression")
        self.index += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == value

    def parse(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise UnknownValueError("unexpected text after expression")
        return node

    def expression(self) -> Node:
        condition = self.binary(0)
        if self.at("?"):
            self.take("?")
            then = self.expression()
            self.take(":")
            otherwise = self.expression()
            return ("if", condition, then, otherwise)
        return condition

    def binary(self, level: int) -> Node:
        if level == len(self.BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while (token := self.peek()) and token[0] == "op" and token[1] in self.BINARY[level]:
            self.take()
            node = ("op", token[1], node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.at("!"):
            self.take()
            return ("not", self.unary())
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.at("."):
                self.take()
                kind, value = self.take()
                if kind not in ("ident", "number"):
                    raise UnknownValueError("splat expressions are not evaluated")
                node = ("get", node, value)
            elif self.at("["):
                self.take()
                if self.at("*"):
                    raise UnknownValueError("splat expressions are not evaluated")
                node = ("index", node, self.expression())
                self.take("]")
            else:
                return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(value) if any(c in value for c in ".eE") else int(value))
        if kind == "string":
            return ("str", value)
        if kind == "ident":
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value == "null":
                return ("lit", None)
            if self.at("("):
                self.take()
                args: list[Node] = []
                while not self.at(")"):
                    args.append(self.expression())
                    if self.at("..."):
                        raise UnknownValueError("argument expansion is not evaluated")
                    if not self.at(")"):
                        self.take(",")
                self.take(")")
                return ("call", value, args)
            return ("name", value)
        if value == "(":
            node = self.expression()
            self.take(")")
            return node
        if value == "[":
            token = self.peek()
            if token is not None and token == ("ident", "for"):
                raise UnknownValueError("for expressions are not evaluated")
            items: list[Node] = []
            while not self.at("]"):
                items.append(self.expression())
                if not self.at("]"):
                    self.take(",")
            self.take("]")
            return ("list", items)
        raise UnknownValueError(f"{value!r} expressions are not evaluated")


class Scope(Protocol):
    """Where ``var.`` and ``local.`` references are looked up."""

    def var(self, name: str) -> Any: ...

    def local(self, name: str) -> Any: ...


def _string(text: str) -> str:
    return text.replace("\\\\", "\0").replace('\\"', '"').replace("\\n", "\n").replace("\0", "\\")


def _template(body: str, scope: Scope) -> str:
    """A quoted string's contents with its ``${...}`` interpolations evaluated."""
    out: list[str] = []
    position = 0
    while (start := body.find("${", position)) != -1:
        out.append(_string(body[position:start]))
        depth, end = 0, start + 2
        while end < len(body):
            if body[end] == "{":
                depth += 1
            elif body[end] == "}":
                if depth == 0:
                    break
                depth -= 1
            end += 1
        if end >= len(body):
            raise UnknownValueError("unterminated interpolation")
        out.append(tostring(evaluate(body[start + 2 : end], scope)))
        position = end + 1
    out.append(_string(body[position:]))
    return "".join(out)


def tostring(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        raise UnknownValueError("null in a string")
    if isinstance(value, list | dict):
        raise UnknownValueError("a collection in a string")
    return str(value)


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise UnknownValueError("coalesce: every argument is null")


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if isinstance(mapping, dict) and tostring(key) in mapping:
        return mapping[tostring(key)]
    if default:
        return default[0]
    raise UnknownValueError(f"lookup: no key {key!r}")


def _tonumber(value: Any) -> Any:
    if isinstance(value, bool):
        raise UnknownValueError("tonumber of a bool")
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise UnknownValueError(f"tonumber({value!r})") from error
    return int(number) if number.is_integer() else number


def _merge(*maps: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for mapping in maps:
        if not isinstance(mapping, dict):
            raise UnknownValueError("merge of a non-map")
        merged.update(mapping)
    return merged


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "coalesce": _coalesce,
    "contains": lambda collection, value: value in collection,
    "length": len,
    "lookup": _lookup,
    "max": max,
    "min": min,
    "merge": _merge,
    "tolist": list,
    "toset": lambda values: list(dict.fromkeys(values)),
    "tonumber": _tonumber,
    "tostring": tostring,
}


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnknownValueError(f"{value!r} is not a number")
    return value


def _apply(operator: str, left: Any, right: Any) -> Any:
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator in ("&&", "||"):
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise UnknownValueError(f"{operator} of non-bools")
        return (left and right) if operator == "&&" else (left or right)
    a, b = _number(left), _number(right)
    if operator == "<":
        return a < b
    if operator == ">":
        return a > b
    if operator == "<=":
        return a <= b
    if operator == ">=":
        return a >= b
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if b == 0:
        raise UnknownValueError("division by zero")
    return a / b if operator == "/" else a % b


def _eval(node: Node, scope: Scope) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "str":
        return _template(node[1][1:-1], scope)
    if kind == "list":
        return [_eval(item, scope) for item in node[1]]
    if kind == "if":
        condition = _eval(node[1], scope)
        if not isinstance(condition, bool):
            raise UnknownValueError("a condition that is not a bool")
        return _eval(node[2] if condition else node[3], scope)
    if kind == "not":
        value = _eval(node[1], scope)
        if not isinstance(value, bool):
            raise UnknownValueError("! of a non-bool")
        return not value
    if kind == "neg":
        return -_number(_eval(node[1], scope))
    if kind == "op":
        return _apply(node[1], _eval(node[2], scope), _eval(node[3], scope))
    if kind == "call":
        name, args = node[1], node[2]
        if name == "try":
            for arg in args:
                try:
                    return _eval(arg, scope)
                except UnknownValueError:
                    continue
            raise UnknownValueError("try: no argument evaluates")
        if name not in FUNCTIONS:
            raise UnknownValueError(f"{name}() is not evaluated")
        try:
            return FUNCTIONS[name](*(_eval(arg, scope) for arg in args))
        except (TypeError, ValueError) as error:
            raise UnknownValueError(f"{name}(): {error}") from error
    if kind == "get":
        target = node[1]
        if target[0] == "name":
            if target[1] == "var":
                return scope.var(node[2])
            if target[1] == "local":
                return scope.local(node[2])
            raise UnknownValueError(f"{target[1]}.{node[2]} is only known after apply")
        value = _eval(target, scope)
        if isinstance(value, dict) and node[2] in value:
            return _known(value[node[2]])
        if isinstance(value, list) and node[2].isdigit() and int(node[2]) < len(value):
            return _known(value[int(node[2])])
        raise UnknownValueError(f"no attribute {node[2]!r}")
    if kind == "index":
        value = _eval(node[1], scope)
        key = _eval(node[2], scope)
        if isinstance(value, dict):
            if tostring(key) in value:
                return _known(value[tostring(key)])
        elif isinstance(value, list) and isinstance(key, int | float) and 0 <= key < len(value):
            return _known(value[int(key)])
        raise UnknownValueError(f"no element {key!r}")
    raise UnknownValueError(f"{kind} is not evaluated")


@dataclass(frozen=True)
class _Unresolved:
    """A collection element whose value is unknown; reading it raises."""

    reason: str


def _known(value: Any) -> Any:
    if isinstance(value, _Unresolved):
        raise UnknownValueError(value.reason)
    return value


def evaluate(text: str, scope: Scope) -> Any:
    """The value of an HCL expression (without its ``${ }``)."""
    return _eval(_Parser(text).parse(), scope)


def unquote(text: str) -> str:
    """A python-hcl2 label or key without its quotes."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def value_of(raw: Any, scope: Scope) -> Any:
    """The value of an attribute as python-hcl2 returns it (literal, quoted string, ``${}``)."""
    if raw is None or isinstance(raw, bool | int | float):
        return raw
    if isinstance(raw, str):
        if raw.startswith("${") and raw.endswith("}"):
            return evaluate(raw[2:-1], scope)
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            return _template(raw[1:-1], scope)
        return evaluate(raw, scope)
    if isinstance(raw, list):
        return [_lazy(item, scope) for item in raw]
    if isinstance(raw, dict):
        return {
            unquote(key): _lazy(item, scope)
            for key, item in raw.items()
            if key not in ("__is_block__", "__comments__")
        }
    raise UnknownValueError(f"{type(raw).__name__} values are not evaluated")


def _lazy(raw: Any, scope: Scope) -> Any:
    try:
        return value_of(raw, scope)
    except UnknownValueError as error:
        return _Unresolved(str(error))


def raw_text(raw: Any) -> str:
    """An attribute as written, for evidence (``${x}`` without the interpolation marks)."""
    if isinstance(raw, str):
        return raw[2:-1] if raw.startswith("${") and raw.endswith("}") else raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if raw is None:
        return "null"
    return str(raw)


# --- configurations -------------------------------------------------------------------

_MISSING = object()


@dataclass(frozen=True)
class Block:
    """A labelled top-level block (resource, module, variable, provider) and where it is."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str

    @property
    def name(self) -> str:
        return self.labels[-1] if self.labels else ""

    @property
    def address(self) -> str:
        return ".".join(self.labels)


def _blocks(kind: str, entries: Any, file: str, depth: int) -> Iterator[Block]:
    """python-hcl2's nested ``{label: {label: body}}`` form, flattened."""
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict):
            continue
        stack: list[tuple[tuple[str, ...], Any]] = [((), entry)]
        while stack:
            labels, node = stack.pop(0)
            if len(labels) == depth:
                if isinstance(node, dict):
                    yield Block(kind, labels, node, file)
                continue
            if isinstance(node, dict):
                for key, value in node.items():
                    if key not in ("__is_block__", "__comments__"):
                        stack.append(((*labels, unquote(key)), value))


LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "provider": 1, "output": 1}


@dataclass
class Configuration:
    """The ``*.tf`` files of one directory (an environment root or a module)."""

    repo: Repo
    directory: str
    files: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.files = self.repo.glob(f"{self.directory}/*.tf")

    @property
    def exists(self) -> bool:
        return bool(self.files)

    def blocks(self, kind: str) -> list[Block]:
        found: list[Block] = []
        for file in self.files:
            parsed = self.repo.hcl(file) or {}
            found.extend(_blocks(kind, parsed.get(kind, []), file, LABELS.get(kind, 1)))
        return found

    def resources(self, resource_type: str) -> list[Block]:
        return [b for b in self.blocks("resource") if b.labels[0] == resource_type]

    def variables(self) -> dict[str, Block]:
        return {b.name: b for b in self.blocks("variable")}

    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for file in self.files:
            for entry in (self.repo.hcl(file) or {}).get("locals", []):
                if isinstance(entry, dict):
                    merged.update(
                        {
                            k: v
                            for k, v in entry.items()
                            if k not in ("__is_block__", "__comments__")
                        }
                    )
        return merged

    def block_line(self, block: Block) -> int | None:
        labels = r"\s+".join(f'"{re.escape(label)}"' for label in block.labels)
        return self.repo.find_line(block.file, rf"^\s*{block.kind}\s+{labels}\s*\{{")

    def attribute_line(self, block: Block, attribute: str) -> int | None:
        """The line of ``attribute = ...`` inside ``block`` (terraform fmt layout)."""
        start = self.block_line(block)
        if start is None:
            return None
        end = self.repo.find_line(block.file, r"^\}", start=start + 1)
        return self.repo.find_line(
            block.file, rf"^\s*{re.escape(attribute)}\s*=", start=start + 1, end=end
        )


class RootScope:
    """References inside an environment root: its variables' defaults and its locals."""

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self._variables = configuration.variables()
        self._locals = configuration.locals()
        self._cache: dict[str, Any] = {}

    def var(self, name: str) -> Any:
        block = self._variables.get(name)
        if block is None:
            raise UnknownValueError(f"var.{name} is not declared")
        default = block.body.get("default", _MISSING)
        if default is _MISSING:
            raise UnknownValueError(f"var.{name} has no default (set at apply time)")
        return value_of(default, self)

    def local(self, name: str) -> Any:
        return _local(self, self._locals, self._cache, name)


def _local(scope: Scope, raw: dict[str, Any], cache: dict[str, Any], name: str) -> Any:
    """A local's value, evaluated once; the call arguments it read are remembered with it,
    so a later read reports them again (see :attr:`ModuleScope.used`)."""
    if name not in raw:
        raise UnknownValueError(f"local.{name} is not defined")
    used: set[str] | None = getattr(scope, "used", None)
    if name not in cache:
        cache[name] = (_Unresolved(f"local.{name} refers to itself"), set())
        reads: set[str] = set()
        if used is not None:
            scope.used = reads  # type: ignore[attr-defined]
        try:
            value: Any = value_of(raw[name], scope)
        except UnknownValueError as error:
            value = _Unresolved(str(error))
        finally:
            if used is not None:
                scope.used = used  # type: ignore[attr-defined]
        cache[name] = (value, reads)
    value, reads = cache[name]
    if used is not None:
        used |= reads
    return _known(value)


class ModuleScope:
    """References inside a module instance: variables from the call, else their defaults.

    ``used`` collects the call arguments an evaluation read, so evidence can point at the
    line in the environment root that decided a value.
    """

    def __init__(self, module: Configuration, call: Block, caller: Scope) -> None:
        self.module = module
        self.call = call
        self.caller = caller
        self._variables = module.variables()
        self._locals = module.locals()
        self._cache: dict[str, Any] = {}
        self.used: set[str] = set()

    def var(self, name: str) -> Any:
        if name in self.call.body:
            self.used.add(name)
            return value_of(self.call.body[name], self.caller)
        block = self._variables.get(name)
        if block is None:
            raise UnknownValueError(f"var.{name} is not declared in {self.module.directory}")
        default = block.body.get("default", _MISSING)
        if default is _MISSING:
            raise UnknownValueError(f"var.{name} is required and not set by the call")
        return value_of(default, self)

    def local(self, name: str) -> Any:
        return _local(self, self._locals, self._cache, name)

    def value(self, block: Block, attribute: str, default: Any = _MISSING) -> Any:
        """The effective value of ``block.attribute`` in this instance."""
        if attribute not in block.body:
            if default is _MISSING:
                raise UnknownValueError(f"{block.address} does not set {attribute}")
            return default
        return value_of(block.body[attribute], self)

    def count(self, block: Block) -> int | None:
        """How many instances of ``block`` exist (``None``: cannot tell)."""
        try:
            if "count" in block.body:
                return int(_number(self.value(block, "count")))
            if "for_each" in block.body:
                return len(self.value(block, "for_each"))
        except UnknownValueError:
            return None
        return 1


@dataclass(frozen=True)
class ModuleInstance:
    """A local module called from an environment root (or, nested, from such a module)."""

    root: Configuration
    call: Block
    module: Configuration
    scope: ModuleScope
    # Where a nested instance sits inside the module the root calls, e.g.
    # "module.data_bucket.", and the configuration whose call made it; empty and None for
    # the root's own call.
    path: str = ""
    caller: Configuration | None = None

    def call_line(self, attribute: str | None = None) -> int | None:
        caller = self.caller or self.root
        if attribute is None:
            return caller.block_line(self.call)
        return caller.attribute_line(self.call, attribute)


def module_instances(repo: Repo, root_directory: str) -> list[ModuleInstance]:
    """The local modules an environment root calls (remote sources are not in the repo)."""
    root = Configuration(repo, root_directory)
    scope = RootScope(root)
    instances: list[ModuleInstance] = []
    for call in root.blocks("module"):
        try:
            source = value_of(call.body.get("source"), scope)
        except UnknownValueError:
            continue
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            continue
        directory = posixpath.normpath(posixpath.join(root_directory, source))
        module = Configuration(repo, directory)
        if module.exists:
            instances.append(ModuleInstance(root, call, module, ModuleScope(module, call, scope)))
    return instances


def _local_source(call: Block, scope: Scope) -> str | None:
    try:
        source = value_of(call.body.get("source"), scope)
    except UnknownValueError:
        return None
    return source if isinstance(source, str) and source.startswith(("./", "../")) else None


def nested_instances(instance: ModuleInstance) -> list[ModuleInstance]:
    """``instance`` and the local modules it calls, recursively, that exist in it (a call
    whose count evaluates to 0 is left out; one whose count cannot be told is kept)."""
    found = [instance]
    for call in instance.module.blocks("module"):
        source = _local_source(call, instance.scope)
        if source is None or instance.scope.count(call) == 0:
            continue
        directory = posixpath.normpath(posixpath.join(instance.module.directory, source))
        module = Configuration(instance.module.repo, directory)
        if module.exists:
            child = ModuleInstance(
                instance.root,
                call,
                module,
                ModuleScope(module, call, instance.scope),
                f"{instance.path}module.{call.name}.",
                instance.module,
            )
            found.extend(nested_instances(child))
    return found
