"""What a statement would leave behind on an existing server even after ROLLBACK.

On `--dsn` the whole dry-run is one transaction, rolled back; but some effects are not
transactional: a sequence advanced by `nextval`, a replication slot, a file written by
`COPY … TO`, a signal sent to another backend, statistics reset, a session advisory lock,
work done through `dblink`'s own connection. Statements that may have such an effect are
never executed there: `lasting_effect` says why, from the parse tree.

The search covers the statement itself, the PL/pgSQL or SQL bodies it runs (DO blocks,
functions and procedures it calls, the triggers that the rows it writes fire, the event
triggers a DDL statement fires) and the sequences that the rows it inserts draw their
defaults from. What cannot be read (a body in another language, SQL built at run time
by EXECUTE) is a reason not to run as well: refused, not guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pglast
import psycopg
from pglast import ast
from pglast.enums import AlterTableType, CmdType, TransactionStmtKind

from pgfence.analysis.predict.objects import plpgsql_body
from pgfence.dryrun import queries

# Functions whose effect survives ROLLBACK, by name (any schema: a wrapper in another
# schema with the same name is refused too, which errs on the safe side).
_SEQUENCE = "advances a sequence, which a rollback does not undo"
_SESSION_LOCK = "takes a session-level advisory lock, which a rollback does not release"
_SIGNAL = "signals another server process"
_SERVER = "acts on the server outside any transaction"
_STATS = "resets statistics, which a rollback does not restore"
_SLOT = "creates, drops, advances or consumes a replication slot or origin"
_FILE = "writes or removes a file on the server"
_INDEX = "changes an index outside the transaction (BRIN/GIN maintenance)"
_NOTIFY = "sends a notification to other sessions"
_OWN_CONNECTION = "opens a connection of its own, whose work commits apart from the dry-run"

_FUNCTIONS = {
    "nextval": _SEQUENCE,
    "setval": _SEQUENCE,
    "pg_advisory_lock": _SESSION_LOCK,
    "pg_advisory_lock_shared": _SESSION_LOCK,
    "pg_try_advisory_lock": _SESSION_LOCK,
    "pg_try_advisory_lock_shared": _SESSION_LOCK,
    "pg_terminate_backend": _SIGNAL,
    "pg_cancel_backend": _SIGNAL,
    "pg_reload_conf": _SERVER,
    "pg_rotate_logfile": _SERVER,
    "pg_promote": _SERVER,
    "pg_switch_wal": _SERVER,
    "pg_create_restore_point": _SERVER,
    "pg_backup_start": _SERVER,
    "pg_backup_stop": _SERVER,
    "pg_start_backup": _SERVER,
    "pg_stop_backup": _SERVER,
    "pg_wal_replay_pause": _SERVER,
    "pg_wal_replay_resume": _SERVER,
    "pg_log_backend_memory_contexts": _SERVER,
    "pg_log_standby_snapshot": _SERVER,
    "pg_logical_emit_message": _SLOT,
    "pg_replication_slot_advance": _SLOT,
    "pg_drop_replication_slot": _SLOT,
    "pg_stat_statements_reset": _STATS,
    "lo_export": _FILE,
    "pg_file_write": _FILE,
    "pg_file_rename": _FILE,
    "pg_file_unlink": _FILE,
    "pg_file_sync": _FILE,
    "brin_summarize_new_values": _INDEX,
    "brin_summarize_range": _INDEX,
    "brin_desummarize_range": _INDEX,
    "gin_clean_pending_list": _INDEX,
    "pg_notify": _NOTIFY,
}
_PREFIXES = (
    ("dblink", _OWN_CONNECTION),
    ("pg_stat_reset", _STATS),
    ("pg_create_", _SLOT),  # physical/logical slots, restore points
    ("pg_copy_", _SLOT),  # pg_copy_{physical,logical}_replication_slot
    ("pg_logical_slot_get_", _SLOT),  # consumes the slot's changes
    ("pg_replication_origin_", _SLOT),
)
# pg_replication_origin_* that only read.
_READ_ONLY = {
    "pg_replication_origin_oid",
    "pg_replication_origin_progress",
    "pg_replication_origin_session_is_setup",
    "pg_replication_origin_session_progress",
}

# Statements that are themselves not undone by ROLLBACK (or that let the session do
# what pgfence cannot see).
_STATEMENTS: dict[type, str] = {
    ast.NotifyStmt: _NOTIFY,
    ast.VacuumStmt: "VACUUM and ANALYZE write statistics into pg_class in place: a rollback "
    "does not undo them",
    ast.CheckPointStmt: _SERVER,
    ast.AlterSystemStmt: "ALTER SYSTEM writes postgresql.auto.conf",
    ast.LoadStmt: "LOAD brings a library into the session",
    ast.CreateSubscriptionStmt: "a subscription creates a replication slot on its publisher",
    ast.AlterSubscriptionStmt: "a subscription acts on its publisher",
    ast.DropSubscriptionStmt: "dropping a subscription drops its slot on the publisher",
}
_PREPARED_TX = {
    TransactionStmtKind.TRANS_STMT_PREPARE,
    TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED,
    TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED,
}
# Subtrees that are stored, not run, when their statement runs (a default, a view, a
# function body): calls inside them happen later, not in the dry-run.
_STORED = (
    ast.CreateFunctionStmt,
    ast.ViewStmt,
    ast.RuleStmt,
    ast.CreatePolicyStmt,
    ast.AlterPolicyStmt,
    ast.CreateTrigStmt,
    ast.CreateDomainStmt,
    ast.CreateStmt,
)
_DML = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt, ast.TruncateStmt)
MAX_DEPTH = 4  # function bodies followed through calls, this deep


@dataclass(frozen=True)
class Routine:
    """A function, procedure or trigger function as the catalog has it."""

    name: str
    language: str  # sql, plpgsql, c, internal, …
    # prosrc of a SQL function; the whole CREATE FUNCTION text of a BEGIN ATOMIC or a
    # PL/pgSQL one (PL/pgSQL is compiled knowing what the function returns).
    source: str
    builtin: bool  # in pg_catalog


@dataclass(frozen=True)
class Column:
    name: str
    from_sequence: bool  # an identity column, or a default that calls nextval


class Lookup(Protocol):
    """What the catalog of the server says, for the tables and functions a statement
    names. On `--dsn`: the migration's own session, inside its transaction."""

    def routines(self, name: Sequence[str]) -> list[Routine]: ...
    def columns(self, table: ast.RangeVar) -> list[Column]: ...
    def trigger_routines(self, table: ast.RangeVar) -> list[Routine]: ...
    def event_trigger_routines(self) -> list[Routine]: ...


def lasting_effect(node: object, lookup: Lookup | None = None) -> str | None:
    """Why running `node` could leave a trace that ROLLBACK does not remove, or None.

    Without `lookup` only what the statement's own text shows is searched.
    """
    search = _Search(lookup)
    try:
        search.statement(node, depth=0)
    except _Found as found:
        return found.reason
    return None


class _Found(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Search:
    lookup: Lookup | None
    seen: set[str] = field(default_factory=set)  # routines already searched

    def statement(self, node: object, depth: int) -> None:
        self._statement_kind(node)
        for inner in _executed_nodes(node):
            if isinstance(inner, ast.FuncCall):
                self._call(_name(inner.funcname), depth)
            elif isinstance(inner, ast.CallStmt) and inner.funccall is not None:
                self._call(_name(inner.funccall.funcname), depth, procedure=True)
            elif isinstance(inner, ast.DoStmt):
                self._do(inner, depth)
        if self.lookup is None:
            return
        if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.MergeStmt | ast.CopyStmt):
            self._sequence_defaults(node)
        for table in _written_tables(node):
            for routine in self.lookup.trigger_routines(table):
                self._routine(routine, depth + 1, f"a trigger on {table.relname}")
        if not isinstance(node, (*_DML, ast.SelectStmt, ast.CopyStmt, ast.VariableSetStmt)):
            for routine in self.lookup.event_trigger_routines():
                self._routine(routine, depth + 1, "an event trigger")

    def _sequence_defaults(self, node: object) -> None:
        assert self.lookup is not None
        table = getattr(node, "relation", None)
        if not isinstance(table, ast.RangeVar):
            return
        if isinstance(node, ast.CopyStmt) and not node.is_from:
            return
        drawn = _draws(node, self.lookup.columns(table))
        if drawn:
            raise _Found(
                f"the rows it writes take {table.relname}.{drawn[0]} from a sequence, whose "
                "advance a rollback does not undo"
            )

    def _statement_kind(self, node: object) -> None:
        reason = _STATEMENTS.get(type(node))
        if reason is not None:
            raise _Found(reason)
        if isinstance(node, ast.TransactionStmt) and node.kind in _PREPARED_TX:
            raise _Found("a prepared transaction outlives the session")
        if isinstance(node, ast.CopyStmt) and (node.filename is not None or node.is_program):
            where = "a program on the server" if node.is_program else "a file on the server"
            raise _Found(f"COPY to or from {where} acts outside the database")
        if isinstance(node, ast.ExecuteStmt):
            raise _Found("EXECUTE runs a prepared statement pgfence cannot see")

    def _call(self, name: tuple[str, ...], depth: int, *, procedure: bool = False) -> None:
        function = name[-1].lower()
        reason = _function_reason(function)
        if reason is not None:
            raise _Found(f"{function}() {reason}")
        if self.lookup is None:
            if procedure:
                raise _Found("CALL runs a procedure pgfence cannot read without the catalog")
            return
        routines = self.lookup.routines(name)
        if procedure and not routines:
            raise _Found(f"CALL {function}: pgfence cannot find the procedure to read it")
        for routine in routines:
            if not routine.builtin:
                self._routine(routine, depth + 1, f"{routine.name}()")

    def _routine(self, routine: Routine, depth: int, where: str) -> None:
        key = f"{routine.name}:{routine.language}:{hash(routine.source)}"
        if key in self.seen:
            return
        self.seen.add(key)
        if depth > MAX_DEPTH:
            raise _Found(f"{where} calls functions deeper than pgfence follows ({MAX_DEPTH})")
        try:
            if routine.language == "sql":
                self._sql_body(routine.source, depth, where)
            elif routine.language == "plpgsql":
                self._plpgsql(routine.source, depth, where, definition=True)
            elif routine.language not in ("c", "internal"):
                raise _Found(f"{where} is written in {routine.language}, which pgfence cannot read")
        except _Found as found:
            if found.reason.startswith(where):
                raise
            raise _Found(f"{where}: {found.reason}") from None
        # A C function of an extension: only its name can tell (the lists above).

    def _sql_body(self, source: str, depth: int, where: str) -> None:
        try:
            nodes = [raw.stmt for raw in pglast.parse_sql(source)]
        except pglast.parser.ParseError:
            raise _Found(f"{where}: its SQL body does not parse") from None
        for inner in nodes:
            if isinstance(inner, ast.CreateFunctionStmt) and inner.sql_body is not None:
                for body in _nodes(inner.sql_body):  # BEGIN ATOMIC … END, run when called
                    self._executed(body, depth)
            else:
                self.statement(inner, depth)

    def _executed(self, node: object, depth: int) -> None:
        if isinstance(node, ast.FuncCall):
            self._call(_name(node.funcname), depth)

    def _do(self, node: ast.DoStmt, depth: int) -> None:
        parsed = plpgsql_body(node)
        if parsed is None:
            return
        language, body = parsed
        if language == "sql":
            self._sql_body(body, depth, "the DO block")
        elif language == "plpgsql":
            self._plpgsql(body, depth, "the DO block")
        else:
            raise _Found(f"the DO block is written in {language}, which pgfence cannot read")

    def _plpgsql(self, body: str, depth: int, where: str, *, definition: bool = False) -> None:
        for query, mode in plpgsql_queries(body, where, definition=definition):
            for node in _parse_expression(query, mode, where):
                self.statement(node, depth)


def plpgsql_queries(
    body: str, where: str = "the body", *, definition: bool = False
) -> Iterator[tuple[str, int]]:
    """Every SQL text a PL/pgSQL body runs (or a whole CREATE FUNCTION, `definition`),
    with libpg_query's parse mode; raises _Found on what cannot be read (EXECUTE of a
    built string, COMMIT inside a procedure)."""
    tag = "pgfence_body"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = (
        body
        if definition
        else "CREATE FUNCTION pg_temp.pgfence_body() RETURNS void LANGUAGE plpgsql "
        f"AS ${tag}${body}${tag}$"
    )
    try:
        tree = json.loads(pglast.parser.parse_plpgsql_json(wrapper))
    except Exception:
        raise _Found(f"{where}: its PL/pgSQL does not parse") from None
    stack: list[object] = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                    raise _Found(f"{where} runs SQL it builds at run time (EXECUTE)")
                if key in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
                    raise _Found(f"{where} ends transactions of its own")
                if key == "PLpgSQL_expr" and isinstance(inner, dict):
                    yield str(inner.get("query", "")), int(inner.get("parseMode", 0))
                else:
                    stack.append(inner)


_ASSIGNMENT = re.compile(r"\A\s*[^:=]+?\s*(?::=|=)\s*", re.DOTALL)


def _parse_expression(query: str, mode: int, where: str) -> list[object]:
    """A PL/pgSQL expression as a statement: mode 0 is a whole statement, 2 an
    expression, 3–5 an assignment `target := expression`."""
    if mode == 0:
        text = query
    elif mode == 2:
        text = f"SELECT {query}"
    else:
        text = "SELECT " + _ASSIGNMENT.sub("", query, count=1)
    try:
        return [raw.stmt for raw in pglast.parse_sql(text)]
    except pglast.parser.ParseError:
        raise _Found(f"{where}: pgfence cannot read `{query[:60]}`") from None


def _function_reason(function: str) -> str | None:
    reason = _FUNCTIONS.get(function)
    if reason is not None:
        return reason
    if function in _READ_ONLY:
        return None
    for prefix, why in _PREFIXES:
        if function.startswith(prefix):
            return why
    return None


def _name(funcname: Any) -> tuple[str, ...]:
    return tuple(str(part.sval) for part in funcname or () if isinstance(part, ast.String))


def _children(node: ast.Node) -> list[object]:
    slots: Any = getattr(type(node), "__slots__", ())
    return [getattr(node, slot, None) for slot in slots]


def _nodes(root: object) -> Iterator[ast.Node]:
    """Every node below `root`, without recursion (parse trees can be deep)."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ast.Node):
            yield value
            stack.extend(_children(value))
        elif isinstance(value, list | tuple):
            stack.extend(value)


def _executed_nodes(root: object) -> Iterator[ast.Node]:
    """The nodes of what runs now: stored bodies, defaults and view queries are left out,
    and so is a column default set by ALTER TABLE … SET DEFAULT (it runs on later inserts)."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ast.Node):
            if isinstance(value, _STORED):
                continue
            if (
                isinstance(value, ast.AlterTableCmd)
                and value.subtype == AlterTableType.AT_ColumnDefault
            ):
                continue
            yield value
            if isinstance(value, ast.DoStmt):
                continue  # its body is read apart
            stack.extend(_children(value))
        elif isinstance(value, list | tuple):
            stack.extend(value)


def _written_tables(node: object) -> list[ast.RangeVar]:
    if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt):
        return [node.relation] if node.relation is not None else []
    if isinstance(node, ast.CopyStmt) and node.is_from and node.relation is not None:
        return [node.relation]
    if isinstance(node, ast.TruncateStmt):
        return [r for r in node.relations or () if isinstance(r, ast.RangeVar)]
    return []


def _draws(node: object, columns: list[Column]) -> list[str]:
    """Columns whose sequence the rows `node` writes draw from."""
    from_sequence = [c.name for c in columns if c.from_sequence]
    if not from_sequence:
        return []
    explicit_default = any(isinstance(n, ast.SetToDefault) for n in _nodes(node))
    if isinstance(node, ast.UpdateStmt):
        return from_sequence if explicit_default else []
    if isinstance(node, ast.MergeStmt):
        inserts = any(
            isinstance(n, ast.MergeWhenClause) and n.commandType == CmdType.CMD_INSERT
            for n in _nodes(node)
        )
        return from_sequence if inserts or explicit_default else []
    named: list[str] | None = None
    if isinstance(node, ast.InsertStmt) and node.cols:
        named = [str(c.name) for c in node.cols if isinstance(c, ast.ResTarget)]
    elif isinstance(node, ast.CopyStmt) and node.attlist:
        named = [str(part.sval) for part in node.attlist if isinstance(part, ast.String)]
    if named is None:
        width = _row_width(node)
        if width is None:
            return from_sequence
        named = [c.name for c in columns[:width]]
    missing = [name for name in from_sequence if name not in named]
    return from_sequence if explicit_default else missing


def _row_width(node: object) -> int | None:
    """How many columns an INSERT without a column list fills, when its text says."""
    if isinstance(node, ast.CopyStmt):
        return 10**6  # COPY without a column list fills every column
    if not isinstance(node, ast.InsertStmt) or node.selectStmt is None:
        return 0  # DEFAULT VALUES
    select = node.selectStmt
    if isinstance(select, ast.SelectStmt):
        if select.valuesLists:
            widths = {len(row) for row in select.valuesLists}
            return min(widths) if widths else None
        if select.targetList and not any(
            isinstance(t, ast.ResTarget)
            and isinstance(t.val, ast.ColumnRef)
            and any(isinstance(f, ast.A_Star) for f in t.val.fields or ())
            for t in select.targetList
        ):
            return len(select.targetList)
    return None


class CatalogLookup:
    """`Lookup` through a session of the server (on `--dsn`, the migration's own, inside its
    transaction, so that what earlier statements created is seen). Reads catalogs only."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._event_triggers: list[Routine] | None = None

    def routines(self, name: Sequence[str]) -> list[Routine]:
        schema = name[-2] if len(name) > 1 else None
        rows = self.conn.execute(
            queries.ROUTINES_BY_NAME, {"name": name[-1], "schema": schema}
        ).fetchall()
        return [_routine(row) for row in rows]

    def columns(self, table: ast.RangeVar) -> list[Column]:
        rows = self.conn.execute(queries.TABLE_COLUMNS, (_qualified(table),)).fetchall()
        return [Column(str(row[0]), bool(row[1])) for row in rows]

    def trigger_routines(self, table: ast.RangeVar) -> list[Routine]:
        rows = self.conn.execute(queries.TRIGGER_ROUTINES, {"table": _qualified(table)}).fetchall()
        return [_routine(row) for row in rows]

    def event_trigger_routines(self) -> list[Routine]:
        if self._event_triggers is None:
            rows = self.conn.execute(queries.EVENT_TRIGGER_ROUTINES).fetchall()
            self._event_triggers = [_routine(row) for row in rows]
        return self._event_triggers


def _routine(row: Sequence[object]) -> Routine:
    return Routine(str(row[0]), str(row[1]), str(row[2] or ""), bool(row[3]))


def _qualified(table: ast.RangeVar) -> str:
    parts = [p for p in (table.schemaname, table.relname) if p]
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)
