"""Build the starting schema once, in a template database, and copy it for each run.

The schema comes from a pg_dump plain-format file (`--schema FILE`), from `pg_dump
--schema-only` of a server (`--schema-from DSN`, read-only), or from migrations applied
without being observed (`--replay-before`). A dump is replayed as psql would: statement by
statement (in batches, for speed), COPY data streamed, meta-commands skipped. Roles the
dump names but this server lacks are created as NOLOGIN roles; an extension the server
lacks stops the replay with its name, unless the user chose to skip it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from pglast import ast
from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from pgfence.dryrun import queries
from pgfence.dryrun.probe import connect
from pgfence.dryrun.servers.base import Server
from pgfence.dryrun.servers.privileged import Privileged
from pgfence.dsn import check, first_line, is_secret, scrub
from pgfence.dsn import connect as connect_to_source
from pgfence.errors import BadInput, ServerError, UsageError
from pgfence.model import Migration, Statement
from pgfence.pg.transactions import runs_in_transaction
from pgfence.sources.files import read_text
from pgfence.sources.sql import split_script

TEMPLATE_DB = "pgfence_template"
BATCH_SIZE = 200
PG_DUMP_TIMEOUT_S = 600
PG_DUMP_LOCK_WAIT = "2s"  # pg_dump --lock-wait-timeout: as --lock-timeout's default for --dsn
_PG_DUMP_SERVICE = "pgfence"  # the section of the service file that carries secrets
_MISSING_ROLE = re.compile(r'role "(.+)" does not exist')
_MISSING_EXTENSION = re.compile(
    r'extension "(.+)" is not available|could not open extension control file ".*/(\w+)\.control"'
)

# Statements of a dump that make no sense on a copy: they name the dumped database.
_SKIPPED_NODES = (ast.CreatedbStmt, ast.AlterDatabaseStmt, ast.AlterDatabaseSetStmt, ast.DropdbStmt)


@dataclass
class ReplayResult:
    statements: int = 0
    roles_created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file:line: why", for the report


def create_database(server: Server, name: str) -> str:
    """A new, empty database (replacing one of that name); returns its name."""
    with connect(server.dsn("postgres"), application_name="pgfence admin") as admin:
        drop_database(admin, name)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def create_template(server: Server) -> str:
    return create_database(server, TEMPLATE_DB)


def clone(server: Server, template: str, name: str) -> str:
    """A fresh copy of the template database; returns its DSN."""
    with connect(server.dsn("postgres"), application_name="pgfence admin") as admin:
        drop_database(admin, name)
        admin.execute(
            sql.SQL(queries.CREATE_DATABASE).format(
                name=sql.Identifier(name), template=sql.Identifier(template)
            )
        )
    return server.dsn(name)


def drop_database(admin: psycopg.Connection, name: str) -> None:
    admin.execute(queries.TERMINATE_OTHERS, (name,))
    admin.execute(sql.SQL(queries.DROP_DATABASE).format(name=sql.Identifier(name)))


def replay_dump(
    dsn: str,
    path: str,
    *,
    skip_missing_extensions: bool = False,
    server_label: str = "",
    superuser_dsn: str | None = None,
) -> ReplayResult:
    text = read_text(path, max_bytes=None)
    statements, findings = split_script(text, path)
    broken = [f for f in findings if f.rule == "parse-error"]
    if broken:
        raise BadInput(broken[0].message, file=path, line=broken[0].location.line)
    return replay_statements(
        dsn,
        statements,
        skip_missing_extensions=skip_missing_extensions,
        server_label=server_label,
        superuser_dsn=superuser_dsn,
    )


def replay_statements(
    dsn: str,
    statements: Sequence[Statement],
    *,
    skip_missing_extensions: bool = False,
    server_label: str = "",
    superuser_dsn: str | None = None,
) -> ReplayResult:
    """`superuser_dsn`: what the migration's role may not create (an extension that is not
    trusted, a role on PostgreSQL 14 and 15) pgfence creates there (privileged.py)."""
    result = ReplayResult()
    with (
        connect(dsn, application_name="pgfence replay") as conn,
        Privileged(superuser_dsn) as privileged,
    ):
        replayer = _Replayer(conn, result, skip_missing_extensions, server_label, privileged)
        for batch in _batches(statements):
            replayer.run_batch(batch)
    return result


def replay_migrations(
    dsn: str,
    migrations: Iterable[Migration],
    *,
    server_label: str = "",
    superuser_dsn: str | None = None,
) -> ReplayResult:
    statements = [s for m in migrations for s in m.statements]
    return replay_statements(
        dsn, statements, server_label=server_label, superuser_dsn=superuser_dsn
    )


def _batches(statements: Sequence[Statement]) -> Iterable[list[Statement]]:
    batch: list[Statement] = []
    for statement in statements:
        if statement.parse_error is not None:
            raise BadInput(
                f"does not parse: {statement.parse_error}",
                file=statement.location.file,
                line=statement.location.line,
            )
        if isinstance(statement.node, _SKIPPED_NODES):
            continue
        alone = (
            statement.copy_data is not None
            or not runs_in_transaction(statement.node)
            or isinstance(statement.node, ast.TransactionStmt)
        )
        if alone:
            if batch:
                yield batch
                batch = []
            yield [statement]
        else:
            batch.append(statement)
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
    if batch:
        yield batch


class _Replayer:
    def __init__(
        self,
        conn: psycopg.Connection,
        result: ReplayResult,
        skip_ext: bool,
        label: str,
        privileged: Privileged,
    ):
        self.conn = conn
        self.privileged = privileged
        self.result = result
        self.skip_ext = skip_ext
        self.label = label
        self.missing_extensions: list[str] = []

    def run_batch(self, batch: list[Statement]) -> None:
        if len(batch) > 1:
            try:
                # A multi-statement query runs as one implicit transaction: all or nothing.
                self.conn.execute(";\n".join(s.sql for s in batch).encode())
                self.result.statements += len(batch)
                return
            except psycopg.Error:
                pass  # find the culprit statement by statement
        for statement in batch:
            self.run_one(statement)

    def run_one(self, statement: Statement, attempts: int = 0) -> None:
        try:
            if statement.copy_data is not None:
                with self.conn.cursor() as cur, cur.copy(statement.sql) as copy:
                    copy.write(statement.copy_data.encode())
            else:
                self.conn.execute(statement.sql.encode())
            self.result.statements += 1
        except psycopg.Error as exc:
            self._recover(statement, exc, attempts)

    def _recover(self, statement: Statement, exc: psycopg.Error, attempts: int) -> None:
        where = statement.location
        message = exc.diag.message_primary or str(exc)
        role = _MISSING_ROLE.search(message)
        if self.privileged.takes(statement.node, exc):
            assert statement.node is not None
            self.privileged.run(statement.node, self.conn)
            self.result.statements += 1
            return
        if isinstance(exc, errors.UndefinedObject) and role and attempts < 20:
            self.privileged.create_role(role.group(1), self.conn)
            self.result.roles_created.append(role.group(1))
            self.run_one(statement, attempts + 1)
            return
        if isinstance(exc, errors.UndefinedObject) and isinstance(
            statement.node, ast.VariableSetStmt
        ):
            # A setting a newer pg_dump writes in its preamble (transaction_timeout, from
            # 17) that this older server does not have: it shapes no part of the schema.
            self.result.skipped.append(f"{where}: skipped ({message})")
            return
        if isinstance(exc, errors.DuplicateObject) and isinstance(
            statement.node, ast.CreateRoleStmt
        ):
            # Roles belong to the whole server: one the dump creates may exist already.
            return
        extension = _MISSING_EXTENSION.search(message)
        if extension and isinstance(statement.node, ast.CreateExtensionStmt):
            name = extension.group(1) or extension.group(2)
            if not self.skip_ext:
                raise BadInput(
                    f'extension "{name}" is not available on this server{self.label}: install '
                    "it there, or pass --skip-missing-extensions to replay without it",
                    file=where.file,
                    line=where.line,
                )
            self.missing_extensions.append(name)
            self.result.skipped.append(f"{where}: extension {name} skipped")
            return
        if self.missing_extensions:
            # Later statements that need the skipped extension are skipped with it.
            self.result.skipped.append(f"{where}: skipped ({message})")
            return
        raise BadInput(
            f"the schema does not replay{self.label}: {message}", file=where.file, line=where.line
        )


# ---- --schema-from ---------------------------------------------------------------------------


def dump_schema(source_dsn: str, pg_dump_dirs: Sequence[str]) -> str:
    """`pg_dump --schema-only` of a server into a private temporary file; returns its path.

    Read-only: pg_dump only reads, and the session is made read-only as well. It waits at
    most PG_DUMP_LOCK_WAIT for each table's lock, so it never queues behind a migration
    for long. No secret of the connection string reaches its command line (which every
    user of the machine can read) or the messages: they go in files only we can read.
    """
    params = check(source_dsn, "--schema-from")
    source_major = _source_major(source_dsn)
    pg_dump = pick_pg_dump(pg_dump_dirs, source_major)
    handle, out = tempfile.mkstemp(prefix="pgfence-schema-", suffix=".sql")
    os.close(handle)
    try:
        with tempfile.TemporaryDirectory(prefix="pgfence-pg_dump-") as private:
            conninfo, env = pg_dump_connection(params, Path(private))
            _run_pg_dump(
                [
                    pg_dump,
                    "--schema-only",
                    "--no-owner",
                    "--no-privileges",
                    f"--lock-wait-timeout={PG_DUMP_LOCK_WAIT}",
                    "--file",
                    out,
                    "--dbname",
                    conninfo,
                ],
                env,
                source_dsn,
            )
    except BaseException:
        Path(out).unlink(missing_ok=True)
        raise
    return out


def pg_dump_connection(params: dict[str, Any], private: Path) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump's command line, and its environment.

    The command line keeps what is not secret (host, port, user, database, …). The
    password goes in a passfile, and other secrets (sslpassword, which has no environment
    variable) in a service file, both mode 600 in `private`, which the caller removes.
    """
    env = dict(os.environ)
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c default_transaction_read_only=on").strip()
    shown = {k: str(v) for k, v in params.items() if not is_secret(k)}
    secrets = {k: str(v) for k, v in params.items() if is_secret(k)}
    password = secrets.pop("password", None)
    if password is not None:
        shown.pop("passfile", None)  # a password given wins over any passfile anyway
        env.pop("PGPASSWORD", None)
        if "\n" in password or "\r" in password:  # a passfile line cannot hold it
            env["PGPASSWORD"] = password
        else:
            escaped = password.replace("\\", "\\\\").replace(":", "\\:")
            env["PGPASSFILE"] = _private_file(private / "pgpass", f"*:*:*:*:{escaped}\n")
    if secrets:
        if "service" in params or env.get("PGSERVICE"):
            names = ", ".join(sorted(secrets))
            raise UsageError(
                f"--schema-from: {names} with a service cannot be handed to pg_dump without "
                "its command line: put it in the service file"
            )
        if any(v != v.strip() or "\n" in v or "\r" in v for v in secrets.values()):
            raise UsageError(
                "--schema-from: a secret with a line break or surrounding spaces cannot be "
                "handed to pg_dump without its command line"
            )
        lines = "".join(f"{k}={v}\n" for k, v in sorted(secrets.items()))
        env["PGSERVICEFILE"] = _private_file(
            private / "pg_service.conf", f"[{_PG_DUMP_SERVICE}]\n{lines}"
        )
        shown["service"] = _PG_DUMP_SERVICE
    return make_conninfo(**shown), env


def _private_file(path: Path, text: str) -> str:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    return str(path)


def _run_pg_dump(args: list[str], env: dict[str, str], dsn: str) -> None:
    """Run pg_dump; any way it fails is a one-line ServerError, its own reason without
    any secret."""
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=PG_DUMP_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise ServerError(
            f"pg_dump of --schema-from did not finish within {PG_DUMP_TIMEOUT_S} s"
        ) from None
    except OSError as exc:
        detail = scrub(first_line(exc), dsn)
        raise ServerError(f"pg_dump of --schema-from could not run: {detail}") from None
    if result.returncode != 0:
        detail = scrub(pg_dump_error(result.stderr) or f"exit status {result.returncode}", dsn)
        raise ServerError(f"pg_dump of --schema-from failed: {detail}")


_QUERY_WAS = "pg_dump: detail: Query was: "


def pg_dump_error(stderr: str) -> str:
    """pg_dump's reason, on one line: its first error, and the query it was running.

    pg_dump 12+ writes `pg_dump: error: …`, then `pg_dump: detail: Query was: …`.
    """
    lines = [" ".join(line.split()) for line in stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("pg_dump: error: ")]
    reason = (error_lines or lines or [""])[0].removeprefix("pg_dump: error: ")
    query = next((line for line in lines if line.startswith(_QUERY_WAS)), None)
    if query:
        text = query.removeprefix(_QUERY_WAS)
        reason += f" (query: {text if len(text) <= 100 else text[:99] + '…'})"
        if text.startswith("LOCK TABLE") and "timeout" in reason:
            reason += (
                f"; pg_dump waits at most {PG_DUMP_LOCK_WAIT} for a table's lock: it is "
                "locked by another session, try again when that one is done"
            )
    return reason


def _source_major(dsn: str) -> int:
    with connect_to_source(dsn, "--schema-from", "pgfence schema-from") as conn:
        try:
            conn.execute(queries.READ_ONLY_SESSION)
            row = conn.execute(queries.SERVER_VERSION).fetchone()
        except psycopg.Error as exc:
            raise ServerError(f"--schema-from: {scrub(first_line(exc), dsn)}") from None
    assert row is not None
    return int(row[1]) // 10000


def pick_pg_dump(dirs: Sequence[str], source_major: int) -> str:
    """A pg_dump at least as new as the source server (older ones refuse to dump it)."""
    candidates: list[tuple[int, str]] = []
    for directory in [*dirs, *os.environ.get("PATH", "").split(os.pathsep)]:
        path = shutil.which("pg_dump", path=directory) if directory else None
        if path is None:
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=30
            ).stdout
            major = int(out.split(")", 1)[-1].split()[0].split(".")[0])
            candidates.append((major, path))
    usable = sorted(c for c in candidates if c[0] >= source_major)
    if not usable:
        found = ", ".join(f"{p} ({m})" for m, p in candidates) or "none"
        raise ServerError(
            f"--schema-from: the source runs PostgreSQL {source_major} and needs pg_dump "
            f"{source_major} or newer; found: {found}"
        )
    return usable[0][1]
