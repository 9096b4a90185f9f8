"""The few statements pgfence runs as the superuser on behalf of a migration's role.

Migrations and starting schemas run as roles.MIGRATION_ROLE. Two kinds of statement
need more, and pgfence runs them itself, rebuilt from the parse tree (never the user's
text, which could carry anything else):

- `CREATE EXTENSION` of an extension that is not marked trusted (vector, postgres_fdw,
  pg_stat_statements, …): the superuser creates it, in the schema the migration's
  session would have used, and lets the migration's role use the foreign-data wrappers
  it brings (a DBA would do both before the application's migrations run);
- `CREATE ROLE` on PostgreSQL 14 and 15, where the migration's role may not create roles:
  the role is made without any attribute (NOLOGIN, never SUPERUSER) and granted to the
  migration's role, so that objects can be given to it;
- `CREATE ACCESS METHOD`, which names a handler function that must exist already (only a
  superuser can make one: it is C);
- `DROP EXTENSION` of an extension the superuser owns (plpgsql, or one created above).

The starting schema's replay (replay.py) uses all of it; the dry-run of the migrations
under review (runner.py) only the first: any other statement that needs a superuser
fails in the dry-run, as it would for an application role.

The superuser's session is opened on first need only.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import psycopg
from pglast import ast
from pglast.enums import DropBehavior, ObjectType
from psycopg import errors, sql

from pgfence.dryrun import queries
from pgfence.dryrun.servers import roles


class Privileged:
    """Runs what the migration's role may not, as the superuser of `superuser_dsn`
    (None: nothing is run, every such statement fails as the role's own)."""

    def __init__(self, superuser_dsn: str | None) -> None:
        self._dsn = superuser_dsn
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> Privileged:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def takes(self, node: ast.Node | None, exc: psycopg.Error) -> bool:
        """Is this a statement the superuser runs instead, after it failed for want of
        privilege in the migration's session?"""
        return (
            self._dsn is not None
            and isinstance(exc, errors.InsufficientPrivilege)
            and (
                isinstance(node, ast.CreateExtensionStmt | ast.CreateRoleStmt | ast.CreateAmStmt)
                or _drops_extensions(node)
            )
        )

    def needs(self, node: ast.Node | None, migration: psycopg.Connection[Any]) -> bool:
        """Asked before running a migration's statement: is it a CREATE EXTENSION the
        migration's role cannot do (the extension is not trusted), which `run` would do
        as the superuser? (Trying it first would abort the migration's transaction.)"""
        return (
            self._dsn is not None
            and isinstance(node, ast.CreateExtensionStmt)
            and bool(roles.untrusted(migration, [str(node.extname)]))
        )

    def run(self, node: ast.Node, migration: psycopg.Connection[Any]) -> None:
        """Run `node` (a statement `takes` accepted) as the superuser."""
        if isinstance(node, ast.CreateExtensionStmt):
            self.create_extension(node, migration)
        elif isinstance(node, ast.CreateRoleStmt) and node.role:
            roles.create_role_for(self._superuser(), node.role)
        elif isinstance(node, ast.CreateAmStmt):
            self.create_access_method(node)
        elif isinstance(node, ast.DropStmt) and _drops_extensions(node):
            self.drop_extensions(node)

    def create_role(self, name: str, migration: psycopg.Connection[Any]) -> None:
        """`name`, created by the migration's role if it may, else by the superuser."""
        try:
            migration.execute(sql.SQL(queries.CREATE_ROLE).format(name=sql.Identifier(name)))
            return
        except errors.InsufficientPrivilege:
            if self._dsn is None:
                raise
        roles.create_role_for(self._superuser(), name)

    def create_extension(
        self, node: ast.CreateExtensionStmt, migration: psycopg.Connection[Any]
    ) -> None:
        options = {o.defname: o.arg for o in node.options or () if isinstance(o, ast.DefElem)}
        schema = _text(options.get("schema"))
        if schema is None:
            row = migration.execute("SELECT current_schema()").fetchone()
            schema = None if row is None or row[0] is None else str(row[0])
        name = str(node.extname)
        parts: list[sql.Composable] = [sql.SQL("CREATE EXTENSION")]
        if node.if_not_exists:
            parts.append(sql.SQL("IF NOT EXISTS"))
        parts.append(sql.Identifier(name))
        if schema is not None:
            parts += [sql.SQL("SCHEMA"), sql.Identifier(schema)]
        version = _text(options.get("new_version"))
        if version is not None:
            parts += [sql.SQL("VERSION"), sql.Literal(version)]
        if _true(options.get("cascade")):
            parts.append(sql.SQL("CASCADE"))
        superuser = self._superuser()
        superuser.execute(sql.SQL(" ").join(parts))
        roles.grant_wrappers(superuser, name)

    def create_access_method(self, node: ast.CreateAmStmt) -> None:
        kind = {"t": "TABLE", "i": "INDEX"}[str(node.amtype)]
        handler = [_text(part) or "" for part in node.handler_name or ()]
        self._superuser().execute(
            sql.SQL("CREATE ACCESS METHOD {} TYPE {} HANDLER {}").format(
                sql.Identifier(str(node.amname)), sql.SQL(kind), sql.Identifier(*handler)
            )
        )

    def drop_extensions(self, node: ast.DropStmt) -> None:
        names = [sql.Identifier(_text(name) or "") for name in node.objects or ()]
        query = sql.SQL("DROP EXTENSION {}{}{}").format(
            sql.SQL("IF EXISTS ") if node.missing_ok else sql.SQL(""),
            sql.SQL(", ").join(names),
            sql.SQL(" CASCADE") if node.behavior == DropBehavior.DROP_CASCADE else sql.SQL(""),
        )
        self._superuser().execute(query)

    def _superuser(self) -> psycopg.Connection[Any]:
        assert self._dsn is not None
        if self._conn is None:
            self._conn = psycopg.connect(
                self._dsn, autocommit=True, application_name="pgfence admin"
            )
        return self._conn


def _drops_extensions(node: ast.Node | None) -> bool:
    return isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_EXTENSION


def _text(value: object) -> str | None:
    if isinstance(value, ast.String):
        return str(value.sval)
    if isinstance(value, str):
        return value
    return None


def _true(value: object) -> bool:
    if isinstance(value, ast.Boolean):
        return bool(value.boolval)
    if isinstance(value, ast.Integer):
        return bool(value.ival)
    return value is not None and not isinstance(value, ast.Node)
