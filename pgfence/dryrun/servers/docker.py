"""Any Postgres version from a Docker image, through testcontainers.

The container uses the host's network and listens on 127.0.0.1 only, on a free port: no
port mapping, nothing reachable from outside the machine. Durability is off, as for every
throwaway server, and the container is removed when the server stops. Migrations run as
the same unprivileged role as on a local server (roles.py): with the host's network, a
superuser's `COPY … TO PROGRAM` could reach anything the machine can.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import time

import psycopg

from pgfence.dryrun import queries
from pgfence.dryrun.servers import roles
from pgfence.dryrun.servers.base import Server
from pgfence.dryrun.servers.existing import first_line
from pgfence.dryrun.servers.local import THROWAWAY_SETTINGS
from pgfence.errors import ServerError, UsageError

STARTUP_TIMEOUT = 120.0


def require_testcontainers() -> None:
    """testcontainers is pgfence's `docker` extra, not installed with pgfence itself."""
    import importlib.util

    if importlib.util.find_spec("testcontainers") is None:
        raise UsageError("--backend docker needs the docker extra: pip install 'pgfence[docker]'")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DockerServer(Server):
    backend = "docker"
    throwaway = True

    def __init__(self, image: str, *, expected_major: int | None = None) -> None:
        self.image = image
        self._expected = expected_major
        self._password = secrets.token_hex(12)
        self._migrator_password = secrets.token_hex(12)
        self._port = 0
        self._container: object | None = None
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            raise ServerError("the container has not started yet")
        return self._version

    def dsn(self, dbname: str | None = None, *, superuser: bool = False) -> str:
        user, password = (
            (roles.SUPERUSER, self._password)
            if superuser
            else (roles.MIGRATION_ROLE, self._migrator_password)
        )
        return (
            f"host=127.0.0.1 port={self._port} user={user} password={password} "
            f"dbname={dbname or 'postgres'}"
        )

    def start(self) -> None:
        require_testcontainers()
        from testcontainers.core.container import DockerContainer

        self._port = free_port()
        settings = {**THROWAWAY_SETTINGS, "listen_addresses": "127.0.0.1", "port": str(self._port)}
        command = ["postgres"] + [arg for k, v in settings.items() for arg in ("-c", f"{k}={v}")]
        container = (
            DockerContainer(self.image)
            .with_env("POSTGRES_USER", "postgres")
            .with_env("POSTGRES_PASSWORD", self._password)
            .with_env("POSTGRES_DB", "postgres")
            .with_kwargs(network_mode="host")
            .with_command(command)
        )
        try:
            container.start()
        except Exception as exc:
            raise ServerError(f"Docker could not start {self.image}: {first_line(exc)}") from None
        self._container = container
        try:
            self._wait_ready()
            if self._expected is not None and self.major != self._expected:
                raise ServerError(
                    f"{self.image} runs PostgreSQL {self._version}, not {self._expected}"
                )
            self._make_migration_role()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(
                    self.dsn(superuser=True), connect_timeout=2, autocommit=True
                ) as conn:
                    row = conn.execute(queries.SERVER_VERSION).fetchone()
                    assert row is not None
                    self._version = str(row[0]).split()[0]
                    return
            except psycopg.OperationalError as exc:
                last = first_line(exc)
                time.sleep(0.2)
        raise ServerError(
            f"{self.image} did not accept connections within {STARTUP_TIMEOUT:.0f} s: {last}"
        )

    def _make_migration_role(self) -> None:
        setup = roles.setup_statements(self.major, password=self._migrator_password)
        try:
            for database, statements in setup.items():
                with psycopg.connect(
                    self.dsn(database, superuser=True), connect_timeout=10, autocommit=True
                ) as conn:
                    for statement in statements:
                        conn.execute(statement.encode())
                    if database == "postgres":
                        for name, value in roles.server_settings(self.major).items():
                            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'".encode())
                        conn.execute("SELECT pg_reload_conf()")
        except psycopg.Error as exc:
            raise ServerError(
                f"{self.image}: setting up the migration role failed: {first_line(exc)}"
            ) from None

    def stop(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):
                container.stop()  # type: ignore[attr-defined]
