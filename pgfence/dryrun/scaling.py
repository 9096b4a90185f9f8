"""Dry-runs on seeded data at several sizes, and what they say about production size.

The starting schema is replayed once; copies of it are seeded with synthetic rows at
1/16, 1/4 and all of the asked-for size (seed.py), and the migrations run on each copy.
The largest run is the report; the smaller ones are measurements. For each statement that
rewrites, scans, builds an index or writes rows, the time at each size is fitted against
the rows of the table that drives it, and the fit is evaluated at the table's recorded
production size (--stats / --stats-from):

- t = a + b·n and t = a + b·n·log n (a, b ≥ 0) are fitted by least squares, so the
  largest sizes weigh most; the estimate is the linear fit, or for an index build (a
  sort) the geometric middle of the two;
- the range given with the estimate runs from the lower to the higher of the two models,
  widened by how far the measurements stray from the fit;
- a power law t = c·n^k says in words how the statement scales (k, from the logarithms);
- confidence: high when the range is within 2×, medium within 4×, low beyond, or when the
  statement ran too fast at the seeded sizes to see it grow; one step lower when the
  production size is more than 300 times the largest seeded one;
- rewrites and scans copy whole rows: when production rows are wider (or narrower) than the
  synthetic ones (the stats' bytes per row), the estimate is scaled by the square root of
  the ratio (per-row work does not grow with width, copying bytes does) and the range by
  all of it, and the estimate says so.

Locks are then followed per relation through their transactions: from the statement that
took a lock to the end of its transaction, at the seeded size and at production size.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import psycopg
from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from pgfence.dryrun import execute, replay
from pgfence.dryrun.probe import connect
from pgfence.dryrun.seed import SeedRequest, seed
from pgfence.dryrun.servers.base import Server
from pgfence.durations import format_ms
from pgfence.model import (
    DurationEstimate,
    Finding,
    Location,
    LockHold,
    LockMode,
    Migration,
    RelKind,
    Report,
    SeededTable,
    SeedSummary,
    StatementReport,
    TxScope,
)
from pgfence.version import __version__

Progress = Callable[[str], None]

SIZES = (1 / 16, 1 / 4, 1.0)  # fractions of the asked-for size that are seeded and run
MEASURABLE_MS = 5.0  # below this, a statement's growth drowns in noise
FAR_EXTRAPOLATION = 300  # production / largest seeded size beyond which confidence drops
_WIDTH_LIMITS = (0.2, 5.0)  # a bytes-per-row correction outside these is not trusted


@dataclass(frozen=True)
class SizedRun:
    fraction: float
    seeding: SeedSummary
    reports: list[StatementReport]
    findings: list[Finding]


def dry_run_at_sizes(
    server: Server,
    migrations: Sequence[Migration],
    options: execute.DryRunOptions,
    progress: Progress | None = None,
) -> Report:
    """The dry-run on seeded data, with durations estimated at production size."""
    say = progress or (lambda _message: None)
    assert options.seed is not None
    base = options.database or "pgfence"
    template = replay.create_database(server, f"{base}_schema")
    runs = []
    try:
        execute.prepare_schema(server, server.dsn(template), options, say)
        request = options.seed
        for n, fraction in enumerate(SIZES):
            say(f"seeding at {fraction:.3g} of the size asked for")
            while True:
                run = _run_at(
                    server,
                    template,
                    f"{base}_size{n}",
                    migrations,
                    options,
                    request.at(fraction),
                    say,
                )
                refused = _refused_rows(run, dict(request.left_empty))
                if not refused:
                    break
                # pgfence's own rows made a statement fail: a note, and the file is run
                # again (from a fresh copy) with those tables left empty.
                say(f"synthetic rows refused: leaving {', '.join(refused)} empty")
                request = replace(request, left_empty=request.left_empty + tuple(refused.items()))
            runs.append(run)
    finally:
        _drop(server, template)
    final = runs[-1]
    estimates = estimate_all(runs, options.seed)
    statements = [
        replace(report, estimate=estimates.get(i), findings=_on_synthetic_rows(report))
        for i, report in enumerate(final.reports)
    ]
    return Report(
        pgfence_version=__version__,
        pg_version=server.major,
        statements=tuple(statements),  # run_in_database applied policies and ignores
        findings=tuple(final.findings),
        server=server.info,
        fail_on=options.fail_on,
        command="dryrun",
        seeding=replace(final.seeding, sizes=SIZES),
        lock_holds=tuple(lock_holds(statements, sized=options.seed.stats is not None)),
    )


# Integrity violations (23) and data exceptions (22) depend on the rows, and these are made up.
_DATA_ERRORS = ("22", "23")


def _on_synthetic_rows(report: StatementReport) -> tuple[Finding, ...]:
    """A statement the synthetic rows made fail says so: real data may pass (or not)."""
    error = report.observation.error if report.observation else None
    if error is None or not (error.sqlstate or "").startswith(_DATA_ERRORS):
        return report.findings
    return tuple(
        replace(f, message=f"{f.message} (on pgfence's synthetic rows: check it on real data)")
        if f.rule == "statement-failed"
        else f
        for f in report.findings
    )


def _refused_rows(run: SizedRun, already: dict[str, str]) -> dict[str, str]:
    """The seeded tables whose synthetic rows a statement refused (a data error while it
    scanned or rewrote them), each with the note that says so; a statement that fails on
    tables already left empty failed on its own."""
    filled = {t.relation for t in run.seeding.tables if t.filled and t.rows > 0}
    refused: dict[str, str] = {}
    for report in run.reports:
        error = report.observation.error if report.observation else None
        if error is None or not (error.sqlstate or "").startswith(_DATA_ERRORS):
            continue
        read = (*report.prediction.scans, *report.prediction.rewrites)
        tables = [t for t in dict.fromkeys(read) if t in filled and t not in already]
        where = report.statement.location
        reason = error.message.splitlines()[0] if error.message else error.sqlstate
        for table in tables:
            refused[table] = (
                f"left empty: its synthetic rows made {where.file}:{where.line} fail "
                f"({reason}), which then ran on the empty table; check it on real data"
            )
        if tables:
            break  # the statements after it ran on a schema that differs: run again
    return refused


def _run_at(
    server: Server,
    template: str,
    name: str,
    migrations: Sequence[Migration],
    options: execute.DryRunOptions,
    request: SeedRequest,
    say: Progress,
) -> SizedRun:
    dsn = replay.clone(server, template, name)
    copies = [f"{name}_{n}" for n in range(len(migrations))] if options.isolate else []
    try:
        seeding = seed(dsn, request, say)
        if options.isolate:
            groups = [
                (replay.clone(server, name, copy), [m])
                for copy, m in zip(copies, migrations, strict=True)
            ]
        else:
            groups = [(dsn, list(migrations))]
        reports: list[StatementReport] = []
        findings: list[Finding] = []
        for group_dsn, group in groups:
            more, found = execute.run_in_database(server, group_dsn, group, options, say)
            reports.extend(more)
            findings.extend(found)
        return SizedRun(request.fraction, seeding, reports, findings)
    finally:
        for copy in copies:
            _drop(server, copy)
        _drop(server, name)


def _drop(server: Server, name: str) -> None:
    """Seeded copies take room (in memory, on tmpfs): each goes as soon as it was run."""
    with (
        contextlib.suppress(psycopg.Error),
        connect(server.dsn("postgres"), application_name="pgfence admin") as admin,
    ):
        replay.drop_database(admin, name)


# ---- estimates ------------------------------------------------------------------------------


def estimate_all(runs: Sequence[SizedRun], request: SeedRequest) -> dict[int, DurationEstimate]:
    """Statement index -> its estimate, for statements whose work grows with a table."""
    final = runs[-1]
    out: dict[int, DurationEstimate] = {}
    for i, report in enumerate(final.reports):
        driver = _driver(report, final.seeding)
        if driver is None:
            continue
        relation, work = driver
        points = []
        for run in runs:
            if i >= len(run.reports):
                break
            observation = run.reports[i].observation
            rows = _seeded_rows(run.seeding, relation)
            if observation is None or not observation.ran or observation.error or not rows:
                break
            points.append((rows, observation.duration_ms))
        if len(points) < 2:
            continue
        seeded = _seeded(final.seeding, relation)
        found = estimate(
            relation,
            work,
            points,
            request.production_rows(relation),
            _width_factor(relation, work, seeded, request),
        )
        if report.observation is not None and report.observation.sampled:
            # Its time includes the waits pgfence imposes to see its locks (probe.py).
            found = replace(
                found,
                confidence="low",
                basis=(*found.basis, "run outside a transaction behind pgfence's lock gates: "
                       "its time includes their waits"),
            )  # fmt: skip
        out[i] = found
    return out


def _driver(report: StatementReport, seeding: SeedSummary) -> tuple[str, str] | None:
    """The seeded table whose size drives the statement's time, and what the work is."""
    prediction, observation = report.prediction, report.observation
    if observation is None or not observation.ran or observation.error is not None:
        return None
    tables_of = {lock.relation: lock.table for lock in observation.locks if lock.table}
    # In a transaction, relations rewritten by earlier statements show as rewritten again:
    # only those this statement locked itself count.
    own = {
        tables_of.get(lock.relation, lock.relation) for lock in observation.locks if lock.acquired
    }
    rewritten = {tables_of.get(r, r) for r in observation.rewritten} & own
    rewritten |= set(prediction.rewrites)
    candidates = rewritten | set(prediction.scans)
    filled = {t.relation: t.rows for t in seeding.tables if t.filled and t.rows}
    candidates = {c for c in candidates if c in filled}
    if not candidates:
        return None
    relation = max(sorted(candidates), key=lambda c: filled[c])
    node = report.statement.node
    if _builds_index(node):
        work = "index build"
    elif relation in rewritten:
        work = "rewrite"
    elif isinstance(node, ast.UpdateStmt | ast.DeleteStmt | ast.InsertStmt | ast.MergeStmt):
        work = "writes rows"
    else:
        work = "scan"
    return relation, work


def _builds_index(node: object) -> bool:
    if isinstance(node, ast.IndexStmt | ast.ReindexStmt | ast.ClusterStmt):
        return True
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if cmd.subtype is AlterTableType.AT_AddIndex:
                return True
            constraint = cmd.def_ if cmd.subtype is AlterTableType.AT_AddConstraint else None
            if isinstance(constraint, ast.Constraint) and constraint.contype in (
                ConstrType.CONSTR_PRIMARY,
                ConstrType.CONSTR_UNIQUE,
                ConstrType.CONSTR_EXCLUSION,
            ):
                return True
    return False


def _seeded(seeding: SeedSummary, relation: str) -> SeededTable | None:
    return next((t for t in seeding.tables if t.relation == relation), None)


def _seeded_rows(seeding: SeedSummary, relation: str) -> int:
    table = _seeded(seeding, relation)
    return table.rows if table is not None and table.filled else 0


def _width_factor(
    relation: str, work: str, seeded: SeededTable | None, request: SeedRequest
) -> tuple[float, str] | None:
    """Production rows wider than synthetic ones take longer to copy: (factor, why)."""
    if work not in ("rewrite", "scan") or seeded is None or not seeded.rows:
        return None
    production = request.stats.table(relation) if request.stats else None
    if production is None or not production.bytes_per_row or not seeded.table_bytes:
        return None
    seeded_width = seeded.table_bytes / seeded.rows
    factor = production.bytes_per_row / seeded_width
    low, high = _WIDTH_LIMITS
    if abs(factor - 1) < 0.1 or not low <= factor <= high:
        return None
    return factor, (
        f"production rows are {production.bytes_per_row:.0f} bytes against {seeded_width:.0f} "
        f"synthetic: ×{math.sqrt(factor):.2g} assumed (range: ×1 to ×{factor:.2g})"
    )


def estimate(
    relation: str,
    work: str,
    points: Sequence[tuple[int, float]],
    production_rows: int | None,
    width: tuple[float, str] | None = None,
) -> DurationEstimate:
    """Fit the measurements and evaluate the fits at the production size."""
    points = sorted(points)
    exponent = _power_exponent(points)
    longest = max(t for _, t in points)
    grows = exponent is not None and exponent >= 0.2 and longest >= MEASURABLE_MS / 5
    basis: list[str] = []
    if production_rows is None:
        basis.append("no recorded production size: give --stats or --stats-from")
        return DurationEstimate(
            relation, work, tuple(points), None, None, None, None, exponent,
            _scaling(exponent, work, grows), _growth_confidence(points, grows), tuple(basis),
        )  # fmt: skip
    largest = points[-1][0]
    if not grows:
        # Times that do not grow with the table (or too short to tell): the production
        # time is about the measured one.
        typical = statistics.median(t for _, t in points)
        expected = low = typical
        high = max(t for _, t in points)
        confidence = "high" if longest >= MEASURABLE_MS or production_rows <= largest else "low"
        if confidence == "low":
            basis.append(f"under {MEASURABLE_MS:g} ms at every seeded size: growth not measurable")
    else:
        linear, sort = _fit(points, _linear), _fit(points, _n_log_n)
        models = [m for m in (linear, sort) if m is not None]
        floor = longest if production_rows >= largest else 0.0
        answers = [max(m(production_rows), floor) for m in models] or [longest]
        if work == "index build" and linear is not None and sort is not None:
            # The sort's log factor is small next to per-row work until it spills to disk:
            # the middle of the two, on a log scale (bench/seed.py measures how right).
            expected = math.sqrt(answers[0] * answers[1])
        elif linear is not None:
            expected = answers[0]
        else:
            expected = statistics.median(answers)
        stray = _stray(points, linear or sort)
        low, high = min(answers) * (1 - stray), max(answers) * (1 + stray)
        if width is not None:
            # Wider rows cost more bytes to copy but no more per-row work: somewhere between
            # no change and the whole width ratio; the middle (on a log scale) is assumed.
            factor = width[0]
            expected *= math.sqrt(factor)
            low, high = low * min(1.0, factor), high * max(1.0, factor)
        spread = high / low if low > 0 else math.inf
        confidence = "high" if spread <= 2 else "medium" if spread <= 4 else "low"
        basis.append(
            f"linear and n log n growth give {format_ms(min(answers))} to "
            f"{format_ms(max(answers))} for synthetic rows; measurements within {stray:.0%} "
            "of the fit"
        )
        if longest < MEASURABLE_MS:
            confidence = "low"
            basis.append(f"under {MEASURABLE_MS:g} ms at every seeded size")
        if production_rows > largest * FAR_EXTRAPOLATION:
            confidence = {"high": "medium"}.get(confidence, "low")
            basis.append(f"production is {production_rows / largest:.0f}× the largest seeded size")
        if width is not None:
            basis.append(width[1])
    return DurationEstimate(
        relation, work, tuple(points), production_rows, expected, low, high, exponent,
        _scaling(exponent, work, grows), confidence, tuple(basis),
    )  # fmt: skip


Model = Callable[[float], float]


def _linear(x: float) -> float:
    return x


def _n_log_n(x: float) -> float:
    return x * math.log2(max(x, 2.0))


def _fit(points: Sequence[tuple[int, float]], shape: Callable[[float], float]) -> Model | None:
    """Least squares for t = a + b·shape(n), with a, b ≥ 0."""
    xs = [shape(n) for n, _ in points]
    ts = [t for _, t in points]
    mean_x, mean_t = statistics.fmean(xs), statistics.fmean(ts)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return None
    b = sum((x - mean_x) * (t - mean_t) for x, t in zip(xs, ts, strict=True)) / var
    if b <= 0:
        return None
    a = mean_t - b * mean_x
    if a < 0:  # through the origin instead: fixed costs cannot be negative
        a, b = 0.0, sum(x * t for x, t in zip(xs, ts, strict=True)) / sum(x * x for x in xs)
    return lambda n: a + b * shape(n)


def _stray(points: Sequence[tuple[int, float]], model: Model | None) -> float:
    """How far the measurements are from the fit: the root mean square of relative errors."""
    if model is None:
        return 0.5
    errors_ = [(model(n) - t) / t for n, t in points if t > 0]
    return min(0.9, math.sqrt(statistics.fmean(e * e for e in errors_))) if errors_ else 0.5


def _power_exponent(points: Sequence[tuple[int, float]]) -> float | None:
    """k of t = c·n^k, by least squares on the logarithms."""
    usable = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t > 0]
    if len(usable) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in usable)
    mean_y = statistics.fmean(y for _, y in usable)
    var = sum((x - mean_x) ** 2 for x, _ in usable)
    if var == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / var


def _scaling(exponent: float | None, work: str, grows: bool) -> str:
    if exponent is None or not grows:
        return "does not grow measurably with the table"
    if exponent < 0.8:
        return f"grows slower than the table (time ~ rows^{exponent:.2f})"
    if exponent <= 1.25:
        shape = "n log n (a sort)" if work == "index build" else "linear in rows"
        return f"{shape} (time ~ rows^{exponent:.2f})"
    return f"grows faster than the table (time ~ rows^{exponent:.2f})"


def _growth_confidence(points: Sequence[tuple[int, float]], grows: bool) -> str:
    return "medium" if grows and max(t for _, t in points) >= MEASURABLE_MS else "low"


# ---- how long each lock is held ---------------------------------------------------------------


def transactions(reports: Sequence[StatementReport]) -> list[list[int]]:
    """Statement indexes grouped by the transaction they ran in, in order."""
    groups: list[list[int]] = []
    previous: tuple[TxScope, int] | None = None
    for i, report in enumerate(reports):
        tx = report.statement.transaction
        key = (tx.scope, tx.block) if tx.block is not None else None
        if key is not None and key == previous:
            groups[-1].append(i)
        else:
            groups.append([i])
        previous = key
    return groups


def lock_holds(reports: Sequence[StatementReport], *, sized: bool = True) -> list[LockHold]:
    """Per transaction and relation: the lock that blocks reads or writes, and how long.

    `sized`: production sizes are known (stats), so holds are also given at that size.
    """
    holds: list[LockHold] = []
    for group in transactions(reports):
        measured = [_duration(reports[i]) for i in group]
        production = [_production_duration(reports[i]) for i in group]
        known = sized and all(p is not None for p in production)
        first: dict[str, tuple[int, LockMode]] = {}
        for position, i in enumerate(group):
            observation = reports[i].observation
            if observation is None or not observation.ran:
                continue
            for lock in observation.locks:
                if lock.new or not lock.granted or lock.kind is RelKind.SEQUENCE:
                    continue
                owner = lock.table if lock.kind.is_index_or_toast and lock.table else lock.relation
                if owner.startswith("("):
                    continue
                start, mode = first.get(owner, (position, lock.mode))
                first[owner] = (start, max(mode, lock.mode))
        last = reports[group[-1]].statement.location
        for relation, (position, mode) in first.items():
            if not (mode.blocks_reads or mode.blocks_writes):
                continue
            since = reports[group[position]].statement.location
            held = sum(measured[position:])
            at_production = (
                sum(p for p in production[position:] if p is not None) if known else None
            )
            holds.append(
                LockHold(
                    relation=relation,
                    mode=mode,
                    blocks_reads=mode.blocks_reads,
                    blocks_writes=mode.blocks_writes,
                    since=since,
                    until=last if last != since else None,
                    statements=len(group) - position,
                    held_ms=held,
                    production_ms=at_production,
                    summary=_hold_words(relation, mode, since, last, held, at_production),
                )
            )
    return holds


def _duration(report: StatementReport) -> float:
    observation = report.observation
    return observation.duration_ms if observation is not None and observation.ran else 0.0


def _production_duration(report: StatementReport) -> float | None:
    estimate_ = report.estimate
    if estimate_ is not None:
        return estimate_.expected_ms
    return _duration(report)


def _hold_words(
    relation: str,
    mode: LockMode,
    since: Location,
    until: Location,
    held_ms: float,
    production_ms: float | None,
) -> str:
    name = relation.removeprefix("public.")
    what = f"reads and writes to {name}" if mode.blocks_reads else f"writes to {name}"
    if production_ms is not None:
        how_long = f"≈ {format_ms(production_ms)} at production size"
    else:
        how_long = f"{format_ms(held_ms)} at the seeded size"
    span = f"line {since.line}" + (f" to {until.line}" if until != since else "")
    return f"{what} blocked {how_long} ({mode.pg_name.removesuffix('Lock')}, {span})"
