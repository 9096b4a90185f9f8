"""Who a migration runs as on a throwaway server: a role that owns its database, not a
superuser.

A superuser can read the files and the environment of the server's processes
(`pg_read_file('/proc/self/environ')`), run programs (`COPY … TO PROGRAM`), change the
server's configuration (`ALTER SYSTEM`) and make new superusers. On a pull request the
migration is someone else's code, so it runs as MIGRATION_ROLE: it owns the databases it
works in and their `public` schema, may create databases (pgfence's copies of the starting
schema are made by it, so it owns them too), and holds none of the predefined roles that
read or write the server's files or run its programs.

Roles: from PostgreSQL 16 it has CREATEROLE, which since 16 only lets it manage the roles
it created (with `createrole_self_grant`, it is a member of each, so it can hand them
objects with `ALTER … OWNER TO`, as a migration's owner usually can). On 14 and 15
CREATEROLE would let it grant itself `pg_execute_server_program`, so there it has not;
pgfence creates the roles a starting schema names on its behalf (`create_role_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psycopg is imported where a connection is used: not to start a server
    import psycopg

MIGRATION_ROLE = "pgfence_migrator"
SUPERUSER = "postgres"

# PostgreSQL 16 narrowed CREATEROLE to the roles one created (and added this setting).
_SAFE_CREATEROLE_MAJOR = 16
SELF_GRANT = {"createrole_self_grant": "set, inherit"}


def server_settings(major: int) -> dict[str, str]:
    """Settings a server that runs migrations as MIGRATION_ROLE starts with."""
    return dict(SELF_GRANT) if major >= _SAFE_CREATEROLE_MAJOR else {}


def setup_statements(major: int, *, password: str | None = None) -> dict[str, list[str]]:
    """The SQL that makes MIGRATION_ROLE, by database it runs in (run as the superuser)."""
    attributes = "LOGIN NOSUPERUSER CREATEDB NOREPLICATION NOBYPASSRLS"
    if major >= _SAFE_CREATEROLE_MAJOR:
        attributes += " CREATEROLE"
    role = MIGRATION_ROLE  # a plain identifier: no quoting needed
    create = f"CREATE ROLE {role} {attributes}"
    if password is not None:
        if not password.isalnum():
            raise ValueError("the migration role's password must be alphanumeric")
        create += f" PASSWORD '{password}'"
    # PostgreSQL 15 made pg_database_owner the owner of `public` in a new cluster; on 14 it
    # is the bootstrap superuser's. A database MIGRATION_ROLE creates is copied from
    # template1, so its `public` must belong to the database's owner there too.
    public = "ALTER SCHEMA public OWNER TO pg_database_owner"
    # Giving a table to another role (ALTER … OWNER TO) needs that role to have CREATE on
    # the schema, which a superuser's migration never needs: on `public` every role may
    # create, as before PostgreSQL 15, so such a migration runs as it would in production.
    create_in_public = "GRANT CREATE ON SCHEMA public TO PUBLIC"
    return {
        "postgres": [create, f"ALTER DATABASE postgres OWNER TO {role}", public, create_in_public],
        "template1": [public, create_in_public],
    }


def create_role_for(superuser: psycopg.Connection, name: str) -> None:
    """A role a starting schema names, made by the superuser where MIGRATION_ROLE may not
    (PostgreSQL 14 and 15): without any attribute, and granted to MIGRATION_ROLE so that
    objects can be given to it."""
    from psycopg import sql

    superuser.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
    superuser.execute(
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(name), sql.Identifier(MIGRATION_ROLE))
    )


def grant_wrappers(superuser: psycopg.Connection, extension: str) -> None:
    """An extension the superuser created for the migration: let MIGRATION_ROLE use the
    foreign-data wrappers it brings (CREATE SERVER needs it), as a DBA would."""
    from psycopg import sql

    for (wrapper,) in superuser.execute(_WRAPPERS_OF, (extension,)).fetchall():
        superuser.execute(
            sql.SQL("GRANT USAGE ON FOREIGN DATA WRAPPER {} TO {}").format(
                sql.Identifier(wrapper), sql.Identifier(MIGRATION_ROLE)
            )
        )


_WRAPPERS_OF = """
SELECT w.fdwname FROM pg_foreign_data_wrapper w
JOIN pg_depend d ON d.classid = 'pg_foreign_data_wrapper'::regclass AND d.objid = w.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = %s
"""

# Which of the extensions named need a superuser to create (an extension that is not
# marked trusted, or one CASCADE would bring along with it).
UNTRUSTED = """
SELECT DISTINCT name FROM pg_available_extension_versions
WHERE name = ANY(%s) AND superuser AND NOT trusted
"""


def untrusted(conn: psycopg.Connection, names: Iterable[str]) -> set[str]:
    return {str(row[0]) for row in conn.execute(UNTRUSTED, (list(names),))}
