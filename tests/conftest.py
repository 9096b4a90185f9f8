"""Real Postgres servers for the tests that need one (marked `postgres`), one per version.

Servers are started once per test session and shared; each test that changes a schema
runs in a database of its own (DryRunOptions.database) so tests do not see each other.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

# Extra majors fetched by `make pg-versions` (tools/fetch_postgres.py) for the tests.
os.environ.setdefault(
    "PGFENCE_PG_DIRS", str(Path(__file__).resolve().parent.parent / ".cache" / "pg")
)

from pgfence.dryrun.servers import available
from pgfence.dryrun.servers.base import Server
from pgfence.dryrun.servers.embedded import embedded_server
from pgfence.dryrun.servers.local import LocalServer

# Postgres majors this machine can start: major -> (backend, bin dir).
MAJORS = available()


class Servers:
    """Starts each version's server on first use and stops them all at the end."""

    def __init__(self) -> None:
        self._started: dict[int, Server] = {}

    def get(self, major: int) -> Server:
        if major not in MAJORS:
            pytest.skip(f"no PostgreSQL {major} on this machine")
        if major not in self._started:
            backend, bin_dir = MAJORS[major]
            server: Server = embedded_server() if backend == "embedded" else LocalServer(bin_dir)
            server.start()
            self._started[major] = server
        return self._started[major]

    def stop(self) -> None:
        for server in self._started.values():
            server.stop()


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test's `pgfence analyze` runs cache into a folder of its own, never the user's."""
    monkeypatch.setenv("PGFENCE_ANALYZE_CACHE_DIR", str(tmp_path_factory.mktemp("pgfence-cache")))


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


@pytest.fixture(scope="session")
def report_validator() -> jsonschema.Draft202012Validator:
    """The published JSON Schema of `--format json` (docs/report.schema.json)."""
    schema = json.loads((Path(__file__).parent.parent / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)
