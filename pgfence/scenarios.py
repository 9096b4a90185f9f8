"""Scenarios: small schemas and migrations whose locks are recorded per Postgres version.

`scenarios/<name>/` holds `scenario.toml` (a one-line description, the lock-table rows it
confirms, the versions it applies to), `schema.sql`, `migration.sql` and, per Postgres
major, `expected/pg<N>.json`: what that server was observed to do. They document the
lock table, regression-test it against every server we can run, and generate
docs/lock-matrix.md.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.dryrun.servers.base import Server
from pgfence.errors import BadInput
from pgfence.model import Observation, RelKind, Report, StatementReport, VerdictKind
from pgfence.pg.locks import LockMode
from pgfence.shipped import data_dir
from pgfence.sources.sql import read_sql_file

# An installed pgfence's copy (the wheel's pgfence/_data/scenarios), else the tree's.
SCENARIOS_DIR = data_dir("scenarios")


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    rows: tuple[str, ...]
    min_pg: int = 14
    max_pg: int = 18
    # SQLSTATEs the migration is expected to fail with, by statement line.
    expect_errors: dict[int, str] = field(default_factory=dict)
    # Extensions the schema needs; a server without them skips the scenario.
    requires_extensions: tuple[str, ...] = ()

    def applies_to(self, major: int) -> bool:
        return self.min_pg <= major <= self.max_pg

    @property
    def schema(self) -> Path:
        return self.path / "schema.sql"

    @property
    def migration(self) -> Path:
        return self.path / "migration.sql"

    def expected_file(self, major: int) -> Path:
        return self.path / "expected" / f"pg{major}.json"


def load_all(directory: Path = SCENARIOS_DIR) -> list[Scenario]:
    if not directory.is_dir():
        raise BadInput(
            "no scenarios directory (they ship with the source tree)", file=str(directory)
        )
    return [load(p) for p in sorted(directory.iterdir()) if (p / "scenario.toml").exists()]


def load(path: Path) -> Scenario:
    meta = tomllib.loads((path / "scenario.toml").read_text())
    return Scenario(
        name=path.name,
        path=path,
        description=meta["description"],
        rows=tuple(meta.get("rows", ())),
        min_pg=int(meta.get("min_pg", 14)),
        max_pg=int(meta.get("max_pg", 18)),
        expect_errors={int(k): v for k, v in meta.get("expect_errors", {}).items()},
        requires_extensions=tuple(meta.get("requires_extensions", ())),
    )


def missing_extensions(scenario: Scenario, server: Server) -> list[str]:
    """Extensions the scenario needs that this server does not have."""
    if not scenario.requires_extensions:
        return []
    import psycopg

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        have = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
                (list(scenario.requires_extensions),),
            )
        }
    return [e for e in scenario.requires_extensions if e not in have]


def run(scenario: Scenario, server: Server) -> Report:
    """Dry-run the scenario's migration on `server`, from its schema."""
    migration = read_sql_file(str(scenario.migration))
    options = DryRunOptions(
        schema_file=str(scenario.schema), statement_timeout_s=60, database="pgfence_scenario"
    )
    return dry_run(server, [migration], options)


# ---- what is recorded -----------------------------------------------------------------------


def observed(report: Report) -> dict[str, Any]:
    """The server's behaviour, in a form stable across runs (no OIDs, no timings)."""
    return {
        "server_major": report.pg_version,
        "statements": [_statement(s) for s in report.statements],
    }


def _statement(s: StatementReport) -> dict[str, Any]:
    o = s.observation
    out: dict[str, Any] = {"line": s.statement.location.line, "sql": s.statement.sql}
    if o is None or not o.ran:
        out["ran"] = False
        return out
    if o.error is not None:
        out["error"] = o.error.sqlstate
        return out
    out["locks"] = _locks(o)
    # TOAST tables are rewritten with their table and named after OIDs: leave them out.
    out["rewritten"] = sorted(
        r for r in o.rewritten if not r.startswith("pg_toast.") and r not in o.rebuilt
    )
    # Indexes rebuilt (REINDEX, a rewrite's indexes) are told apart from rewritten tables.
    out["rebuilt"] = sorted(r for r in o.rebuilt if not r.startswith("pg_toast."))
    if o.sampled:
        # Measured only if the probe caught the statement holding its locks.
        out["sampled"] = True
    else:
        out["blocks_reads"] = o.blocks_reads
        out["blocks_writes"] = o.blocks_writes
    return out


def _locks(o: Observation) -> list[list[str]]:
    """Acquired locks on relations that existed before: [relation, mode, kind, table].

    `table` is the table an index or TOAST relation belongs to ("" for others).

    Sampled statements are caught at moments only; for them keep the strongest mode per
    table and leave out indexes, TOAST and ACCESS SHARE, which a short phase can take and
    release unseen (the gate makes every table-level request visible).
    """
    pairs: set[tuple[str, LockMode]] = set()
    about: dict[str, tuple[str, str]] = {}
    for lock in o.locks:
        if lock.new or not lock.acquired:
            continue
        if o.sampled and lock.kind.is_index_or_toast:
            continue
        name = _stable_lock_name(lock.relation, lock.kind, lock.table)
        pairs.add((name, lock.mode))
        about[name] = (lock.kind.value, lock.table or "" if lock.kind.is_index_or_toast else "")
    if o.sampled:
        strongest: dict[str, LockMode] = {}
        for relation, mode in pairs:
            strongest[relation] = max(strongest.get(relation, mode), mode)
        pairs = {(r, m) for r, m in strongest.items() if m is not LockMode.ACCESS_SHARE}
    return [[relation, mode.pg_name, *about[relation]] for relation, mode in sorted(pairs)]


def _stable_lock_name(relation: str, kind: RelKind, table: str | None) -> str:
    # TOAST relations are named after OIDs, which differ from run to run.
    if relation.startswith("pg_toast."):
        suffix = "toast index" if kind is RelKind.INDEX else "toast"
        return f"{table or '?'} ({suffix})"
    return relation


@dataclass(frozen=True)
class Check:
    """How a scenario fared on one server."""

    scenario: Scenario
    major: int
    differences: tuple[str, ...]  # server behaviour against the recorded expectation
    disagreements: tuple[str, ...]  # static prediction against what the server did
    recorded: bool  # whether an expectation was on file


def check(scenario: Scenario, report: Report) -> Check:
    now = observed(report)
    expected_path = scenario.expected_file(report.pg_version)
    differences: list[str] = []
    recorded = expected_path.exists()
    if recorded:
        expected = json.loads(expected_path.read_text())
        differences = _diff(expected, now)
    return Check(
        scenario,
        report.pg_version,
        tuple(differences),
        tuple(_disagreements(scenario, report)),
        recorded,
    )


def _diff(expected: dict[str, Any], now: dict[str, Any]) -> list[str]:
    out = []
    old, new = expected.get("statements", []), now["statements"]
    if len(old) != len(new):
        return [f"{len(new)} statements now, {len(old)} recorded"]
    for before, after in zip(old, new, strict=True):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                was, now = before.get(key), after.get(key)
                out.append(f"line {after['line']}: {key}: recorded {was!r}, now {now!r}")
    return out


def _disagreements(scenario: Scenario, report: Report) -> list[str]:
    out = []
    for s in report.statements:
        line = s.statement.location.line
        o = s.observation
        expected_error = scenario.expect_errors.get(line)
        if o is not None and o.error is not None:
            if o.error.sqlstate != expected_error:
                out.append(
                    f"line {line}: failed unexpectedly: {o.error.sqlstate} {o.error.message}"
                )
            continue
        if expected_error is not None:
            out.append(f"line {line}: expected to fail with {expected_error}, but it ran")
        if s.verdict is not None and s.verdict.kind not in (
            VerdictKind.CONFIRMED,
            VerdictKind.NOT_RUN,
        ):
            out.append(f"line {line}: {s.verdict.kind.value}: {'; '.join(s.verdict.reasons)}")
    rows = {row for s in report.statements for row in s.prediction.rows}
    missing = [r for r in scenario.rows if r not in rows]
    if missing:
        out.append(f"the prediction never used row(s) {', '.join(missing)}")
    return out


def record(scenario: Scenario, report: Report) -> Path:
    path = scenario.expected_file(report.pg_version)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(observed(report), indent=2) + "\n")
    return path


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario of `pgfence verify`: "ok", "differs" (with the problems) or "skipped"
    (with why)."""

    name: str
    status: str
    problems: tuple[str, ...] = ()
    why: str | None = None


@dataclass(frozen=True)
class Verification:
    """`pgfence verify` on one server: what each scenario that applies to it gave."""

    server_version: str
    backend: str
    results: tuple[ScenarioResult, ...]

    @property
    def failures(self) -> int:
        return sum(r.status == "differs" for r in self.results)


def verify_all(
    chosen: Sequence[Scenario],
    server: Server,
    *,
    record_results: bool = False,
    progress: Callable[[str], None] | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> Verification:
    """Run each scenario that applies to this server's major and check it: against what
    is recorded for the major, and the prediction against what the server did. With
    `record_results`, what the server did is written as the recording instead."""
    results = []
    for scenario in chosen:
        if not scenario.applies_to(server.major):
            continue
        lacking = missing_extensions(scenario, server)
        if lacking:
            result = ScenarioResult(scenario.name, "skipped", why=f"no {', '.join(lacking)} here")
        else:
            if progress is not None:
                progress(f"scenario {scenario.name}")
            report = run(scenario, server)
            outcome = check(scenario, report)
            problems = list(outcome.disagreements)
            if record_results:
                record(scenario, report)
            else:
                problems += list(outcome.differences)
                if not outcome.recorded:
                    problems.append(f"nothing recorded for PostgreSQL {server.major}")
            result = ScenarioResult(scenario.name, "differs" if problems else "ok", tuple(problems))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return Verification(server.version, server.backend, tuple(results))
