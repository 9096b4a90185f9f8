"""What a rule is and what it sees: `Rule`, `RuleContext`, the statements around it.

Rules themselves are one module each in analysis/rules/, registered by being in that
package (and `@register`). A rule's class docstring has the same four parts for every
rule (What it does / Why is this bad? / Example / Use instead); `example_bad` must fire
it and `example_good` must not (tests/analysis/test_rules.py runs both), and
docs/rules.md is generated from them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, overload

from pglast import ast

from pgfence.analysis.catalog import Catalog
from pgfence.analysis.expressions import StatementPrinter
from pgfence.checks import Check, Hit, Scope, register
from pgfence.model import Prediction, Severity, Statement

__all__ = [
    "EMPTY",
    "Hit",
    "Rule",
    "RuleContext",
    "Scope",
    "Severity",
    "StatementWindow",
    "Statements",
    "display",
    "in_use",
    "quote_ident",
    "register",
]


def in_use(catalog: Catalog, relation: str) -> bool:
    """Does `relation` exist before the migration, or hold rows the migration wrote?

    Rules about blocking stay silent for tables the same migration created and did not
    fill: nobody else uses them yet. An index counts as its table.
    """
    table_name = catalog.table_of_index(relation) or relation
    table = catalog.table(table_name)
    if table is None:
        return not catalog.is_new(relation)
    return not table.new or table.rows_written


class Statements(Sequence[Statement]):
    """Statements in order, appended to as a migration is analysed, with their positions
    by parse-node type. Rules see them through `window()` views, never copies: every
    statement looks at the earlier statements of its transaction and the later ones of
    its file, and copying those each time would cost time quadratic in the file's length.
    """

    def __init__(self, items: Iterable[Statement] = ()) -> None:
        self._items: list[Statement] = []
        self._by_type: dict[type, list[int]] = {}
        for item in items:
            self.append(item)

    def append(self, statement: Statement) -> None:
        self._by_type.setdefault(type(statement.node), []).append(len(self._items))
        self._items.append(statement)

    def window(self, start: int = 0, stop: int | None = None) -> StatementWindow:
        """items[start:stop] as they are now (later appends are not seen)."""
        return StatementWindow(self, start, len(self._items) if stop is None else stop)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Statement: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Statement]: ...
    def __getitem__(self, index: int | slice) -> Statement | Sequence[Statement]:
        return self._items[index]


class StatementWindow(Sequence[Statement]):
    """A read-only view of statements[start:stop] of a `Statements`, without copying."""

    def __init__(self, source: Statements, start: int, stop: int) -> None:
        self._source, self._start, self._stop = source, start, max(start, stop)

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> Statement: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Statement]: ...
    def __getitem__(self, index: int | slice) -> Statement | Sequence[Statement]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._source._items[self._start + index % len(self)]

    def __iter__(self) -> Iterator[Statement]:
        items = self._source._items
        return (items[i] for i in range(self._start, self._stop))

    def of_type(self, kind: type) -> list[Statement]:
        """The statements of the view whose parse node is a `kind`, in order."""
        items = self._source._items
        positions = self._source._by_type.get(kind, ())
        return [items[i] for i in positions if self._start <= i < self._stop]


EMPTY = Statements().window()


@dataclass(frozen=True)
class RuleContext:
    statement: Statement
    prediction: Prediction
    catalog: Catalog  # the schema before this statement
    version: int  # the Postgres major predicted for
    # Statements of the same transaction that come before this one.
    earlier_in_transaction: StatementWindow = EMPTY
    # Statements of the same migration file that come after this one.
    following: StatementWindow = EMPTY
    # Prints this statement's trees back to SQL, each once (the catalog reuses the text).
    sql: StatementPrinter = field(default_factory=StatementPrinter)

    def existing(self, relation: str) -> bool:
        """Does `relation` exist before the migration, or hold rows the migration wrote?"""
        return in_use(self.catalog, relation)

    @cached_property
    def altered(self) -> tuple[str, list[ast.AlterTableCmd]] | None:
        """(table, sub-commands) of an ALTER TABLE on a table in use, else None.

        Computed once per statement: many rules ask (rules/_shared.alter_table).
        """
        node = self.statement.node
        if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
            return None
        table = self.catalog.rangevar(node.relation)
        if not self.existing(table):
            return None
        return table, list(node.cmds or ())


class Rule(Check):
    """A check of one statement, with the schema as it is before the statement."""

    scope = Scope.STATEMENT
    # The parse-tree types of the statements the rule can raise on; None: any statement.
    # The walk runs a rule only on those (analyze.py: StatementWalker): most rules look at
    # one kind of statement, and asking all fifty of every statement took half its time.
    nodes: ClassVar[tuple[type, ...] | None] = None

    @abstractmethod
    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        """Yield a Hit for each problem this rule sees in the statement."""


def quote_ident(name: str) -> str:
    """Quote an identifier only when Postgres would need it."""
    if (
        name
        and (name[0].isalpha() or name[0] == "_")
        and name.replace("_", "a").isalnum()
        and name == name.lower()
    ):
        return name
    return '"' + name.replace('"', '""') + '"'


def display(relation: str) -> str:
    """public.accounts -> accounts; other schemas stay qualified. Written as SQL (each part
    quoted where Postgres needs it), since recipes are run as written."""
    schema, _, name = relation.partition(".")
    if not name:
        return quote_ident(schema)
    return quote_ident(name) if schema == "public" else f"{quote_ident(schema)}.{quote_ident(name)}"
