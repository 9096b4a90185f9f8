"""Facts about SQL expressions that decide locks: is a default volatile?

ADD COLUMN … DEFAULT expr rewrites the table only when expr is volatile (PG 11+): a
constant or a stable expression is evaluated once and stored in pg_attribute. We know
the volatility of the built-in functions migrations use; a function we do not know is
taken as volatile, which is what CREATE FUNCTION defaults to.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from pglast import ast

from pgfence.sources import trees


def sql_text(node: object) -> str:
    """A parse tree back to SQL text."""
    return trees.sql_text(node)


def build_concurrently(definition: str, *, named: bool = True) -> str:
    """CREATE [UNIQUE] INDEX [CONCURRENTLY] … written as CREATE [UNIQUE] INDEX CONCURRENTLY
    IF NOT EXISTS … (as pglast prints the tree with `concurrent` and `if_not_exists` set).

    IF NOT EXISTS needs the index's name: an unnamed index (`named=False`) gets a fresh
    name on every run, so it is left out; a definition that has it already keeps its own.
    """
    for create in ("CREATE INDEX", "CREATE UNIQUE INDEX"):
        if definition.startswith(create):
            rest = definition[len(create) :].removeprefix(" CONCURRENTLY")
            guard = " IF NOT EXISTS" if named and not rest.startswith(" IF NOT EXISTS ") else ""
            return f"{create} CONCURRENTLY{guard}{rest}"
    return definition


class StatementPrinter:
    """`sql_text` for the trees of one statement, each printed once: a CREATE INDEX is
    printed by its rule (the recipe) and again by the catalog (the index's definition).

    Kept for one statement's walk only, from its analysis to the catalog following it: a
    tree is known by its identity, which holds only while the printer keeps it alive and
    nothing changes it in place (nothing does during that walk).
    """

    def __init__(self) -> None:
        self._printed: dict[int, tuple[object, str]] = {}

    def __call__(self, node: object) -> str:
        found = self._printed.get(id(node))
        if found is None:
            found = self._printed[id(node)] = (node, sql_text(node))
        return found[1]


VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "random_normal",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "gen_random_bytes",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
        "currval",
        "lastval",
    }
)

# Built-ins that are IMMUTABLE or STABLE: evaluated once for ADD COLUMN … DEFAULT.
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "current_database",
        "current_schema",
        "lower",
        "upper",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "length",
        "char_length",
        "md5",
        "sha256",
        "concat",
        "concat_ws",
        "format",
        "replace",
        "substring",
        "substr",
        "left",
        "right",
        "abs",
        "round",
        "floor",
        "ceil",
        "ceiling",
        "date_trunc",
        "date_part",
        "make_date",
        "make_interval",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "to_date",
        "to_char",
        "to_number",
        "timezone",
        "jsonb_build_object",
        "jsonb_build_array",
        "json_build_object",
        "json_build_array",
        "to_jsonb",
        "to_json",
        "array_fill",
        "int4range",
        "int8range",
        "tstzrange",
        "daterange",
        "numrange",
        "pg_backend_pid",
        "inet_client_addr",
    }
)


class Volatility(StrEnum):
    NON_VOLATILE = "non-volatile"  # immutable or stable
    VOLATILE = "volatile"
    UNKNOWN = "unknown"  # a function we do not know: treated as volatile


def volatility(expr: object) -> Volatility:
    """The worst volatility found anywhere in `expr`."""
    worst = Volatility.NON_VOLATILE
    for node in nodes(expr):
        if isinstance(node, ast.FuncCall):
            name = node.funcname[-1].sval.lower() if node.funcname else ""
            if name in VOLATILE_FUNCTIONS:
                return Volatility.VOLATILE
            if name not in NON_VOLATILE_FUNCTIONS:
                worst = Volatility.UNKNOWN
        elif isinstance(node, (ast.SubLink, ast.ColumnRef)):
            worst = Volatility.UNKNOWN
    return worst


def nodes(node: object) -> Iterator[ast.Node]:
    """Every parse-tree node in `node` (a node, or lists of them), itself included."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (list, tuple)):
            stack.extend(current)
        elif isinstance(current, ast.Node):
            yield current
            for attr in current.__slots__:
                value = getattr(current, attr, None)
                if isinstance(value, (ast.Node, list, tuple)):
                    stack.append(value)


def column_names(node: object) -> list[str]:
    """The column names `node` refers to (the last part of each column reference)."""
    out = []
    for found in nodes(node):
        if isinstance(found, ast.ColumnRef) and found.fields:
            last = found.fields[-1]
            if isinstance(last, ast.String):
                out.append(str(last.sval))
    return out


def function_calls(node: object) -> list[tuple[str, list[object]]]:
    """(name, constant arguments) of every function call in `node`.

    A string constant argument is given as its text (also through a ::regclass cast), any
    other argument as None.
    """
    out: list[tuple[str, list[object]]] = []
    for found in nodes(node):
        if isinstance(found, ast.FuncCall) and found.funcname:
            args: list[object] = []
            for arg in found.args or ():
                while isinstance(arg, ast.TypeCast):
                    arg = arg.arg
                value = getattr(getattr(arg, "val", None), "sval", None)
                args.append(value if isinstance(value, str) else None)
            out.append((found.funcname[-1].sval.lower(), args))
    return out
