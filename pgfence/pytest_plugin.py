"""A pytest plugin for your own test suite: dry-run the project's migrations in a test.

Installed with pgfence (entry point `pytest11`), so the `pgfence` fixture is there in any
project that has pgfence installed:

    def test_migrations_take_no_dangerous_locks(pgfence):
        pgfence.check()  # dry-runs [tool.pgfence] paths; fails on risk or surprise

    @pytest.mark.pgfence("db/migrations", schema="db/schema.sql", fail_on="medium")
    def test_db_migrations(pgfence):
        report = pgfence.check()
        assert report.statements

`check()` fails the test (with each finding, its place and its safe rewrite) when a
finding is at or above `fail_on` (default: the configuration's, else high) or a statement
took a lock stronger than predicted (under-predicted). `pgfence.dryrun()` and
`pgfence.analyze()` return the Report without judging it.

The project's configuration ([tool.pgfence] or pgfence.toml, found from pytest's rootdir)
applies. One Postgres server per version (and backend) asked for is started for the whole
test session, on first use, and stopped at its end; each dry-run runs in a database of its
own.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pgfence.config import Config
    from pgfence.dryrun.servers.base import Server
    from pgfence.model import Report


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pgfence(*paths, **options): the migrations (and pgfence options such as schema, "
        "pg, fail_on) the `pgfence` fixture checks in this test",
    )


class _ServerPool:
    """The session's servers, one per (pg, backend) asked for, started on first use."""

    def __init__(self, cfg: Config) -> None:
        self._cfg = cfg
        self._servers: dict[tuple[int | None, str | None], Server] = {}
        self._databases = itertools.count(1)

    def get(self, pg: int | None, backend: str | None) -> Server:
        key = (pg if pg is not None else self._cfg.pg, backend or self._cfg.backend)
        if key not in self._servers:
            from pgfence.dryrun.servers import ServerChoice, choose

            server = choose(ServerChoice(backend=key[1], pg=key[0]))
            server.start()
            self._servers[key] = server
        return self._servers[key]

    def database(self) -> str:
        return f"pgfence_pytest_{next(self._databases)}"

    def stop(self) -> None:
        while self._servers:
            _, server = self._servers.popitem()
            server.stop()


@pytest.fixture(scope="session")
def pgfence_config(pytestconfig: pytest.Config) -> Config:
    """The project's pgfence configuration, found from pytest's rootdir."""
    from pgfence import config

    return config.load(start=Path(pytestconfig.rootpath))


@pytest.fixture(scope="session")
def pgfence_server(pgfence_config: Config) -> Iterator[_ServerPool]:
    pool = _ServerPool(pgfence_config)
    yield pool
    pool.stop()


# Options of the API that name files: relative ones are read from pytest's rootdir.
_PATH_OPTIONS = ("schema", "stats", "pg_bin")


class PgfenceFixture:
    """What a test gets as `pgfence`."""

    def __init__(
        self,
        pool: _ServerPool,
        cfg: Config,
        paths: tuple[str, ...],
        options: dict[str, Any],
        rootdir: Path,
    ) -> None:
        self._pool = pool
        self._cfg = cfg
        self._paths = paths
        self._options = options
        self._rootdir = rootdir

    def _arguments(self, paths: tuple[str, ...], options: dict[str, Any]) -> dict[str, Any]:
        """The API's arguments: paths (the marker's, the call's) are relative to the rootdir
        wherever pytest was started from, as the configuration's are to its file."""
        merged = {**self._options, **options}
        targets = paths or self._paths
        merged["paths"] = [self._from_rootdir(p) for p in targets] if targets else None
        for name in _PATH_OPTIONS:
            if merged.get(name) is not None:
                merged[name] = self._from_rootdir(merged[name])
        merged.setdefault("config", self._cfg)
        return merged

    def _from_rootdir(self, path: str | Path) -> str:
        return str(self._rootdir / path)  # an absolute path stays itself

    def analyze(self, *paths: str, **options: Any) -> Report:
        """The static prediction (no server); dry-run-only options of the marker are left out."""
        import inspect

        from pgfence.api import analyze

        accepted = inspect.signature(analyze).parameters
        arguments = self._arguments(paths, options)
        with self._errors_fail_the_test():
            return analyze(**{k: v for k, v in arguments.items() if k in accepted})

    def dryrun(self, *paths: str, **options: Any) -> Report:
        """A dry-run on the session's server, in a fresh database."""
        from pgfence.api import dryrun
        from pgfence.model import Report

        arguments = self._arguments(paths, options)
        with self._errors_fail_the_test():
            if "dsn" not in arguments:
                pg, backend = arguments.pop("pg", None), arguments.pop("backend", None)
                arguments["server"] = self._pool.get(pg, backend)
                arguments["database"] = self._pool.database()
            report = dryrun(**arguments)
        assert isinstance(report, Report)  # one server: one major
        return report

    def check(self, *paths: str, dynamic: bool = True, **options: Any) -> Report:
        """Dry-run (or, with dynamic=False, analyze) and fail the test if the report fails."""
        report = self.dryrun(*paths, **options) if dynamic else self.analyze(*paths, **options)
        if report.failed:
            pytest.fail(failure_message(report, self._rootdir), pytrace=False)
        return report

    @contextlib.contextmanager
    def _errors_fail_the_test(self) -> Iterator[None]:
        """pgfence's own errors (a missing file, a server that does not start) fail the test
        with their one line, as the CLI prints them, not with a traceback into pgfence."""
        from pgfence.errors import PgfenceError

        try:
            yield
        except PgfenceError as exc:
            if exc.file is not None:
                exc.file = relative_to(exc.file, self._rootdir)
            # pytest.fail's own exception, raised `from None`: the report shows the one
            # line, not pgfence's error as the context it happened in.
            raise pytest.fail.Exception(f"pgfence: error: {exc}", pytrace=False) from None


@pytest.fixture
def pgfence(
    request: pytest.FixtureRequest, pgfence_server: _ServerPool, pgfence_config: Config
) -> PgfenceFixture:
    """Dry-run (or analyze) the project's migrations: see pgfence.pytest_plugin."""
    marker = request.node.get_closest_marker("pgfence")
    paths: tuple[str, ...] = tuple(str(p) for p in marker.args) if marker else ()
    options = dict(marker.kwargs) if marker else {}
    rootdir = Path(request.config.rootpath)
    return PgfenceFixture(pgfence_server, pgfence_config, paths, options, rootdir)


def relative_to(path: str, rootdir: Path) -> str:
    """`path` as the test report names it: from pytest's rootdir when it is under it."""
    absolute, root = Path(os.path.realpath(path)), Path(os.path.realpath(rootdir))
    return str(absolute.relative_to(root)) if absolute.is_relative_to(root) else path


def failure_message(report: Report, rootdir: Path) -> str:
    from pgfence.reporting.common import fails, results, status
    from pgfence.reporting.table import finding_text

    _, why = status(report)
    lines = [f"pgfence {report.command}: {why}"]
    for result in results(report):
        if fails(result.finding, report):
            finding = result.finding
            where = replace(finding.location, file=relative_to(finding.location.file, rootdir))
            lines.append(finding_text(replace(finding, location=where)))
    return "\n".join(lines)
