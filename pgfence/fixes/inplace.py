"""The in-place fixes: each turns one finding into insertions, or says why it cannot.

A fix is made only where it is safe by construction, read on the parse tree and on how
the migration tool runs the file (the statement's `Transaction`):

- `CONCURRENTLY` (with `IF [NOT] EXISTS`) on an index build or drop that runs outside
  any transaction block; inside one Postgres refuses it (ERROR 25001).
- `NOT VALID` on an added foreign key or CHECK, with its `VALIDATE CONSTRAINT` after the
  transaction that adds it (right after the statement, or after the block's COMMIT); in a
  transaction the tool opens around the file the validation could not be separated.
- `SET lock_timeout` / `SET statement_timeout` where the first statement that needs one
  runs (`SET LOCAL` inside a transaction). Outside a transaction the setting would
  stay in force for a later `CONCURRENTLY` statement, which a timeout half-way leaves
  INVALID: it is `RESET` before that statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, DropBehavior, ObjectType
from pglast.stream import RawStream

from pgfence.fixes.text import FileText, Insertion
from pgfence.model import Finding, Migration, Statement, StatementReport, TxScope
from pgfence.pg.transactions import runs_in_transaction

# Formats whose migrations are SQL files pgfence can edit as text.
SQL_FORMATS = frozenset(
    {"sql", "flyway", "golang-migrate", "dbmate", "sqitch", "prisma", "drizzle"}
)
INDEX_RULES = frozenset(
    {"create-index-blocks-writes", "drop-index-blocks-reads", "concurrently-without-if-exists"}
)
CONSTRAINT_RULES = frozenset({"foreign-key-validation", "check-constraint-validation"})
TIMEOUTS = {"missing-lock-timeout": ("lock_timeout", "2s"),
            "missing-statement-timeout": ("statement_timeout", "5min")}  # fmt: skip
FIXABLE = INDEX_RULES | CONSTRAINT_RULES | frozenset(TIMEOUTS)


class Refused(Exception):
    """Why a finding is not fixed in place (one line, shown to the user)."""


@dataclass(frozen=True)
class Place:
    """One statement of a migration file, where it is in the file's text."""

    migration: Migration
    index: int  # in migration.statements
    report: StatementReport
    start: int  # offset of its first token in the file's text
    text: FileText

    @property
    def statement(self) -> Statement:
        return self.migration.statements[self.index]

    @property
    def end(self) -> int:
        return self.start + len(self.statement.sql)

    def terminator(self) -> int:
        """Just past its `;`, or its end when it has none (the file's last statement)."""
        following = self.migration.statements[self.index + 1 :]
        limit = None
        if following:
            nxt = self.text.offset_of(following[0])
            limit = nxt if nxt is not None else None
        found = self.text.terminator_end(self.end, limit)
        return self.end if found is None else found


def statement_fix(
    place: Place, finding: Finding, *, check_scope: bool = True, validate: bool = True
) -> list[Insertion]:
    """The insertions that fix a statement's own finding (raises Refused).

    `check_scope=False`, `validate=False`: for `--split`, which moves the statement out
    of its transaction, or puts the VALIDATE in the next migration itself.
    """
    node = place.statement.node
    if finding.rule in INDEX_RULES:
        if check_scope:
            _outside_transaction(place)
        if isinstance(node, ast.IndexStmt):
            return _index_build(place, node, finding.rule)
        if isinstance(node, ast.DropStmt):
            return _index_drop(place, node, finding.rule)
    if finding.rule in CONSTRAINT_RULES and isinstance(node, ast.AlterTableStmt):
        return _not_valid(place, node, finding.rule, validate)
    raise Refused("pgfence has no in-place fix for this statement")


def _scope_problem(place: Place) -> str | None:
    statement = place.statement
    scope = statement.transaction.scope
    if scope is TxScope.AUTOCOMMIT:
        return None
    if scope is TxScope.EXPLICIT:
        return "it is inside BEGIN … COMMIT"
    fmt = place.migration.format
    if fmt == "flyway" and len(place.migration.statements) == 1:
        return None  # Flyway runs a script that holds only such a statement without one
    if fmt in ("prisma", "golang-migrate"):
        return (
            f"{fmt} sends this file as one query, which Postgres runs in one transaction: "
            "it needs a migration of its own (--split)"
        )
    return f"{fmt} runs this file in a transaction: it needs a migration of its own (--split)"


def _outside_transaction(place: Place) -> None:
    problem = _scope_problem(place)
    if problem is not None:
        raise Refused(f"CONCURRENTLY cannot run in a transaction block, and {problem}")


def _keyword_after(place: Place, *names: str) -> int:
    """The end of the first token named `names[-1]` that follows `names[:-1]` in order."""
    wanted = list(names)
    for token in place.text.tokens(place.start, place.end):
        if token.name == wanted[0]:
            wanted.pop(0)
            if not wanted:
                return token.end
    raise Refused("pgfence could not place the keyword in this statement")


def _index_build(place: Place, node: ast.IndexStmt, rule: str) -> list[Insertion]:
    if node.relation is not None and not node.relation.inh:
        raise Refused("an index ON ONLY a partitioned table cannot be built CONCURRENTLY")
    if any(lock.role == "partition" for lock in place.report.prediction.locks):
        raise Refused("CONCURRENTLY is refused on a partitioned table: see the recipe")
    after_index = _keyword_after(place, "CREATE", "INDEX")
    words = ""
    if not node.concurrent:
        words += " CONCURRENTLY"
    at = after_index
    if node.concurrent:
        at = _keyword_after(place, "CREATE", "INDEX", "CONCURRENTLY")
    if node.idxname and not node.if_not_exists:
        words += " IF NOT EXISTS"
    return [Insertion(at, words, rule)] if words else []


def _index_drop(place: Place, node: ast.DropStmt, rule: str) -> list[Insertion]:
    if node.removeType != ObjectType.OBJECT_INDEX:
        raise Refused("pgfence has no in-place fix for this statement")
    if len(node.objects or ()) != 1:
        raise Refused("DROP INDEX CONCURRENTLY drops one index at a time: split the statement")
    if node.behavior == DropBehavior.DROP_CASCADE:
        raise Refused("DROP INDEX CONCURRENTLY does not support CASCADE")
    at = _keyword_after(place, "DROP", "INDEX")
    words = ""
    if not node.concurrent:
        words += " CONCURRENTLY"
    else:
        at = _keyword_after(place, "DROP", "INDEX", "CONCURRENTLY")
    if not node.missing_ok:
        words += " IF EXISTS"
    return [Insertion(at, words, rule)] if words else []


_KINDS = {
    "foreign-key-validation": ConstrType.CONSTR_FOREIGN,
    "check-constraint-validation": ConstrType.CONSTR_CHECK,
}


def added_constraints(node: ast.AlterTableStmt, rule: str) -> list[ast.Constraint]:
    """The constraints of `rule`'s kind the statement adds, to be validated at once."""
    wanted = _KINDS[rule]
    return [
        cmd.def_
        for cmd in node.cmds or ()
        if cmd.subtype == AlterTableType.AT_AddConstraint
        and isinstance(cmd.def_, ast.Constraint)
        and cmd.def_.contype == wanted
        and not cmd.def_.skip_validation
    ]


def validate_statement(node: ast.AlterTableStmt, con: ast.Constraint) -> str:
    validate = ast.AlterTableStmt(
        relation=node.relation,
        cmds=(ast.AlterTableCmd(subtype=AlterTableType.AT_ValidateConstraint, name=con.conname),),
        objtype=ObjectType.OBJECT_TABLE,
        missing_ok=node.missing_ok,
    )
    return f"{RawStream()(validate)};"


def _not_valid(
    place: Place, node: ast.AlterTableStmt, rule: str, validate: bool = True
) -> list[Insertion]:
    added = added_constraints(node, rule)
    if not added:
        raise Refused("the constraint is part of a column definition: add it on its own")
    if any(not con.conname for con in added):
        raise Refused("name the constraint (ADD CONSTRAINT name …) so that VALIDATE can name it")
    inserts = [Insertion(_constraint_end(place, con), " NOT VALID", rule) for con in added]
    if not validate:
        return inserts
    position, opening = place.text.after_line(_validate_position(place))
    for con in added:
        inserts.append(Insertion(position, f"{opening}{validate_statement(node, con)}", rule))
    return inserts


def _validate_position(place: Place) -> int:
    """Just past the `;` after which the validation runs in a transaction of its own."""
    statement = place.statement
    scope = statement.transaction.scope
    if scope is TxScope.AUTOCOMMIT:
        if not place.terminator() > place.end:
            raise Refused("the statement has no `;` to put VALIDATE after")
        return place.terminator()
    if scope is TxScope.EXPLICIT:
        block = statement.transaction.block
        last = max(
            i for i, s in enumerate(place.migration.statements) if s.transaction.block == block
        )
        closing = place.migration.statements[last]
        if not isinstance(closing.node, ast.TransactionStmt) or last == place.index:
            raise Refused("the transaction it is in does not end in this file")
        start = place.text.offset_of(closing)
        if start is None:
            raise Refused("the file's text differs from what was analysed")
        closing_place = Place(place.migration, last, place.report, start, place.text)
        end = closing_place.terminator()
        if end == closing_place.end:
            raise Refused("the COMMIT has no `;` to put VALIDATE after")
        return end
    raise Refused(
        f"{place.migration.format} runs this file in one transaction, and VALIDATE must "
        "run in another: it needs a migration of its own (--split)"
    )


def _constraint_end(place: Place, con: ast.Constraint) -> int:
    """The end of the constraint's last token: up to the `,` of the next sub-command."""
    if con.location is None or con.location < 0:
        raise Refused("pgfence could not find the constraint in the statement")
    tokens = place.text.tokens(place.start + con.location, place.end)
    depth, last = 0, None
    for token in tokens:
        if token.name == "ASCII_40":
            depth += 1
        elif token.name == "ASCII_41":
            depth -= 1
        elif token.name == "ASCII_44" and depth == 0:
            break
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            last = token
    if last is None:
        raise Refused("pgfence could not find the end of the constraint")
    return last.end


# ---- timeouts -------------------------------------------------------------------------


def timeout_fix(
    places: Sequence[Place],
    at: int,
    finding: Finding,
    floor: Callable[[int], int],
    earlier_blocks: frozenset[int] = frozenset(),
) -> list[Insertion]:
    """Set the timeout before the first statement that needs it, in its transaction.

    `places`: the file's statements (those that could be placed), `at` the index of the
    finding's one, `floor(i)`: the end of the statement before statement i (the lowest
    offset a statement inserted before it may take), `earlier_blocks`: the transactions
    that statements of earlier files are in (drizzle runs all files in one).
    """
    setting, value = TIMEOUTS[finding.rule]
    place = places[at]
    scope = place.statement.transaction.scope
    if scope is TxScope.EXPLICIT:
        opening = _first_of_block(places, at)
        if not isinstance(opening.statement.node, ast.TransactionStmt):
            raise Refused("the transaction it is in does not begin in this file")
        end = opening.terminator()
        position, gap = opening.text.after_line(end)
        return [Insertion(position, f"{gap}SET LOCAL {setting} = '{value}';", finding.rule)]
    if scope is TxScope.RUNNER:
        if place.statement.transaction.block in earlier_blocks:
            raise Refused("the transaction it is in begins in an earlier file: set it there")
        first = _first_of_block(places, at)
        position = first.text.before_comments(first.start, floor(first.index))
        line = f"SET LOCAL {setting} = '{value}';{first.text.newline}"
        return [Insertion(position, line, finding.rule)]
    position = place.text.before_comments(place.start, floor(place.index))
    newline = place.text.newline
    inserts = [Insertion(position, f"SET {setting} = '{value}';{newline}", finding.rule)]
    for later in places[at + 1 :]:
        node = later.statement.node
        if later.statement.transaction.scope is not TxScope.AUTOCOMMIT:
            continue
        if _sets(node, setting):
            break
        if node is not None and not runs_in_transaction(node):
            where = later.text.before_comments(later.start, floor(later.index))
            inserts.append(Insertion(where, f"RESET {setting};{newline}", finding.rule))
            break
    return inserts


def _first_of_block(places: Sequence[Place], at: int) -> Place:
    block = places[at].statement.transaction.block
    return next(p for p in places if p.statement.transaction.block == block)


def _sets(node: object, setting: str) -> bool:
    return isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() in (setting, "")
