"""Facts read off one parse tree that several rules and policies need.

Which settings a statement changes (lock_timeout, statement_timeout), whether a data
change touches a whole table in one go, which columns a statement names twice, which
identifiers it creates. Nothing here knows the schema; that is the catalog's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ObjectType, VariableSetKind

from pgfence.analysis.expressions import function_calls, nodes

TIMEOUT_SETTINGS = ("lock_timeout", "statement_timeout")

# Postgres's units for time settings (guc.c's time_unit_conversion_table); a bare number
# is in milliseconds for both lock_timeout and statement_timeout.
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
_UNITS_MS["d"] = 24 * _UNITS_MS["h"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


@dataclass(frozen=True)
class SettingChange:
    name: str  # lock_timeout, statement_timeout, or "all" for RESET ALL
    value_ms: float | None  # None: back to the server's default (RESET / DEFAULT)
    local: bool  # SET LOCAL: only until the end of the transaction


def parse_duration_ms(text: str) -> float | None:
    """'2s', '1min', '500', '500ms' -> milliseconds (None when Postgres would reject it)."""
    m = _DURATION.match(text.lower())
    if m is None:
        return None
    unit = m.group(2) or "ms"
    if unit not in _UNITS_MS:
        return None
    return float(m.group(1)) * _UNITS_MS[unit]


def setting_changes(node: object) -> list[SettingChange]:
    """The timeout settings a statement changes: SET, RESET, SELECT set_config(…)."""
    if isinstance(node, ast.VariableSetStmt):
        if node.kind == VariableSetKind.VAR_RESET_ALL:
            return [SettingChange("all", None, bool(node.is_local))]
        name = (node.name or "").lower()
        if name not in TIMEOUT_SETTINGS:
            return []
        if node.kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_SET_DEFAULT):
            return [SettingChange(name, None, bool(node.is_local))]
        if node.kind == VariableSetKind.VAR_SET_VALUE and node.args:
            value = getattr(node.args[0], "val", None)
            if isinstance(value, ast.Integer):
                return [SettingChange(name, float(value.ival), bool(node.is_local))]
            if isinstance(value, ast.String):
                ms = parse_duration_ms(value.sval)
                return [SettingChange(name, ms, bool(node.is_local))] if ms is not None else []
        return []
    if isinstance(node, ast.SelectStmt):
        out = []
        for name, args in function_calls(node):
            if name != "set_config" or len(args) < 2 or not isinstance(args[0], str):
                continue
            setting = args[0].lower()
            if setting in TIMEOUT_SETTINGS and isinstance(args[1], str):
                ms = parse_duration_ms(args[1])
                if ms is not None:
                    out.append(SettingChange(setting, ms, _set_config_is_local(node)))
        return out
    return []


def _set_config_is_local(node: ast.SelectStmt) -> bool:
    for target in node.targetList or ():
        call = getattr(target, "val", None)
        if isinstance(call, ast.FuncCall) and len(call.args or ()) >= 3:
            flag = getattr(call.args[2], "val", None)
            if isinstance(flag, ast.Boolean):
                return bool(flag.boolval)
    return False


def builds_index_concurrently(node: object) -> bool:
    """CREATE INDEX CONCURRENTLY, or REINDEX (CONCURRENTLY) / REINDEX … CONCURRENTLY."""
    if isinstance(node, ast.IndexStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(
            isinstance(p, ast.DefElem) and p.defname == "concurrently" for p in node.params or ()
        )
    return False


# ---- data changes ---------------------------------------------------------------------------


def data_change_target(node: object) -> ast.RangeVar | None:
    """The table an UPDATE, DELETE, MERGE or INSERT … SELECT writes."""
    if isinstance(node, (ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)):
        return node.relation
    if (
        isinstance(node, ast.InsertStmt)
        and isinstance(node.selectStmt, ast.SelectStmt)
        and node.selectStmt.valuesLists is None
    ):
        return node.relation
    return None


def is_unbatched(node: object) -> bool:
    """Does this data change touch a whole table (or an unbounded part of it) at once?

    A change is bounded when its WHERE clause compares something with a constant
    (`id = 7`, `id BETWEEN 1 AND 10000`, `status IN ('a')`) or draws its rows from a
    subquery with a LIMIT (the batch idiom); an INSERT … SELECT is bounded by a LIMIT.
    A bare `WHERE col IS NULL` is a whole-table backfill.
    """
    if isinstance(node, ast.InsertStmt):
        select = node.selectStmt
        return isinstance(select, ast.SelectStmt) and select.limitCount is None
    if isinstance(node, ast.MergeStmt):
        return True
    if not isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)):
        return False
    where = node.whereClause
    if where is None:
        return True
    return not (_has_limited_subquery(where) or _compares_with_constant(where))


def _has_limited_subquery(where: object) -> bool:
    return any(
        isinstance(n, ast.SubLink)
        and isinstance(n.subselect, ast.SelectStmt)
        and n.subselect.limitCount is not None
        for n in nodes(where)
    )


_BOUNDING_OPERATORS = {"=", "<", "<=", ">", ">="}


def _is_constant(node: object) -> bool:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, (ast.A_Const, ast.ParamRef))


def _compares_with_constant(where: object) -> bool:
    for n in nodes(where):
        if not isinstance(n, ast.A_Expr):
            continue
        op = n.name[-1].sval if n.name else ""
        kind = n.kind.name if n.kind is not None else ""
        sides = (n.lexpr, n.rexpr)
        if kind == "AEXPR_OP" and op in _BOUNDING_OPERATORS and any(map(_is_constant, sides)):
            return True
        if kind in ("AEXPR_IN", "AEXPR_BETWEEN") and op not in ("<>",):
            return True
    return False


# ---- names -----------------------------------------------------------------------------------

NAMEDATALEN = 64  # identifiers are cut to NAMEDATALEN - 1 = 63 bytes


def created_identifiers(node: object) -> list[str]:
    """Names a statement gives to new tables, columns, indexes, constraints, types."""
    names: list[str | None] = []
    if isinstance(node, ast.CreateStmt):
        names.append(node.relation.relname)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                names.append(element.colname)
                names.extend(c.conname for c in element.constraints or ())
            elif isinstance(element, ast.Constraint):
                names.append(element.conname)
    elif isinstance(node, ast.IndexStmt):
        names.append(node.idxname)
    elif isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if isinstance(cmd.def_, ast.ColumnDef):
                names.append(cmd.def_.colname)
                names.extend(c.conname for c in cmd.def_.constraints or ())
            elif isinstance(cmd.def_, ast.Constraint):
                names.append(cmd.def_.conname)
    elif isinstance(node, ast.RenameStmt):
        names.append(node.newname)
    elif isinstance(node, (ast.ViewStmt,)):
        names.append(node.view.relname)
    elif isinstance(node, ast.CreateTableAsStmt):
        names.append(node.into.rel.relname)
    elif isinstance(node, ast.CreateSeqStmt):
        names.append(node.sequence.relname)
    elif isinstance(node, ast.CreateTrigStmt):
        names.append(node.trigname)
    return [n for n in names if n]


def column_assignments(node: object) -> list[tuple[str, str]]:
    """(what, column) for every column a statement sets or defines, in order.

    Postgres refuses a statement that names the same column twice in these places.
    """
    out: list[tuple[str, str]] = []
    if isinstance(node, ast.UpdateStmt):
        out.extend(("SET", t.name) for t in node.targetList or () if _named(t))
    elif isinstance(node, ast.InsertStmt):
        out.extend(("INSERT", t.name) for t in node.cols or () if _named(t))
    elif isinstance(node, ast.CreateStmt):
        out.extend(
            ("CREATE TABLE", e.colname)
            for e in node.tableElts or ()
            if isinstance(e, ast.ColumnDef) and e.colname
        )
    elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        for cmd in node.cmds or ():
            if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                out.append(("ADD COLUMN", cmd.def_.colname))
            elif cmd.subtype == AlterTableType.AT_AlterColumnType and cmd.name:
                out.append(("ALTER COLUMN … TYPE", cmd.name))
    return out


def _named(target: object) -> bool:
    return isinstance(target, ast.ResTarget) and bool(target.name)
