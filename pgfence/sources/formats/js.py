"""Reading JS/TS migrations without running them: tree-sitter trees and literal values.

The grammars come from the tree-sitter-javascript and tree-sitter-typescript wheels; nothing
is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pgfence.checks import Hit, raised
from pgfence.checks.inputs import ParseError
from pgfence.errors import BadInput
from pgfence.model import Finding, Location, Statement, Transaction
from pgfence.sources.formats.base import (
    RunTime,
    Unknown,
    ignores_at,
    raw_statements,
    sql_literal,
    with_placeholders,
)
from pgfence.sources.limits import MAX_JS_NESTING, code_too_deep, deeper_than

__all__ = ["RunTime", "Unknown", "sql_literal"]


@dataclass(frozen=True)
class Dynamic:
    """A template literal with `${}` substitutions: its text with placeholders."""

    text: str
    substitutions: tuple[str, ...]


@dataclass(frozen=True)
class Ref:
    """`Sequelize.STRING(64)`, `new TableColumn({...})`, `knex.fn.now()`: a named thing."""

    name: str  # the dotted callee or member, e.g. "Sequelize.STRING"
    args: tuple[Any, ...] = ()
    called: bool = False

    @property
    def last(self) -> str:
        return self.name.rsplit(".", 1)[-1]


Node = Any  # tree_sitter.Node (the package ships no type stubs)


def parse(text: str, path: str) -> Node:
    from tree_sitter import Language, Parser

    if path.endswith((".ts", ".mts", ".cts")):
        import tree_sitter_typescript

        language = Language(tree_sitter_typescript.language_typescript())
    else:
        import tree_sitter_javascript

        language = Language(tree_sitter_javascript.language())
    root = Parser(language).parse(text.encode()).root_node
    deep = deeper_than(MAX_JS_NESTING, root, lambda node: node.children)
    if deep is not None:  # pgfence's readers of the tree recurse
        line = deep.start_point[0] + 1
        raise BadInput(code_too_deep("JavaScript", MAX_JS_NESTING), file=path, line=line)
    return root


def first_error(node: Node) -> Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = first_error(child)
        if found is not None:
            return found
    return node


@dataclass
class Source:
    path: str
    text: str
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def location(self, node: Node) -> Location:
        row, byte_column = node.start_point
        line = self.lines[row] if row < len(self.lines) else ""
        column = len(line.encode()[:byte_column].decode(errors="replace")) + 1
        return Location(self.path, row + 1, column)

    def parse_error(self, root: Node) -> Finding | None:
        bad = first_error(root)
        if bad is None:
            return None
        hit = Hit(
            "not valid JavaScript/TypeScript here: pgfence read the rest of the file, but "
            "calls near this line may be missing"
        )
        return raised(ParseError, hit, self.location(bad))


def text(node: Node) -> str:
    return str(node.text.decode())


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v"}


def unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw, flags=re.S)


def dotted(node: Node) -> str:
    if node.type in ("identifier", "property_identifier", "this", "shorthand_property_identifier"):
        return text(node)
    if node.type == "member_expression":
        obj = dotted(node.child_by_field_name("object"))
        return f"{obj}.{text(node.child_by_field_name('property'))}" if obj else ""
    if node.type in ("call_expression", "await_expression", "parenthesized_expression"):
        inner = node.child_by_field_name("function") or node.named_children[0]
        return dotted(inner)
    if node.type == "non_null_expression":
        return dotted(node.named_children[0])
    return ""


@dataclass
class Scope:
    constants: dict[str, Any] = field(default_factory=dict)

    def learn(self, body: Node) -> None:
        """`const X = <literal>` declarations directly in `body`."""
        for statement in body.named_children:
            node = statement
            if node.type == "export_statement":
                node = node.child_by_field_name("declaration") or node
            if node.type not in ("lexical_declaration", "variable_declaration"):
                continue
            for declarator in node.named_children:
                if declarator.type != "variable_declarator":
                    continue
                name = declarator.child_by_field_name("name")
                value = declarator.child_by_field_name("value")
                if name is None or value is None or name.type != "identifier":
                    continue
                try:
                    self.constants[text(name)] = self.value(value)
                except Unknown:
                    self.constants.pop(text(name), None)

    def value(self, node: Node) -> Any:
        kind = node.type
        if kind == "string":
            return unescape(text(node)[1:-1])
        if kind == "template_string":
            return self._template(node)
        if kind == "number":
            number = text(node).replace("_", "")
            return float(number) if "." in number else int(number, 0)
        if kind in ("true", "false"):
            return kind == "true"
        if kind in ("null", "undefined"):
            return None
        if kind == "array":
            return [self.value(child) for child in node.named_children]
        if kind == "object":
            return self._object(node)
        if kind == "identifier":
            if text(node) in self.constants:
                return self.constants[text(node)]
            if text(node) == "undefined":
                return None
            raise Unknown(f"the variable `{text(node)}`")
        if kind in (
            "parenthesized_expression",
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
        ):
            return self.value(node.named_children[0])
        if kind == "unary_expression" and text(node).startswith("-"):
            return -self.value(node.named_children[0])
        if kind == "binary_expression" and node.child_by_field_name("operator").type == "+":
            left = self.value(node.child_by_field_name("left"))
            right = self.value(node.child_by_field_name("right"))
            if isinstance(left, str | Dynamic) or isinstance(right, str | Dynamic):
                return _concat(left, right)
        if kind == "member_expression":
            return Ref(dotted(node))
        if kind in ("call_expression", "new_expression"):
            callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            arguments = node.child_by_field_name("arguments")
            args = tuple(self.value(a) for a in arguments.named_children) if arguments else ()
            return Ref(dotted(callee), args, called=True)
        raise Unknown(f"`{text(node)[:60]}`")

    def _object(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                name = self.value(key) if key.type == "string" else text(key)
                if key.type == "computed_property_name":
                    name = dotted(key.named_children[0]) or text(key)
                out[str(name)] = self.value(child.child_by_field_name("value"))
            elif child.type == "shorthand_property_identifier":
                out[text(child)] = self.constants.get(text(child), Ref(text(child)))
            elif child.type == "comment":
                continue
            else:
                raise Unknown(f"`{text(child)[:60]}` in an object")
        return out

    def _template(self, node: Node) -> str | Dynamic:
        parts: list[str] = []
        substitutions: list[str] = []
        for child in node.named_children:
            if child.type == "template_substitution":
                try:
                    parts.append(str(self.value(child.named_children[0])))
                    continue
                except (Unknown, IndexError):
                    expression = text(child)[2:-1].strip()
                substitutions.append(expression)
                parts.append(re.sub(r"\W+", "_", expression).strip("_") or "placeholder")
            elif child.type == "escape_sequence":
                parts.append(unescape(text(child)))
            else:
                parts.append(text(child))
        raw = "".join(parts)
        return Dynamic(raw, tuple(substitutions)) if substitutions else raw


def run_time(value: Any) -> str | None:
    """What a value bound to a data query is, if it is known only at run time (a knex
    `fn.now()` or `raw()` is SQL, not such a value)."""
    if isinstance(value, RunTime):
        return value.what
    if isinstance(value, Ref) and not value.name.endswith("fn.now") and value.last != "raw":
        return f"`{value.name}{'()' if value.called else ''}`"
    if isinstance(value, Dynamic):
        return f"a string built at run time (${{{value.substitutions[0]}}})"
    return None


def _concat(left: Any, right: Any) -> str | Dynamic:
    subs: tuple[str, ...] = ()
    pieces = []
    for part in (left, right):
        if isinstance(part, Dynamic):
            subs += part.substitutions
            pieces.append(part.text)
        elif isinstance(part, str | int | float):
            pieces.append(str(part))
        else:
            raise Unknown("a string joined with a value known only at run time")
    return Dynamic("".join(pieces), subs) if subs else "".join(pieces)


def sql_text(value: Any) -> tuple[str, tuple[str, ...]]:
    """SQL given to a query call: (text, the `${}` expressions replaced by placeholders)."""
    if isinstance(value, Dynamic):
        return value.text, value.substitutions
    if isinstance(value, str):
        return value, ()
    raise Unknown("SQL that is not a string literal")


_NUMBERED = re.compile(r"\$(\d+)")


def with_numbered(sql: str, values: list[Any], unknown: list[str] | None = None) -> str:
    """`$1`, `$2`, … of a parameterised query replaced by its values, as SQL literals. A
    value known only at run time is NULL, named in `unknown` (without it: Unknown)."""

    def replace(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(values):
            raise Unknown(f"${n} without a parameter")
        what = run_time(values[n - 1])
        if what is not None and unknown is not None:
            unknown.append(what)
            return "NULL"
        return sql_literal(values[n - 1])

    return _NUMBERED.sub(replace, sql)


# JavaScript's own functions and methods that compute a value and send nothing: a call of
# one, whose arguments call nothing else, is not a migration call.
_PURE_FUNCTIONS = frozenset(
    {
        *(f"Object.{m}" for m in ("keys", "values", "entries", "assign", "freeze", "fromEntries")),
        *(f"JSON.{m}" for m in ("stringify", "parse")),
        *(f"Array.{m}" for m in ("from", "isArray", "of")),
        *(f"Number.{m}" for m in ("isInteger", "parseInt", "parseFloat")),
        "String",
        "Number",
        "Boolean",
        "parseInt",
        "parseFloat",
        "Date.now",
    }
)
_PURE_METHODS = frozenset(
    {
        "toLowerCase",
        "toUpperCase",
        "trim",
        "trimStart",
        "trimEnd",
        "padStart",
        "padEnd",
        "replace",
        "replaceAll",
        "split",
        "substring",
        "slice",
        "startsWith",
        "endsWith",
        "includes",
        "indexOf",
        "charAt",
        "toString",
        "toFixed",
        "toISOString",
        "join",
        "concat",
    }
)


def pure(call: Node) -> bool:
    """A call of one of JavaScript's own value functions (`s.toLowerCase()`,
    `Object.entries(o)`), with no other call in its arguments or its receiver."""
    function = call.child_by_field_name("function")
    if function is None:
        return False
    if dotted(function) not in _PURE_FUNCTIONS:
        if function.type != "member_expression":
            return False
        if text(function.child_by_field_name("property")) not in _PURE_METHODS:
            return False
        if not _sends_nothing(function.child_by_field_name("object")):
            return False
    return all(_sends_nothing(a) for a in arguments(call))


def _sends_nothing(node: Node) -> bool:
    """An expression that calls nothing, or only JavaScript's own value functions."""
    node = unwrap(node)
    if node.type == "call_expression":
        return pure(node)
    return not any(n.type in ("call_expression", "new_expression") for n in walk(node))


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def walk(node: Node) -> Any:
    yield node
    for child in node.children:
        yield from walk(child)


def leaves_early(body: Node) -> bool:
    """A loop body that can end the loop before its last value (`return`, `break`, not in
    a function of its own): which values it runs for is decided when it runs (outline's
    "try each constraint name until one works")."""
    stack = list(body.children)
    while stack:
        node = stack.pop()
        if node.type in ("return_statement", "break_statement"):
            return True
        if node.type not in _FUNCTIONS:
            stack.extend(node.children)
    return False


def first_param(function: Node) -> str | None:
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return None
    if params.type == "identifier":
        return text(params)
    for param in params.named_children:
        pattern = param.child_by_field_name("pattern") if param.type != "identifier" else param
        if pattern is not None and pattern.type == "identifier":
            return text(pattern)
        return None
    return None


_FUNCTIONS = (
    "function_expression",
    "arrow_function",
    "function_declaration",
    "method_definition",
    "function",
)


def find_up(root: Node) -> Node | None:
    """The `up` migration function: a method, `exports.up =`, an exported function, a property."""
    for node in walk(root):
        if node.type == "method_definition" and text(node.child_by_field_name("name")) == "up":
            return node
        if node.type == "function_declaration" and text(node.child_by_field_name("name")) == "up":
            return node
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if dotted(left) in ("exports.up", "module.exports.up") and right.type in _FUNCTIONS:
                return right
        if node.type == "pair" and text(node.child_by_field_name("key")) == "up":
            value = node.child_by_field_name("value")
            if value.type in _FUNCTIONS:
                return value
        if node.type == "variable_declarator" and text(node.child_by_field_name("name")) == "up":
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTIONS:
                return value
    return None


def statements_of(body: Node) -> list[Node]:
    """The statements of a function body (an arrow's expression body is one statement)."""
    if body.type == "statement_block":
        return [c for c in body.named_children if c.type != "comment"]
    return [body]


def unwrap(node: Node) -> Node:
    """`await x`, `return x`, `x;`, `(x)` -> x."""
    while node.type in (
        "expression_statement",
        "await_expression",
        "return_statement",
        "parenthesized_expression",
    ):
        if not node.named_children:
            return node
        node = node.named_children[0]
    return node


def chain(call: Node) -> tuple[Node, list[tuple[str, Node]]]:
    """`a.b(x).c(y)` -> (a, [("b", call_b), ("c", call_c)]), innermost first."""
    links: list[tuple[str, Node]] = []
    node = call
    while True:
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function.type == "member_expression":
                links.append((text(function.child_by_field_name("property")), node))
                node = function.child_by_field_name("object")
                continue
            links.append(("", node))
            node = function
            break
        if node.type == "member_expression":
            links.append((text(node.child_by_field_name("property")), node))
            node = node.child_by_field_name("object")
            continue
        if node.type in ("await_expression", "parenthesized_expression", "non_null_expression"):
            node = node.named_children[0]
            continue
        break
    links.reverse()
    return node, links


def parse_migration(
    source: Source, extraction: Any, what: str = "function"
) -> tuple[Node, Node | None]:
    """Parse a migration file: its syntax tree and its up(), or None.

    A syntax error and a missing up() become findings of `extraction`.
    """
    root = parse(source.text, source.path)
    error = source.parse_error(root)
    if error is not None:
        extraction.findings.append(error)
    up = find_up(root)
    if up is None:
        extraction.gap(source.location(root), f"no up() migration {what} in this file")
    return root, up


def rethrowing_try(node: Node) -> list[Node] | None:
    """`try { … } catch (e) { …; throw e; }`: the migration either runs the whole try body
    (and its finally) or fails, so those are what a successful run sends; None when the
    catch can swallow the error (a conditional)."""
    if node.type != "try_statement":
        return None
    handler = node.child_by_field_name("handler")
    body = handler.child_by_field_name("body") if handler is not None else None
    if body is None:
        return None
    last = [c for c in body.named_children if c.type != "comment"][-1:]
    if not last or last[0].type != "throw_statement":
        return None
    finalizer = node.child_by_field_name("finalizer")
    out = [node.child_by_field_name("body")]
    if finalizer is not None:
        out.append(finalizer.child_by_field_name("body"))
    return [branch for branch in out if branch is not None]


def branches(node: Node) -> list[Node]:
    """The statements an if, try or switch may run: every branch, braces or not.

    An `else if` chain is one conditional: its branches are those of every `if` in it.
    """
    out: list[Node] = []
    if node.type == "if_statement":
        out.append(node.child_by_field_name("consequence"))
        alternative = node.child_by_field_name("alternative")  # an else_clause
        for child in alternative.named_children if alternative is not None else []:
            if child.type == "if_statement":
                out.extend(branches(child))
            elif child.type != "comment":
                out.append(child)
    elif node.type == "try_statement":
        out.append(node.child_by_field_name("body"))
        for field_name in ("handler", "finalizer"):  # catch_clause, finally_clause
            clause = node.child_by_field_name(field_name)
            if clause is not None:
                out.append(clause.child_by_field_name("body"))
    elif node.type == "switch_statement":
        for case in node.child_by_field_name("body").named_children:
            if case.type in ("switch_case", "switch_default"):
                out.extend(case.children_by_field_name("body"))
    return [branch for branch in out if branch is not None]


# Database dialect names as projects compare them (`config.db.type === 'mysql'`, a knex
# client, a Sequelize dialect, a TypeORM driver type): code that branches on them runs the
# PostgreSQL branch under pgfence's analysis.
POSTGRES_DIALECTS = frozenset({"postgres", "postgresql", "pg", "pgsql"})
DIALECTS = POSTGRES_DIALECTS | {
    "mysql",
    "mysql2",
    "mariadb",
    "mssql",
    "sqlite",
    "sqlite3",
    "better-sqlite3",
    "oracle",
    "oracledb",
    "cockroachdb",
    "sqlserver",
    "tedious",
}


def _literal(node: Node) -> str | None:
    if node.type == "string":
        return unescape(text(node)[1:-1])
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return text(node)[1:-1]
    return None


def declarations(body: Node) -> dict[str, Node]:
    """`const name = <expression>` directly in `body`: name -> the expression's node."""
    out: dict[str, Node] = {}
    for statement in body.named_children:
        if statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                name = declarator.child_by_field_name("name")
                value = declarator.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier":
                    out[text(name)] = value
    return out


def on_postgres(node: Node, declared: dict[str, Node], depth: int = 0) -> bool | None:
    """What a condition on the database dialect is on PostgreSQL; None: not such a condition."""
    if depth > 8:
        return None
    kind = node.type
    if kind == "parenthesized_expression" and node.named_children:
        return on_postgres(node.named_children[0], declared, depth + 1)
    if kind == "unary_expression" and text(node).startswith("!") and node.named_children:
        inner = on_postgres(node.named_children[0], declared, depth + 1)
        return None if inner is None else not inner
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator").type
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator in ("||", "&&"):
            a = on_postgres(left, declared, depth + 1)
            b = on_postgres(right, declared, depth + 1)
            if operator == "||":
                return True if True in (a, b) else (None if None in (a, b) else False)
            return False if False in (a, b) else (None if None in (a, b) else True)
        if operator in ("===", "==", "!==", "!="):
            value = _literal(right) if _literal(right) is not None else _literal(left)
            if value is None or value.lower() not in DIALECTS:
                return None
            equal = value.lower() in POSTGRES_DIALECTS
            return equal if operator in ("===", "==") else not equal
        return None
    if kind == "identifier" and text(node) in declared:
        return on_postgres(declared[text(node)], declared, depth + 1)
    if kind == "member_expression":
        owner = node.child_by_field_name("object")
        prop = text(node.child_by_field_name("property"))
        value = declared.get(text(owner)) if owner.type == "identifier" else None
        if value is not None and value.type == "object":
            for pair in value.named_children:
                key = pair.child_by_field_name("key") if pair.type == "pair" else None
                if key is not None and text(key).strip("'\"`") == prop:
                    return on_postgres(pair.child_by_field_name("value"), declared, depth + 1)
    return None


def postgres_branch(node: Node, declared: dict[str, Node]) -> list[Node] | None:
    """The statements an `if` / `switch` on the database dialect runs on PostgreSQL (it may
    be none), or None when `node` does not branch on the dialect."""
    if node.type == "if_statement":
        truth = on_postgres(node.child_by_field_name("condition"), declared)
        if truth is None:
            return None
        if truth:
            return [node.child_by_field_name("consequence")]
        alternative = node.child_by_field_name("alternative")
        out: list[Node] = []
        for child in alternative.named_children if alternative is not None else []:
            if child.type == "if_statement":
                inner = postgres_branch(child, declared)
                if inner is None:
                    return None
                out.extend(inner)
            elif child.type != "comment":
                out.append(child)
        return out
    if node.type == "switch_statement":
        cases = [
            c
            for c in node.child_by_field_name("body").named_children
            if c.type in ("switch_case", "switch_default")
        ]
        labels = [
            _literal(c.child_by_field_name("value")) for c in cases if c.type == "switch_case"
        ]
        if not labels or None in labels or not any(str(v).lower() in DIALECTS for v in labels):
            return None
        start = next(
            (
                i
                for i, c in enumerate(cases)
                if c.type == "switch_case"
                and str(_literal(c.child_by_field_name("value"))).lower() in POSTGRES_DIALECTS
            ),
            next((i for i, c in enumerate(cases) if c.type == "switch_default"), None),
        )
        chosen: list[Node] = []
        for case in cases[start:] if start is not None else []:  # falls through to a break
            for statement in case.children_by_field_name("body"):
                if statement.type == "break_statement":
                    return chosen
                if statement.type != "comment":
                    chosen.append(statement)
        return chosen
    return None


# Array methods that call their callback once per element.
_ITERATING = frozenset({"forEach", "map", "flatMap", "filter", "some", "every", "find"})
MAX_UNROLLED = 1000  # elements of a literal array a loop over it is unrolled for


# A loop's parts other than its body, which run once (a collection) or once a turn.
_LOOP_HEADERS = {
    "for_in_statement": ("right",),
    "for_statement": ("initializer", "condition", "increment"),
    "while_statement": ("condition",),
    "do_statement": ("condition",),
}


def assigned_names(loop: Node) -> set[str]:
    """The variables a loop binds or assigns (`for (const {a, b} of …)`, `i++`, `x = …`)."""
    names: set[str] = set()
    left = loop.child_by_field_name("left") if loop.type == "for_in_statement" else None
    if left is not None:
        names.update(text(n) for n in walk(left) if n.type in _BINDING_NAMES)
    params = loop.child_by_field_name("parameters") or loop.child_by_field_name("parameter")
    if params is not None:
        names.update(text(n) for n in walk(params) if n.type in _BINDING_NAMES)
    for node in walk(loop):
        target = None
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            target = node.child_by_field_name("left")
        elif node.type == "update_expression":
            target = node.child_by_field_name("argument")
        elif node.type == "variable_declarator":
            target = node.child_by_field_name("name")
        if target is not None:
            names.update(text(n) for n in walk(target) if n.type in _BINDING_NAMES)
    return names


_BINDING_NAMES = ("identifier", "shorthand_property_identifier_pattern")


class Walker:
    """Walks a migration function body; formats say which calls are theirs (`call`)."""

    def __init__(self, source: Source, extraction: Any) -> None:
        self.source = source
        self.out = extraction
        self.scope = Scope()
        self.declared: dict[str, Node] = {}  # for conditions on the database dialect

    def walk_up(self, root: Node, up: Node) -> None:
        """Walk the body of up(), knowing the names the file defines."""
        self.scope.learn(root)
        self.declared.update(declarations(root))
        body = up.child_by_field_name("body")
        if body is not None:
            if body.type == "statement_block":
                self.declared.update(declarations(body))
            self.body(body)

    def extract(self, node: Node, origin: str, translate: Callable[[Location], None]) -> bool:
        """A call of the format, turned into statements by `translate` (see
        Extraction.extract): True, it was the format's."""
        where = self.source.location(node)
        self.out.extract(where, origin, lambda: translate(where))
        return True

    def ignored(self, node: Node) -> frozenset[str]:
        """The rules an ignore comment on or above the call switches off."""
        return ignores_at(self.source.lines, node.start_point[0] + 1, "//", node.end_point[0] + 1)

    def raw_sql(
        self,
        value: Any,
        where: Location,
        transaction: Transaction,
        origin: str,
        ignored: frozenset[str],
        unknown: list[str] | None = None,
    ) -> None:
        """SQL the migration sends as text; `${}` substitutions become placeholders.
        `unknown`: parameters known only at run time, NULL in the text (the query is then
        never sent: pgfence does not judge what NULL does in SQL text)."""
        sql, substitutions = sql_text(value)
        statements, findings = raw_statements(
            sql, where, transaction, origin, ignored, self.out.budget
        )
        statements = self.one_query(statements, transaction)
        if substitutions:  # analysed with placeholders, never sent as if it were known
            statements = [
                dataclasses.replace(s, refused=f"built at run time (${{{substitutions[0]}}})")
                for s in statements
            ]
        if unknown and statements:
            placed = [with_placeholders(s, unknown, None) for s in statements]
            statements = [statement for statement, _ in placed]
            findings = [*findings, placed[0][1]]
        self.out.add(statements, findings)
        if substitutions:
            self.out.gap(
                where,
                f"{origin}: SQL built at run time (${{{substitutions[0]}}}): "
                "analysed with placeholders in its place",
            )

    def one_query(self, statements: list[Statement], transaction: Transaction) -> list[Statement]:
        """The statements of one query text as the ORM sends them (a format whose driver
        runs several in one implicit transaction says so here)."""
        return statements

    def run_time_loop(self, node: Node, body: Node, what: str, headers: list[Node]) -> None:
        """A loop over values known only at run time: its body analysed once, noted, with
        the loop's variables and whatever the loop assigns unknown in it and after it. The
        loop's `headers` (a for-of's collection, a while's condition) are read once too."""
        forgotten = assigned_names(node)
        self.forget(forgotten)
        for header in headers:
            self.header(header)
        if not any(n.type == "call_expression" for n in walk(body)):
            return  # `for (const r of rows) ids.push(r.id)`: no query
        self.out.run_time_loop(self.source.location(node), what)
        self.body(body) if body.type == "statement_block" else self.statement(body)
        self.forget(forgotten)

    def forget(self, names: set[str]) -> None:
        for name in names:
            self.scope.constants.pop(name, None)

    def header(self, node: Node) -> None:
        """What a loop's header runs (`for (const r of await knex("t"))`), read once."""
        if not any(n.type == "call_expression" for n in walk(node)):
            return
        inner = unwrap(node)
        if inner.type == "call_expression":
            self.expression(inner)
            return
        self.out.calls_seen += 1
        self.out.gap(
            self.source.location(node),
            f"`{text(node)[:40]}` in a loop's header: a call pgfence does not follow there",
        )

    def unrolled(self, node: Node) -> bool:
        """`for (const x of [ … ])` / `for (const k in { … })` over values in the file: its
        body read once per value, with the loop variable bound to it (not when the body
        can leave the loop early: which values it runs for is decided when it runs)."""
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        try:
            values = self.scope.value(right)
        except Unknown:
            return False
        if operator is not None and text(operator) == "in" and isinstance(values, dict):
            values = list(values)
        body = node.child_by_field_name("body")
        if not isinstance(values, list) or len(values) > MAX_UNROLLED:
            return False
        if leaves_early(body):
            return bool(values) and self.first_tried(node, left, body, values[0])
        for value in values:
            with self.bound(left, value):
                self.statement(body)
        return True

    def first_tried(self, node: Node, left: Node | None, body: Node, first: Any) -> bool:
        """A loop over values in the file whose body can leave it early (outline's "try
        each constraint name until one works"): which value its statements run with is
        known only when it runs. They are analysed with the first value, noted, and never
        sent (the dry-run cannot tell which value the migration would have ended on)."""
        what = f"the loop over `{text(node.child_by_field_name('right'))[:40]}`"
        start = len(self.out.statements)
        with self.bound(left, first):
            self.statement(body)
        made = self.out.statements[start:]
        if not made:
            return True
        reason = f"{what} runs it with one of its values, known only at run time: not sent"
        self.out.statements[start:] = [
            dataclasses.replace(s, refused=s.refused or reason) for s in made
        ]
        self.out.first_value(self.source.location(node), what, first)
        return True

    def iterated(self, node: Node) -> bool:
        """`VALUES.forEach((x) => …)` / `.map(…)`: unrolled over values in the file; over
        values known only at run time, a loop that is not analysed; with a callback that
        calls nothing (`rows.map((r) => r.id)`), no SQL at all. False: not such a call."""
        function = node.child_by_field_name("function")
        if function.type != "member_expression":
            return False
        method = text(function.child_by_field_name("property"))
        args = arguments(node)
        if method not in _ITERATING or not args or args[0].type not in _FUNCTIONS[:2]:
            return False
        callback = args[0]
        if not any(n.type in ("call_expression", "new_expression") for n in walk(callback)):
            return True  # `rows.map((r) => r.id)`: plain JavaScript, no query
        owner = function.child_by_field_name("object")
        try:
            values = self.scope.value(owner)
        except Unknown:
            values = None
        if not isinstance(values, list) or len(values) > MAX_UNROLLED:
            self.run_time_loop(
                callback,
                callback.child_by_field_name("body"),
                f"`{text(owner)[:40]}.{method}()`",
                [owner],
            )
            return True
        params = callback.child_by_field_name("parameters") or callback.child_by_field_name(
            "parameter"
        )
        param = params if params is None or params.type == "identifier" else None
        if params is not None and param is None:
            named = [p for p in params.named_children]
            param = named[0] if named else None
            if param is not None and param.type != "identifier":
                param = param.child_by_field_name("pattern") or param
        body = callback.child_by_field_name("body")
        for value in values:
            with self.bound(param, value):
                self.body(body) if body.type == "statement_block" else self.statement(body)
        return True

    def run_time_value(self, node: Node) -> Any:
        """`node`'s value, with a RunTime in place of what only running the migration
        tells (a variable, a call's result), in an object's or an array's items too."""
        try:
            return self.scope.value(node)
        except Unknown:
            pass
        if node.type == "array":
            return [self.run_time_value(child) for child in node.named_children]
        if node.type == "object":
            return self._run_time_object(node)
        if node.type == "identifier":
            return RunTime(f"the variable `{text(node)}`")
        return RunTime(f"`{text(node)[:60]}`")

    def _run_time_object(self, node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                if key.type == "computed_property_name":
                    raise Unknown(f"the computed key `{text(key)[:40]}`")
                name = self.scope.value(key) if key.type == "string" else text(key)
                out[str(name)] = self.run_time_value(child.child_by_field_name("value"))
            elif child.type == "shorthand_property_identifier":
                out[text(child)] = self.run_time_value(child)
            elif child.type != "comment":
                raise Unknown(f"`{text(child)[:60]}` in an object")
        return out

    @contextlib.contextmanager
    def bound(self, target: Node | None, value: Any) -> Iterator[None]:
        """The loop variable (`const x`, `const [a, b]`) bound to one value while its body
        is read, then the scope as it was."""
        names: dict[str, Any] = {}
        if target is not None and target.type == "identifier":
            names[text(target)] = value
        elif target is not None and target.type == "array_pattern" and isinstance(value, list):
            for index, element in enumerate(target.named_children):
                if element.type == "identifier" and index < len(value):
                    names[text(element)] = value[index]
        saved = {name: self.scope.constants[name] for name in names if name in self.scope.constants}
        self.scope.constants.update(names)
        try:
            yield
        finally:
            for name in names:
                self.scope.constants.pop(name, None)
            self.scope.constants.update(saved)

    def call(self, node: Node) -> bool:  # pragma: no cover - formats override
        raise NotImplementedError

    def body(self, body: Node) -> None:
        self.scope.learn(body) if body.type == "statement_block" else None
        for statement in statements_of(body):
            self.statement(statement)

    def statement(self, node: Node) -> None:
        where = self.source.location(node)
        kind = node.type
        if kind == "for_in_statement" and self.unrolled(node):
            return
        if kind in _LOOP_HEADERS:
            headers = [node.child_by_field_name(f) for f in _LOOP_HEADERS[kind]]
            what = "a loop"
            if kind == "for_in_statement":
                what = f"the loop over `{text(headers[0])[:40]}`"
                if leaves_early(node.child_by_field_name("body")):
                    what += " (its body can leave it early: return, break)"
            self.run_time_loop(
                node, node.child_by_field_name("body"), what, [h for h in headers if h is not None]
            )
            return
        chosen = postgres_branch(node, self.declared)
        if chosen is not None:  # `if (db.type === 'mysql')`: the PostgreSQL branch runs
            for branch in chosen:
                self.statement(branch)
            return
        happy = rethrowing_try(node)
        if happy is not None:  # the catch rethrows: a successful run is the try body
            for branch in happy:
                self.statement(branch)
            return
        if kind in ("if_statement", "try_statement", "switch_statement"):
            self.out.gap(
                where,
                "conditional code: pgfence analysed every branch as if it ran; "
                "what really runs depends on values known only at run time",
            )
            for branch in branches(node):
                self.statement(branch)
            return
        if kind in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                value = declarator.child_by_field_name("value")
                if value is not None:
                    self.expression(unwrap(value))
            return
        if kind == "statement_block":
            self.body(node)
            return
        self.expression(unwrap(node))

    def expression(self, node: Node) -> None:
        if node.type == "assignment_expression":
            # `tableName = "users";` (a `let` given its value later), or
            # `[rows] = await queryInterface.sequelize.query(...)`: the call still runs
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left.type == "identifier":
                try:
                    self.scope.constants[text(left)] = self.scope.value(right)
                except Unknown:
                    self.scope.constants.pop(text(left), None)
            self.expression(unwrap(right))
            return
        if node.type == "call_expression":
            name = dotted(node.child_by_field_name("function"))
            if name in ("Promise.all", "Promise.allSettled") and arguments(node):
                array = unwrap(arguments(node)[0])
                if array.type != "array":  # Promise.all(names.map(async (n) => …))
                    self.expression(array)
                    return
                for element in array.named_children:
                    self.expression(unwrap(element))
                return
            if self.iterated(node):
                return
            if name.startswith(("console.", "logger.", "log.")):
                return
            if self.call(node):
                return
            if pure(node):  # `c.name.toLowerCase()`, `Object.entries(x)`: no query
                return
            self.out.calls_seen += 1
            self.out.gap(
                self.source.location(node),
                f"a call to `{name or text(node)[:40]}()`, whose SQL pgfence does not follow",
            )
