"""Triggers, policies, comments, grants, sequences, domains, DO blocks and the rest."""

from __future__ import annotations

import json

import pglast
from pglast import ast
from pglast.enums import (
    AlterPublicationAction,
    ObjectType,
)

from pgfence.analysis.predict.core import (
    Context,
    Match,
    absent,
    all_partitions,
    classifies,
    classify,
)
from pgfence.pg.rows import Row

# ---- other objects ------------------------------------------------------------------------------


@classifies(ast.CreateTrigStmt)
def _create_trigger(node: ast.CreateTrigStmt, ctx: Context) -> list[Match]:
    relation = ctx.catalog.rangevar(node.relation)
    match = Match(Row.CREATE_TRIGGER).bind("target", relation)
    if node.row and node.relation.inh:
        # A row-level trigger on a partitioned table is cloned on every partition.
        match.bind("target-partitions", *all_partitions(ctx.catalog, relation))
    return [match]


@classifies(ast.CreatePublicationStmt, ast.AlterPublicationStmt)
def _publication(node: ast.CreatePublicationStmt, ctx: Context) -> list[Match]:
    """Tables added to or dropped from a publication: SHARE UPDATE EXCLUSIVE on each
    (publicationcmds.c); FOR ALL TABLES and TABLES IN SCHEMA open none."""
    named = [
        ctx.catalog.rangevar(obj.pubtable.relation)
        for obj in node.pubobjects or ()
        if isinstance(obj, ast.PublicationObjSpec) and obj.pubtable is not None
    ]
    tables = list(named)
    if (
        isinstance(node, ast.AlterPublicationStmt)
        and node.action == AlterPublicationAction.AP_SetObjects
    ):
        # SET TABLE drops the tables it no longer lists, each under the same lock.
        known = ctx.catalog.publications.get(node.pubname)
        tables.extend(sorted((known or set()) - set(named)))
        if known is None and not ctx.catalog.complete:
            return [
                Match(
                    Row.PUBLICATION,
                    notes=["unknown: give --schema — SET TABLE also locks the tables it drops"],
                ).bind("target", *tables)
            ]
    if not tables:
        return [Match(Row.NO_RELATION_LOCK)]
    return [Match(Row.PUBLICATION).bind("target", *tables)]


@classifies(ast.CreatePolicyStmt, ast.AlterPolicyStmt)
def _policy(node: ast.CreatePolicyStmt, ctx: Context) -> list[Match]:
    return [Match(Row.CREATE_POLICY).bind("target", ctx.catalog.rangevar(node.table))]


@classifies(ast.RuleStmt)
def _rule(node: ast.RuleStmt, ctx: Context) -> list[Match]:
    return [Match(Row.CREATE_RULE).bind("target", ctx.catalog.rangevar(node.relation))]


_RELATION_OBJECTS = {
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_INDEX,
    ObjectType.OBJECT_SEQUENCE,
    ObjectType.OBJECT_FOREIGN_TABLE,
}


@classifies(ast.CommentStmt, ast.SecLabelStmt)
def _comment(node: ast.CommentStmt, ctx: Context) -> list[Match]:
    obj = node.object
    if node.objtype in _RELATION_OBJECTS and isinstance(obj, (list, tuple)):
        return [Match(Row.COMMENT).bind("target", ctx.catalog.names(obj))]
    if node.objtype == ObjectType.OBJECT_COLUMN and isinstance(obj, (list, tuple)) and len(obj) > 1:
        return [Match(Row.COMMENT).bind("target", ctx.catalog.names(list(obj)[:-1]))]
    if node.objtype in (
        ObjectType.OBJECT_TABCONSTRAINT,
        ObjectType.OBJECT_TRIGGER,
        ObjectType.OBJECT_POLICY,
        ObjectType.OBJECT_RULE,
    ) and isinstance(obj, (list, tuple)):
        return [Match(Row.COMMENT).bind("target", ctx.catalog.names(list(obj)[:-1]))]
    return [Match(Row.NO_RELATION_LOCK)]


@classifies(ast.GrantStmt)
def _grant(node: ast.GrantStmt, ctx: Context) -> list[Match]:
    if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_SEQUENCE) and all(
        isinstance(o, ast.RangeVar) for o in node.objects or ()
    ):
        return [
            Match(Row.GRANT).bind("target", *(ctx.catalog.rangevar(o) for o in node.objects or ()))
        ]
    return [Match(Row.NO_RELATION_LOCK)]


@classifies(ast.CreateSeqStmt)
def _create_sequence(node: ast.CreateSeqStmt, ctx: Context) -> list[Match]:
    return [Match(Row.CREATE_SEQUENCE).bind("new", ctx.catalog.rangevar(node.sequence))]


# ALTER SEQUENCE options that leave the sequence's file alone (sequence.c: init_params sets
# need_seq_rewrite for everything else, `AS type` included: measured on 14-18, and what
# Django's AlterField of an integer key to bigint sends after the ALTER TABLE).
_CATALOG_ONLY_SEQUENCE_OPTIONS = frozenset({"owned_by"})


@classifies(ast.AlterSeqStmt)
def _alter_sequence(node: ast.AlterSeqStmt, ctx: Context) -> list[Match]:
    sequence = ctx.catalog.rangevar(node.sequence)
    if absent(ctx, sequence, node.missing_ok):
        return [Match(Row.NO_RELATION_LOCK)]
    options = {d.defname for d in node.options or () if isinstance(d, ast.DefElem)}
    if options and options <= _CATALOG_ONLY_SEQUENCE_OPTIONS:
        match = Match(Row.ALTER_SEQUENCE__NO_REWRITE).bind("sequence", sequence)
        for option in node.options or ():
            owner = option.arg if option.defname == "owned_by" else None
            names = [n for n in owner or () if isinstance(n, ast.String)]
            if len(names) >= 2:
                match.bind("sources", ctx.catalog.names(names[:-1]))
        return [match]
    return [Match(Row.ALTER_SEQUENCE).bind("sequence", sequence)]


@classifies(ast.CreateStatsStmt)
def _create_statistics(node: ast.CreateStatsStmt, ctx: Context) -> list[Match]:
    relations = [
        ctx.catalog.rangevar(r) for r in node.relations or () if isinstance(r, ast.RangeVar)
    ]
    return [Match(Row.CREATE_STATISTICS).bind("target", *relations)]


@classifies(ast.AlterDomainStmt)
def _alter_domain(node: ast.AlterDomainStmt, ctx: Context) -> list[Match]:
    # C: ADD CONSTRAINT, V: VALIDATE CONSTRAINT, O: SET NOT NULL check every stored value.
    adds_unvalidated = node.subtype == "C" and getattr(node.def_, "skip_validation", False)
    if node.subtype not in ("C", "V", "O") or adds_unvalidated:
        return [Match(Row.NO_RELATION_LOCK)]
    domain = node.typeName[-1].sval.lower() if node.typeName else ""
    users = [
        t.name
        for t in ctx.catalog.tables.values()
        if any(c.type is not None and c.type.name == domain for c in t.columns.values())
    ]
    match = Match(Row.ALTER_DOMAIN__ADD_CONSTRAINT).bind("sources", *users)
    if not users:
        match.notes.append(f"every table with a column of domain {domain} is checked under SHARE")
    return [match]


@classifies(ast.CreateSchemaStmt)
def _create_schema(node: ast.CreateSchemaStmt, ctx: Context) -> list[Match]:
    matches: list[Match] = [Match(Row.NO_RELATION_LOCK)]
    for element in node.schemaElts or ():
        inner = classify(element, ctx.catalog, ctx.version)
        if inner:
            matches.extend(inner)
    return matches


@classifies(ast.ExplainStmt)
def _explain(node: ast.ExplainStmt, ctx: Context) -> list[Match]:
    analyze = any(isinstance(o, ast.DefElem) and o.defname == "analyze" for o in node.options or ())
    inner = classify(node.query, ctx.catalog, ctx.version) or []
    if analyze:
        return inner
    # Plain EXPLAIN plans the query: the planner's weak locks, nothing is executed.
    return [Match(Row.SELECT).bind("target", *m.roles.get("target", [])) for m in inner] or [
        Match(Row.NO_RELATION_LOCK)
    ]


@classifies(ast.TransactionStmt)
def _transaction(node: ast.TransactionStmt, ctx: Context) -> list[Match]:
    return [Match(Row.TRANSACTION_CONTROL)]


@classifies(ast.DoStmt)
def _do(node: ast.DoStmt, ctx: Context) -> list[Match]:
    return plpgsql_matches(node, ctx)


def plpgsql_body(node: ast.DoStmt) -> tuple[str, str] | None:
    """(language, body) of a DO block."""
    language, body = "plpgsql", None
    for arg in node.args or ():
        if isinstance(arg, ast.DefElem) and arg.defname == "as":
            body = arg.arg.sval
        elif isinstance(arg, ast.DefElem) and arg.defname == "language":
            language = arg.arg.sval.lower()
    return (language, body) if body is not None else None


def plpgsql_statements(body: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """The SQL a PL/pgSQL body runs: [(sql, conditional)], plus what cannot be read.

    Static SQL inside the body is returned; EXECUTE of a built string and PERFORM of
    functions are opaque. `conditional` is True under IF / CASE / loops / handlers.
    """
    tag = "pgfence_body"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = (
        "CREATE FUNCTION pg_temp.pgfence_do() RETURNS void LANGUAGE plpgsql "
        f"AS ${tag}${body}${tag}$"
    )
    try:
        tree = json.loads(pglast.parser.parse_plpgsql_json(wrapper))
    except Exception as exc:
        return [], [f"the PL/pgSQL body does not parse: {exc}"]
    found: list[tuple[str, bool]] = []
    opaque: list[str] = []

    def walk(value: object, conditional: bool) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, conditional)
            return
        if not isinstance(value, dict):
            return
        for key, inner in value.items():
            if key == "PLpgSQL_stmt_execsql":
                found.append((inner["sqlstmt"]["PLpgSQL_expr"]["query"], conditional))
            elif key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                opaque.append("EXECUTE of a dynamically built statement")
            else:
                branch = conditional or key in (
                    "PLpgSQL_stmt_if",
                    "PLpgSQL_stmt_case",
                    "PLpgSQL_stmt_loop",
                    "PLpgSQL_stmt_while",
                    "PLpgSQL_stmt_fori",
                    "PLpgSQL_stmt_fors",
                    "PLpgSQL_stmt_foreach_a",
                    "exceptions",
                    "elsif_list",
                    "else_body",
                )
                walk(inner, branch)

    walk(tree, False)
    return found, opaque


def plpgsql_matches(node: ast.DoStmt, ctx: Context) -> list[Match]:
    parsed = plpgsql_body(node)
    if parsed is None or parsed[0] != "plpgsql":
        return [Match("unanalysable", notes=["a DO block in a language pgfence cannot read"])]
    statements, opaque = plpgsql_statements(parsed[1])
    matches: list[Match] = []
    for sql, conditional in statements:
        try:
            inner_nodes = [raw.stmt for raw in pglast.parse_sql(sql)]
        except pglast.parser.ParseError:
            opaque.append(f"cannot parse `{sql[:60]}`")
            continue
        for inner in inner_nodes:
            inner_matches = classify(inner, ctx.catalog, ctx.version)
            if inner_matches is None:
                opaque.append(f"does not know what {type(inner).__name__} locks")
                continue
            if conditional:
                for m in inner_matches:
                    m.notes.append("inside a condition or handler of the DO block: it may not run")
            matches.extend(inner_matches)
    if opaque:
        matches.append(
            Match("unanalysable", notes=[f"DO block: {', '.join(dict.fromkeys(opaque))}"])
        )
    return matches or [Match(Row.NO_RELATION_LOCK)]


_NO_RELATION_LOCK = (
    ast.VariableSetStmt,
    ast.VariableShowStmt,
    ast.CreateFunctionStmt,
    ast.AlterFunctionStmt,
    ast.CreateEnumStmt,
    ast.AlterEnumStmt,
    ast.CreateDomainStmt,
    ast.DefineStmt,
    ast.CompositeTypeStmt,
    ast.CreateRangeStmt,
    ast.CreateExtensionStmt,
    ast.AlterExtensionStmt,
    ast.CreateRoleStmt,
    ast.AlterRoleStmt,
    ast.AlterRoleSetStmt,
    ast.DropRoleStmt,
    ast.GrantRoleStmt,
    ast.AlterDefaultPrivilegesStmt,
    ast.AlterOwnerStmt,
    ast.CreateCastStmt,
    ast.CreateConversionStmt,
    ast.CreateOpClassStmt,
    ast.CreateOpFamilyStmt,
    ast.AlterOpFamilyStmt,
    ast.CreateTransformStmt,
    ast.CreateEventTrigStmt,
    ast.AlterEventTrigStmt,
    ast.CreateFdwStmt,
    ast.CreateForeignServerStmt,
    ast.CreateUserMappingStmt,
    ast.CreatePLangStmt,
    ast.AlterDatabaseSetStmt,
    ast.AlterDatabaseStmt,
    ast.AlterSystemStmt,
    ast.CreatedbStmt,
    ast.DropdbStmt,
    ast.NotifyStmt,
    ast.ListenStmt,
    ast.UnlistenStmt,
    ast.DiscardStmt,
    ast.CheckPointStmt,
    ast.PrepareStmt,
    ast.DeallocateStmt,
    ast.LoadStmt,
    ast.ConstraintsSetStmt,
    ast.AlterTSConfigurationStmt,
    ast.AlterTSDictionaryStmt,
    ast.AlterCollationStmt,
    ast.CreateAmStmt,
    ast.CreateTableSpaceStmt,
    ast.DropTableSpaceStmt,
    ast.AlterTypeStmt,
)


@classifies(*_NO_RELATION_LOCK)
def _no_relation_lock(node: object, ctx: Context) -> list[Match]:
    return [Match(Row.NO_RELATION_LOCK)]


@classifies(ast.CallStmt, ast.ExecuteStmt)
def _opaque_call(node: object, ctx: Context) -> list[Match]:
    return [
        Match(
            "unanalysable", notes=["calls a procedure or prepared statement: its locks are unknown"]
        )
    ]
