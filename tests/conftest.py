"""Real Postgres servers for the tests that need one (marked `postgres`), one per version.

Servers are started once per test session and shared; each test that changes a schema
runs in a database of its own (DryRunOptions.database) so tests do not see each other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from pgfence.dryrun.servers import local_bin_dirs
from pgfence.dryrun.servers.base import Server
from pgfence.dryrun.servers.embedded import embedded_bin_dir, embedded_server
from pgfence.dryrun.servers.local import LocalServer, binary_version


def available_majors() -> dict[int, str]:
    """Postgres majors this machine can start, and where from."""
    found: dict[int, str] = {}
    embedded = embedded_bin_dir()
    if embedded is not None:
        found[int(binary_version(embedded).split(".")[0])] = str(embedded)
    for major in range(14, 19):
        dirs = local_bin_dirs(major)
        if dirs and major not in found:
            found[major] = str(dirs[0])
    return found


MAJORS = available_majors()


class Servers:
    """Starts each version's server on first use and stops them all at the end."""

    def __init__(self) -> None:
        self._started: dict[int, Server] = {}

    def get(self, major: int) -> Server:
        if major not in MAJORS:
            pytest.skip(f"no PostgreSQL {major} on this machine")
        if major not in self._started:
            bin_dir = MAJORS[major]
            embedded = embedded_bin_dir()
            server: Server = (
                embedded_server()
                if embedded is not None and bin_dir == str(embedded)
                else LocalServer(bin_dir)
            )
            server.start()
            self._started[major] = server
        return self._started[major]

    def stop(self) -> None:
        for server in self._started.values():
            server.stop()


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    pool = Servers()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def pg(servers: Servers) -> Server:
    """The default server: the embedded one."""
    return servers.get(max(MAJORS))


_names = itertools.count(1)


@pytest.fixture
def database_name() -> str:
    """A database name no other test uses."""
    return f"pgfence_test_{next(_names)}"
