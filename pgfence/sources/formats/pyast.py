"""Reading Python migrations without running them: literal values out of `ast` nodes."""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pgfence.checks import Hit, raised
from pgfence.checks.inputs import ParseError
from pgfence.errors import BadInput
from pgfence.model import Finding, Location
from pgfence.sources.formats.base import Unknown, sql_literal
from pgfence.sources.limits import MAX_PYTHON_NESTING, code_too_deep, deeper_than

__all__ = ["Unknown"]

_Item = TypeVar("_Item")


@dataclass(frozen=True)
class SqlText:
    """`sa.text("…")` / `text("…")`: SQL written by the user, used verbatim."""

    sql: str


@dataclass(frozen=True)
class Opaque:
    """A value known to be an expression object we do not evaluate (a Q(), a model)."""

    node: ast.AST


def dotted(node: ast.AST) -> str:
    """`sa.dialects.postgresql.JSONB` -> that string; '' when it is not a dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def last_name(node: ast.AST) -> str:
    return dotted(node).rsplit(".", 1)[-1]


@dataclass
class Scope:
    """Names bound to constants in a module or function, for resolving `op.execute(SQL)`."""

    constants: dict[str, Any] = field(default_factory=dict)

    def learn(self, body: list[ast.stmt]) -> None:
        for statement in body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name):
                    try:
                        self.constants[target.id] = self.value(statement.value)
                    except Unknown:
                        self.constants.pop(target.id, None)

    def value(self, node: ast.AST) -> Any:
        """The literal value of `node`, or Unknown."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            return {
                self.value(k): self.value(v)
                for k, v in zip(node.keys, node.values, strict=True)
                if k is not None
            }
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.constants[node.id]
            raise Unknown(f"the variable `{node.id}`")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand)
            if isinstance(inner, int | float):
                return -inner
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        if isinstance(node, ast.JoinedStr):
            return self._f_string(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise Unknown(f"`{ast.unparse(node)}`")

    def _f_string(self, node: ast.JoinedStr) -> str:
        """An f-string whose every `{…}` is a constant of the file (a loop variable over a
        literal tuple, a module constant): its text, as Python formats it."""
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            try:
                value = self.value(part.value)
            except Unknown:
                raise Unknown("an f-string (SQL built at run time)") from None
            if (
                part.conversion != -1
                or part.format_spec is not None
                or not isinstance(value, str | int)
                or isinstance(value, bool)
            ):
                raise Unknown("an f-string (SQL built at run time)")
            parts.append(str(value))
        return "".join(parts)

    def _call(self, node: ast.Call) -> Any:
        name = last_name(node.func)
        if isinstance(node.func, ast.Name) and not node.args and not node.keywords:
            if name in ("set", "frozenset", "list", "tuple"):  # `set()`: makemigrations' empty set
                return []
            if name == "dict":
                return {}
        if name in ("text", "literal_column") and node.args:
            return SqlText(self.string(node.args[0]))
        if name == "bindparams" and isinstance(node.func, ast.Attribute):
            text = self.value(node.func.value)
            if isinstance(text, SqlText) and not node.args:
                values = {k.arg: self.value(k.value) for k in node.keywords if k.arg}
                return SqlText(_bind_params(text.sql, values))
        if name == "f" and node.args:  # op.f("ix_name"): a name no naming convention changes
            return truncated_name(self.string(node.args[0]))
        if name == "dedent" and node.args:
            return textwrap.dedent(self.string(node.args[0]))
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in ("strip", "lstrip", "rstrip")
            and not node.args
        ):
            return getattr(self.string(node.func.value), node.func.attr)()
        raise Unknown(f"`{ast.unparse(node)}`")

    def string(self, node: ast.AST) -> str:
        value = self.value(node)
        if isinstance(value, SqlText):
            return value.sql
        if not isinstance(value, str):
            raise Unknown(f"`{ast.unparse(node)}` is not a string")
        return value


def truncated_name(name: str, limit: int = 63) -> str:
    """An op.f() name (SQLAlchemy's `conv`, a truncated label) longer than PostgreSQL's 63
    characters, cut as SQLAlchemy cuts it: its first `limit - 8` characters, `_`, and the
    last 4 hex digits of its md5 (where PostgreSQL itself would just cut it at 63)."""
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return f"{name[: limit - 8]}_{digest[-4:]}"


# Database dialect names as revisions compare them (`bind.dialect.name == "mysql"`,
# `str(bind.engine.url).startswith("sqlite")`): pgfence reads the PostgreSQL branch.
POSTGRES_DIALECTS = frozenset({"postgresql", "postgres", "pg", "psycopg", "psycopg2"})
DIALECTS = POSTGRES_DIALECTS | {
    "mysql",
    "mariadb",
    "sqlite",
    "mssql",
    "oracle",
    "cockroachdb",
}


def _dialect(value: object) -> bool | None:
    """A constant naming a dialect (or a URL scheme): is it PostgreSQL? None: not one."""
    if not isinstance(value, str):
        return None
    name = value.lower().split("+", 1)[0].split(":", 1)[0]
    return name in POSTGRES_DIALECTS if name in DIALECTS else None


def on_postgres(node: ast.AST) -> bool | None:
    """What a condition on the database dialect is on PostgreSQL; None: not such a condition."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = on_postgres(node.operand)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        values = [on_postgres(v) for v in node.values]
        if isinstance(node.op, ast.Or):
            return True if True in values else (None if None in values else False)
        return False if False in values else (None if None in values else True)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "startswith" and len(node.args) == 1:
            prefix = node.args[0]
            if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
                name = prefix.value.lower()
                if name in DIALECTS or any(d.startswith(name) for d in DIALECTS if len(name) > 4):
                    return any(d.startswith(name) for d in POSTGRES_DIALECTS)
        return None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if (
            isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq)
            and isinstance(right, ast.Constant)
            and isinstance(right.value, bool)
        ):  # `url.startswith("sqlite") is False`
            inner = on_postgres(left)
            if inner is None:
                return None
            same = isinstance(op, ast.Is | ast.Eq)
            return inner == right.value if same else inner != right.value
        if isinstance(op, ast.Eq | ast.NotEq):
            for side in (left, right):
                if isinstance(side, ast.Constant) and (known := _dialect(side.value)) is not None:
                    return known if isinstance(op, ast.Eq) else not known
        if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List | ast.Set):
            names = [e.value for e in right.elts if isinstance(e, ast.Constant)]
            if len(names) == len(right.elts) and names:
                kinds = [_dialect(n) for n in names]
                if None not in kinds:
                    inside = any(kinds)
                    return inside if isinstance(op, ast.In) else not inside
    return None


# SQLAlchemy's text(): `:name` is a bound parameter unless a colon or word character comes
# before it (a `::type` cast) or a colon after it; `\:` is a colon.
_BOUND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)|\\:")


def _bind_params(sql: str, values: dict[str, Any]) -> str:
    """text(sql).bindparams(name=value, …) as the database gets it."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "\\:":
            return ":"
        if match.group(1) not in values:
            raise Unknown(f"the bound parameter :{match.group(1)} without a value")
        return sql_literal(values[match.group(1)])

    return _BOUND.sub(replace, sql)


def bind(call: ast.Call, params: list[str]) -> dict[str, ast.AST]:
    """Positional and keyword arguments of `call` by parameter name (*args under '*')."""
    out: dict[str, ast.AST] = {}
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            raise Unknown(f"`*{ast.unparse(arg.value)}`")
        if i < len(params) and params[i] != "*":
            out[params[i]] = arg
        else:
            out.setdefault("*", ast.Tuple(elts=[], ctx=ast.Load()))
            star = out["*"]
            assert isinstance(star, ast.Tuple)
            star.elts.append(arg)
    for keyword in call.keywords:
        if keyword.arg is None:
            raise Unknown(f"`**{ast.unparse(keyword.value)}`")
        out[keyword.arg] = keyword.value
    return out


def star_args(bound: dict[str, ast.AST]) -> list[ast.expr]:
    star = bound.get("*")
    return list(star.elts) if isinstance(star, ast.Tuple) else []


def parse_python(text: str, path: str) -> tuple[ast.Module | None, Finding | None]:
    """The module, or a parse-error finding at the line Python names.

    Code nested deeper than pgfence's readers recurse is bad input (see `limits`).
    """
    try:
        module = ast.parse(text, filename=path)
    except (RecursionError, MemoryError):  # CPython's parser and AST builder give up
        raise BadInput(code_too_deep("Python", MAX_PYTHON_NESTING), file=path) from None
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        column = getattr(exc, "offset", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        hit = Hit(f"not valid Python ({message}): no statement of this file was read")
        return None, raised(ParseError, hit, Location(path, line, column))
    root: ast.AST = module
    deep = deeper_than(MAX_PYTHON_NESTING, root, ast.iter_child_nodes)
    if deep is not None:
        line = getattr(deep, "lineno", None)
        raise BadInput(code_too_deep("Python", MAX_PYTHON_NESTING), file=path, line=line)
    return module, None


def location(path: str, node: ast.AST) -> Location:
    return Location(path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def calls_in(nodes: list[ast.stmt]) -> int:
    return sum(isinstance(n, ast.Call) for statement in nodes for n in ast.walk(statement))


def dependency_order(
    items: Sequence[_Item],
    key: Callable[[_Item], Hashable | None],
    needs: Callable[[_Item], Iterable[Hashable]],
) -> list[_Item]:
    """Each item after the items it needs (Kahn's algorithm), else in the given order.

    `key` names an item (None: nothing can need it); a need that names no item is
    ignored, and a cycle is broken by taking the first remaining item rather than looping.
    """
    known = {k for k in map(key, items) if k is not None}
    remaining = list(items)
    done: set[Hashable] = set()
    out: list[_Item] = []
    while remaining:
        ready = next(
            (i for i in remaining if all(d in done or d not in known for d in needs(i))),
            remaining[0],
        )
        remaining.remove(ready)
        out.append(ready)
        name = key(ready)
        if name is not None:
            done.add(name)
    return out
