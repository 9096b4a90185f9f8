"""The Python API: `from pgfence import analyze, dryrun`, each returning the Report.

For tools and test suites that embed pgfence. The same pipeline as the command line,
without printing or exit codes: render the Report with `pgfence.reporting.formats.render`
if text is wanted. Problems with the input raise `pgfence.errors.BadInput` or
`UsageError`; a server that cannot be started raises `ServerError`.

No configuration file is read unless `config` is given: a path, or a `Config`
(`pgfence.config.load()` finds the project's the way the command line does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from pgfence.config import Config
from pgfence.durations import parse_duration
from pgfence.errors import UsageError
from pgfence.model import MatrixReport, Migration, Report, Severity

if TYPE_CHECKING:
    from pgfence.checks import RuleSettings
    from pgfence.dryrun.runner import DryRunOptions
    from pgfence.dryrun.seed import SeedRequest
    from pgfence.dryrun.servers.base import Server
    from pgfence.fixes import FixResult
    from pgfence.model import PreflightReport, ShardInfo
    from pgfence.scenarios import ScenarioResult, Verification
    from pgfence.shards import Split

Paths = str | Path | Sequence[str | Path]
T = TypeVar("T")
R = TypeVar("R", bound=Report | MatrixReport)


def analyze(
    paths: Paths | None = None,
    *,
    pg: int | None = None,
    schema: str | Path | None = None,
    fail_on: str | Severity | None = None,
    migration_format: str | None = None,
    disable: Sequence[str] = (),
    severity: Mapping[str, str | Severity] | None = None,
    config: str | Path | Config | None = None,
    max_file_size_mb: int = 16,
    max_lock_timeout: str | float | None = None,
    shard: str | None = None,
    project: str | None = None,
    jobs: int | None = None,
    changed_since: str | None = None,
    texts: Mapping[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> Report:
    """Predict, without a database, the locks of every statement of the migrations.
    `pgfence analyze` is this function.

    `shard` ("K/N"): only that part of the work (pgfence/shards.py); `project`: one
    `[[tool.pgfence.project]]` of the configuration; `jobs`: processes (default: every
    core from 1,000 statements, else one; the report is the same); `changed_since` (a git
    ref): only the migrations changed since, the earlier ones read for the schema they
    build; `texts`: what to read instead of some files (by real path, e.g. standard
    input); `note` hears one-line notes (what was read for its schema only, nothing
    changed, an empty shard)."""
    cfg = _project(_config(config), project, paths)
    analyser = _Analyser(
        paths, cfg, pg=pg, schema=schema, fail_on=fail_on,
        migration_format=migration_format, disable=disable, severity=severity,
        max_file_size_mb=max_file_size_mb, max_lock_timeout=max_lock_timeout,
        shard=shard, jobs=jobs, changed_since=changed_since, texts=texts, note=note,
    )  # fmt: skip
    return analyser({})[1]


class _Analyser:
    """One analysis of the migrations, as analyze() and fix() run it: the options checked
    and the schema read once, then `__call__(texts)` (the files' texts replaced by
    `texts`, e.g. --fix's rewrites) gives the migrations and their report."""

    def __init__(
        self,
        paths: Paths | None,
        cfg: Config,
        *,
        pg: int | None,
        schema: str | Path | None,
        fail_on: str | Severity | None,
        migration_format: str | None,
        disable: Sequence[str],
        severity: Mapping[str, str | Severity] | None,
        max_file_size_mb: int,
        max_lock_timeout: str | float | None,
        shard: str | None = None,
        jobs: int | None = None,
        changed_since: str | None = None,
        texts: Mapping[str, str] | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        from pgfence.pg.versions import NEWEST, OLDEST, default_major

        self.paths, self.cfg = paths, cfg
        self.version = pg if pg is not None else cfg.pg if cfg.pg is not None else default_major()
        if not OLDEST <= self.version <= NEWEST:
            raise UsageError(
                f"--pg {self.version}: pgfence predicts for PostgreSQL {OLDEST} to {NEWEST}"
            )
        self.settings = _settings(cfg, disable, severity, max_lock_timeout)
        self.fail_on = _severity(fail_on, cfg)
        self.catalog = None
        schema_file = str(schema) if schema is not None else cfg.schema
        if schema_file is not None:
            from pgfence.analysis.schema import catalog_from_dump

            self.catalog = catalog_from_dump(schema_file)
        self.migration_format, self.max_file_size_mb = migration_format, max_file_size_mb
        self.shard, self.jobs, self.changed_since = shard, jobs, changed_since
        self.texts, self.note = dict(texts or {}), note

    def read(self, path: str) -> str:
        """A migration's text: as given in `texts`, else the file's."""
        from pgfence.sources.files import read_text

        text = self.texts.get(os.path.realpath(path))
        if text is not None:
            return text
        return read_text(path, max_bytes=self.max_file_size_mb * 1024 * 1024)

    def __call__(self, texts: Mapping[str, str]) -> tuple[list[Migration], Report]:
        import copy

        from pgfence.analysis.analyze import build_report, default_jobs

        # changed_since without a shard: the earlier files are read for their schema.
        earlier = self.changed_since is not None and self.shard is None
        migrations = _migrations(
            self.paths, self.cfg, self.migration_format, self.max_file_size_mb,
            {**self.texts, **texts}, changed_since=None if earlier else self.changed_since,
            note=self.note,
        )  # fmt: skip
        analysed = None
        if earlier:
            assert self.changed_since is not None
            migrations, analysed = _changed_after_earlier(migrations, self.changed_since, self.note)
        part = _split(self.shard, migrations, self.note)
        if part is not None:
            # The earlier shards' files are analysed too, for the schema they leave
            # behind, and left out of the report; the later ones cannot change this one's.
            migrations = [*part.before, *part.mine]
        counted = [migrations[n] for n in analysed or range(len(migrations))]
        report = build_report(
            migrations,
            version=self.version,
            fail_on=self.fail_on,
            catalog=None if self.catalog is None else copy.deepcopy(self.catalog),
            settings=self.settings,
            jobs=self.jobs or default_jobs(counted),
            analysed=analysed,
            deployed=analysed[0] if analysed else 0,
        )
        if part is not None:
            from pgfence.shards import restrict

            report = restrict(report, part)
        return migrations, _named(report, self.cfg)


def _changed_after_earlier(
    migrations: list[Migration], ref: str, note: Callable[[str], None] | None
) -> tuple[list[Migration], list[int]]:
    """The migrations up to the last one changed since `ref`, and the numbers of those
    changed: the earlier ones are read for the schema they build, and said so."""
    from pgfence.sources.changed import changed_since as changed_files

    say = note or (lambda _message: None)
    changed = changed_files(ref)
    numbers = [n for n, m in enumerate(migrations) if os.path.realpath(m.path) in changed]
    if not numbers:
        say(f"no migration changed since {ref}")
        return [], []
    earlier = numbers[-1] + 1 - len(numbers)
    say(
        f"analysed {len(numbers)} changed file(s); {earlier} earlier file(s) read "
        "for their schema only"
    )
    return migrations[: numbers[-1] + 1], numbers


def _split(
    shard: str | None, migrations: list[Migration], note: Callable[[str], None] | None = None
) -> Split | None:
    """`shard` ("K/N"): this shard's part of `migrations` (None without one)."""
    if shard is None:
        return None
    from pgfence.shards import Shard, split

    part = split(migrations, Shard.parse(shard))
    if part.empty and note is not None:
        note(f"shard {part.shard} has no work: the run has {part.units} unit(s)")
    return part


def fix(
    paths: Paths | None = None,
    *,
    write: bool = False,
    split: bool = False,
    pg: int | None = None,
    schema: str | Path | None = None,
    fail_on: str | Severity | None = None,
    migration_format: str | None = None,
    disable: Sequence[str] = (),
    severity: Mapping[str, str | Severity] | None = None,
    config: str | Path | Config | None = None,
    max_file_size_mb: int = 16,
    max_lock_timeout: str | float | None = None,
    project: str | None = None,
    jobs: int | None = None,
    changed_since: str | None = None,
    texts: Mapping[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> FixResult:
    """`pgfence analyze --fix`: the SQL migrations rewritten where the safe form is certain
    (written back only with `write`; `--diff` is `write=False`), what was refused, and the
    report of the result; `split`: as --split, what needs several migrations cut into new
    files. The other options as analyze()'s."""
    from pgfence.fixes import fix as fix_migrations

    cfg = _project(_config(config), project, paths)
    analyser = _Analyser(
        paths, cfg, pg=pg, schema=schema, fail_on=fail_on,
        migration_format=migration_format, disable=disable, severity=severity,
        max_file_size_mb=max_file_size_mb, max_lock_timeout=max_lock_timeout,
        jobs=jobs, changed_since=changed_since, texts=texts, note=note,
    )  # fmt: skip
    result = fix_migrations(analyser, analyser.read, split=split)
    if write:
        result.write()
        if result.created:  # the new migrations are read with the others
            result = dataclasses.replace(result, report=analyser({})[1])
    return result


def dryrun(
    paths: Paths | None = None,
    *,
    schema: str | Path | None = None,
    schema_from: str | None = None,
    replay_before: bool = False,
    pg: int | str | Sequence[int] | None = None,
    backend: str | None = None,
    pg_bin: str | Path | None = None,
    image: str | None = None,
    dsn: str | None = None,
    statement_timeout: str | float | None = None,
    lock_timeout: str | float | None = None,
    isolate: bool = False,
    keep_going: bool = False,
    skip_missing_extensions: bool = False,
    fail_on: str | Severity | None = None,
    migration_format: str | None = None,
    disable: Sequence[str] = (),
    severity: Mapping[str, str | Severity] | None = None,
    max_lock_timeout: str | float | None = None,
    config: str | Path | Config | None = None,
    max_file_size_mb: int = 16,
    progress: Callable[[str], None] | None = None,
    trail: Callable[[str], None] | None = None,
    note: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    server: Server | None = None,
    database: str | None = None,
    stats: str | Path | None = None,
    stats_from: str | None = None,
    seed: bool = False,
    seed_rows: int | None = None,
    seed_scale: float | None = None,
    seed_max_rows: int | None = None,
    shard: str | None = None,
    project: str | None = None,
    changed_since: str | None = None,
    runner: str | None = None,
    runner_timeout: str | float | None = None,
    migrations_dir: str | Path | None = None,
    compare_static: str | Path | None = None,
) -> Report | MatrixReport:
    """Run the migrations on a real, throwaway Postgres (or `dsn`, rolled back) and
    observe the locks each statement takes. `pgfence dryrun` is this function.

    `pg`: one major (15), several (`[14, 18]` or "14,18": each on its own server, in
    parallel, giving a `MatrixReport` with the differences) or "all-available"; default:
    the configuration's, else `DEFAULT_MAJOR` (the embedded server's).

    `shard` ("K/N"): only that part of the work, the earlier shards' migrations applied
    first without observing (not with `dsn` or seeding); `project`: one
    `[[tool.pgfence.project]]` of the configuration; `changed_since` (a git ref): only
    the migrations changed since.

    `runner`: instead of reading `paths`, run this shell command (the project's own
    migration tool) against the throwaway server through pgfence's proxy and observe
    every statement it sends (`runner_timeout`, `migrations_dir`, `compare_static`: as
    --runner-timeout, --migrations, --compare-static).

    `seed`, `seed_rows`, `seed_scale` (with `stats` / `stats_from`), `seed_max_rows`: as
    --seed and its options, a seeded run with durations estimated at production size.

    `progress` hears the run's progress, `trail` every step of finding the server,
    `note` one-line notes (nothing changed, an empty shard), `warn` the warning that a
    `dsn` server is reached (before anything runs there).

    `server`: a server already started (pgfence.dryrun.servers.choose) to run on instead
    of starting one, e.g. shared by a test session; then `database` names a fresh
    database to run in, so that runs on the same server do not see each other.
    """
    from pgfence.dryrun.servers import ServerChoice, choose
    from pgfence.dryrun.sizing import Sizing
    from pgfence.model import ROLLED_BACK_WARNING

    cfg = _project(_config(config), project, paths)
    if runner is not None:
        if shard is not None:
            raise UsageError("--shard does not go with --runner: the tool runs its whole history")
        if paths:
            raise UsageError("--runner takes no PATH: the tool finds its migrations itself")
        if dsn:  # a runner commits
            raise UsageError("--runner runs only on a server pgfence starts: not with --dsn")
        majors_asked = majors(pg if pg is not None else cfg.pg)
        if len(majors_asked) > 1 or isolate or replay_before or seed or seed_rows or seed_scale:
            raise UsageError(
                "--runner runs on one server: not with several --pg, --isolate, --seed "
                "or --replay-before"
            )
        report = _dryrun_runner(
            cfg, runner, runner_timeout, migrations_dir, compare_static,
            schema=schema, schema_from=schema_from, pg=majors_asked[0], backend=backend,
            pg_bin=pg_bin, image=image, statement_timeout=statement_timeout,
            fail_on=fail_on, skip_missing_extensions=skip_missing_extensions,
            disable=disable, severity=severity, max_lock_timeout=max_lock_timeout,
            progress=progress, server=server, database=database,
        )  # fmt: skip
        return _named(report, cfg)
    if runner_timeout is not None or migrations_dir is not None or compare_static is not None:
        raise UsageError("--runner-timeout, --migrations and --compare-static go with --runner")
    start_schema = starting_schema(
        cfg, None if schema is None else str(schema), schema_from, dsn, replay_before,
        isolate=isolate,
    )  # fmt: skip
    statement_timeout_s = _seconds(statement_timeout, "--statement-timeout")
    lock_timeout_s = _seconds(lock_timeout, "--lock-timeout")
    stats_file = None if stats is None else str(stats)
    sizing = Sizing(stats_file, stats_from, seed, seed_rows, seed_scale, seed_max_rows)
    if sizing.wanted and dsn:
        raise UsageError("--seed needs a server pgfence starts: not --dsn")
    sizing.check()
    if shard is not None and (dsn or sizing.wanted):
        raise UsageError(
            "--shard needs a server pgfence starts and no --seed: the earlier shards' "
            "migrations are applied first (on --dsn they would have to be rolled back "
            "too; seeded, their tables would be filled)"
        )
    versions = majors(pg if pg is not None else cfg.pg)
    choices = [
        ServerChoice(
            backend=backend or cfg.backend,
            pg=major,
            pg_bin=None if pg_bin is None else str(pg_bin),
            dsn=dsn,
            image=image,
        )
        for major in versions
    ]
    if len(choices) > 1 and (dsn or pg_bin or server is not None):
        raise UsageError("several --pg versions need servers pgfence starts: not --dsn or --pg-bin")
    fail_level = None if fail_on is None else _severity(fail_on, cfg)

    def load() -> tuple[RuleSettings, list[Migration], list[Migration], Split | None]:
        import pgfence.dryrun.runner  # noqa: F401 - imported here, beside the server's start
        from pgfence.sources import earlier_migrations

        settings = _settings(cfg, disable, severity, max_lock_timeout)
        migrations = _migrations(
            paths, cfg, migration_format, max_file_size_mb, changed_since=changed_since,
            note=note,
        )  # fmt: skip
        max_bytes = max_file_size_mb * 1024 * 1024
        before = earlier_migrations(migrations, max_bytes=max_bytes) if replay_before else []
        return settings, migrations, before, _split(shard, migrations, note)

    # Importing the dry-run's modules and reading the migrations take about as long as
    # starting a server from the cached cluster: the two overlap (the server is started
    # from this thread, which it must follow if the process is killed).
    loading = Background(load)
    # The server starts now unless it may turn out not to be needed (changed_since, no
    # path, a path that is not there, or a glob) or the production sizes are read first
    # (an unreachable stats_from fails fast).
    targets = _targets(paths, cfg)
    early = (
        server is None
        and changed_since is None
        and shard is None
        and len(choices) == 1
        and not sizing.wanted
        and bool(targets)
        and all(os.path.exists(path) for path in targets)
    )
    started = choose(choices[0], trail) if early else None

    def reached(chosen: Server) -> Server:
        if not chosen.throwaway and warn is not None:
            warn(ROLLED_BACK_WARNING)
        return chosen

    with started or contextlib.nullcontext():
        if started is not None:
            reached(started)
        settings, migrations, before, part = loading.result()
        shard_info = None if part is None else part.info
        if not migrations or (part is not None and part.empty):
            # Nothing changed since changed_since, or nothing for this shard: no server,
            # no stats read.
            return _named(_nothing_to_run(versions, _severity(fail_on, cfg), shard_info), cfg)
        if part is not None:
            migrations = list(part.mine)
        options = dry_run_options(
            cfg,
            statement_timeout_s=statement_timeout_s,
            lock_timeout_s=lock_timeout_s,
            fail_on=fail_level,
            schema_file=start_schema,
            schema_from=schema_from,
            replay_before=before,
            skip_missing_extensions=skip_missing_extensions,
            isolate=isolate,
            settings=settings,
            database=database,
            seed=sizing.request(),
            keep_going=keep_going,
            applied_before=() if part is None or isolate else part.before,
        )
        from pgfence.dryrun.runner import dry_run

        result: Report | MatrixReport
        if len(choices) > 1:
            from pgfence.dryrun.matrix import run_matrix

            result = run_matrix(choices, migrations, options, progress=progress, trail=trail)
        elif started is not None or server is not None:
            on = started or server
            assert on is not None
            result = dry_run(on, migrations, options, progress=progress)
        else:
            with choose(choices[0], trail) as late:
                result = dry_run(reached(late), migrations, options, progress=progress)
        if part is not None:
            from pgfence.shards import labelled

            result = labelled(result, part.info)
        return _named(result, cfg)


def majors(pg: int | str | Sequence[int] | None) -> list[int | None]:
    """The majors a dry-run is asked for: none named (None: the default), one, several
    (a list, or "14,15,16") or "all-available" (every major this machine can start)."""
    if pg is None:
        return [None]
    if isinstance(pg, int):
        return [pg]
    if isinstance(pg, str):
        if pg.strip() == "all-available":
            from pgfence.dryrun.servers import available

            return list(available())
        parts = pg.split(",")
        if not all(part.strip().isdigit() for part in parts):
            raise UsageError(
                f"--pg {pg!r}: expected a major version such as 15, a list such "
                "as 14,15,16, or all-available"
            )
        return list(dict.fromkeys(int(part) for part in parts))
    return list(dict.fromkeys(int(major) for major in pg))


def _nothing_to_run(
    versions: Sequence[int | None], fail_on: Severity, shard: ShardInfo | None
) -> Report | MatrixReport:
    from pgfence.pg.versions import default_major
    from pgfence.version import __version__

    reports = tuple(
        Report(
            pgfence_version=__version__,
            pg_version=major or default_major(),
            statements=(),
            fail_on=fail_on,
            command="dryrun",
            shard=shard,
        )
        for major in versions
    )
    return reports[0] if len(reports) == 1 else MatrixReport(reports, ())


def _named(result: R, cfg: Config) -> R:
    """The report (each version's, for several) marked with its project, when it is one's."""
    if cfg.project is None:
        return result
    if isinstance(result, MatrixReport):
        reports = tuple(dataclasses.replace(r, project=cfg.project) for r in result.reports)
        return dataclasses.replace(result, reports=reports)
    return dataclasses.replace(result, project=cfg.project)


def _dryrun_runner(
    cfg: Config,
    runner: str,
    runner_timeout: str | float | None,
    migrations_dir: str | Path | None,
    compare_static: str | Path | None,
    *,
    schema: str | Path | None,
    schema_from: str | None,
    pg: int | None,
    backend: str | None,
    pg_bin: str | Path | None,
    image: str | None,
    statement_timeout: str | float | None,
    fail_on: str | Severity | None,
    skip_missing_extensions: bool,
    disable: Sequence[str],
    severity: Mapping[str, str | Severity] | None,
    max_lock_timeout: str | float | None,
    progress: Callable[[str], None] | None,
    server: Server | None,
    database: str | None,
) -> Report:
    from pgfence.dryrun.proxy.command import (
        DEFAULT_RUNNER_TIMEOUT_S,
        RunnerRequest,
        dry_run_runner,
    )
    from pgfence.dryrun.servers import ServerChoice, choose

    folder = None if migrations_dir is None else Path(migrations_dir)
    if folder is not None and not folder.is_dir():
        raise UsageError(f"--migrations {migrations_dir}: not a directory")
    compared = None if compare_static is None else Path(compare_static)
    if compared is not None and not compared.is_dir():
        raise UsageError(f"--compare-static {compare_static}: not a directory")
    request = RunnerRequest(
        runner,
        _seconds(runner_timeout, "--runner-timeout") or DEFAULT_RUNNER_TIMEOUT_S,
        folder,
        compare_static=compared,
    )
    options = dry_run_options(
        cfg,
        statement_timeout_s=_seconds(statement_timeout, "--statement-timeout"),
        lock_timeout_s=None,
        fail_on=None if fail_on is None else _severity(fail_on, cfg),
        schema_file=starting_schema(
            cfg, None if schema is None else str(schema), schema_from, None, False, isolate=False
        ),
        schema_from=schema_from,
        replay_before=[],
        skip_missing_extensions=skip_missing_extensions,
        isolate=False,
        settings=_settings(cfg, disable, severity, max_lock_timeout),
        seed=None,
        database=database,
    )
    if server is not None:
        return dry_run_runner(server, request, options, progress)
    choice = ServerChoice(
        backend=backend or cfg.backend,
        pg=pg,
        pg_bin=str(pg_bin) if pg_bin is not None else None,
        image=image,
    )
    with choose(choice, progress) as started:
        return dry_run_runner(started, request, options, progress)


def preflight(
    paths: Paths | None = None,
    *,
    dsn: str,
    config: str | Path | Config | None = None,
    migration_format: str | None = None,
    max_file_size_mb: int = 16,
    lock_timeout: str | float | None = None,
    long_transaction: str | float = 60.0,
    sample: str | float = 1.0,
) -> PreflightReport:
    """`pgfence preflight`: who holds, on the live server at `dsn` (only read), the locks
    the migrations at `paths` need, and what would queue behind them. Without paths, only
    long transactions. The configuration's format and include/exclude apply; its `paths`
    do not: preflight is about the migrations about to run, not every one there is."""
    from pgfence.preflight import PreflightOptions
    from pgfence.preflight import preflight as check
    from pgfence.sources import load_migrations

    if not dsn:
        raise UsageError(
            "preflight needs --dsn URL (or PGFENCE_DSN / DATABASE_URL): the server the "
            "migration will run on"
        )
    cfg = _config(config)
    targets = _targets(paths, cfg) if paths else []
    fmt = migration_format or cfg.migration_format or "auto"
    max_bytes = max_file_size_mb * 1024 * 1024
    migrations = (
        cfg.select(load_migrations(targets, max_bytes=max_bytes, fmt=fmt)) if targets else []
    )
    timeout_s = _seconds(lock_timeout, "--lock-timeout", zero=True)
    options = PreflightOptions(
        lock_timeout_ms=None if timeout_s is None else timeout_s * 1000,
        long_transaction_s=_seconds(long_transaction, "--long-transaction", zero=True) or 0.0,
        sample_s=_seconds(sample, "--sample", zero=True) or 0.0,
    )
    return check(dsn, migrations, options)


def verify(
    names: Sequence[str] = (),
    *,
    scenarios_dir: str | Path | None = None,
    pg: int | None = None,
    backend: str | None = None,
    pg_bin: str | Path | None = None,
    image: str | None = None,
    record: bool = False,
    progress: Callable[[str], None] | None = None,
    on_server: Callable[[Server], None] | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> Verification:
    """`pgfence verify`: run the scenarios (`names`, default all) on a server of major `pg`
    and check pgfence's lock table against what it does; `record` writes what it did as
    their recording instead (for maintainers). `on_server` hears the server once started,
    `on_result` each scenario's result as it comes."""
    from pgfence import scenarios
    from pgfence.dryrun.servers import ServerChoice, choose

    directory = Path(scenarios_dir) if scenarios_dir else scenarios.SCENARIOS_DIR
    chosen = scenarios.load_all(directory)
    if names:
        unknown = sorted(set(names) - {sc.name for sc in chosen})
        if unknown:
            raise UsageError(f"no such scenario: {', '.join(unknown)}")
        chosen = [sc for sc in chosen if sc.name in names]
    choice = ServerChoice(
        backend=backend, pg=pg, pg_bin=None if pg_bin is None else str(pg_bin), image=image
    )
    with choose(choice) as server:
        if on_server is not None:
            on_server(server)
        return scenarios.verify_all(
            chosen, server, record_results=record, progress=progress, on_result=on_result
        )


def dry_run_options(
    cfg: Config,
    *,
    statement_timeout_s: float | None,
    lock_timeout_s: float | None,
    fail_on: Severity | None,
    schema_file: str | None,
    schema_from: str | None,
    replay_before: Sequence[Migration],
    skip_missing_extensions: bool,
    isolate: bool,
    settings: RuleSettings,
    seed: SeedRequest | None,
    database: str | None = None,
    keep_going: bool = False,
    applied_before: Sequence[Migration] = (),
) -> DryRunOptions:
    """A dry-run's options: each as given, else the configuration's, else the default.
    Shared by `pgfence dryrun` and `dryrun()`, so that the two cannot drift apart."""
    from pgfence.dryrun.runner import DryRunOptions

    default = DryRunOptions()
    return DryRunOptions(
        statement_timeout_s=_first(
            statement_timeout_s, cfg.statement_timeout, default.statement_timeout_s
        ),
        lock_timeout_s=_first(lock_timeout_s, cfg.lock_timeout, default.lock_timeout_s),
        schema_file=schema_file,
        schema_from=schema_from,
        replay_before=replay_before,
        skip_missing_extensions=skip_missing_extensions,
        isolate=isolate,
        database=database,
        fail_on=fail_on or cfg.fail_on or default.fail_on,
        settings=settings,
        seed=seed,
        keep_going=keep_going,
        applied_before=applied_before,
    )


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def starting_schema(
    cfg: Config,
    schema: str | None,
    schema_from: str | None,
    dsn: str | None,
    replay_before: bool,
    *,
    isolate: bool = False,
) -> str | None:
    """The schema file a dry-run starts from (the option's, else the configuration's),
    after checking the starting options fit together; a bad file fails here, before any
    server starts. Shared by `pgfence dryrun` and `dryrun()`."""
    if schema is None and not (schema_from or dsn or replay_before):
        schema = cfg.schema
    if schema and schema_from:
        raise UsageError("--schema and --schema-from are alternatives: give one")
    if dsn and (schema or schema_from or replay_before):
        raise UsageError(
            "--dsn dry-runs against that server's own schema: --schema, "
            "--schema-from and --replay-before do not apply"
        )
    if dsn and isolate:
        raise UsageError(
            "--isolate gives each file a database of its own, which pgfence never creates on "
            "a --dsn server: it does not apply"
        )
    if schema is not None:
        from pgfence.sources.files import read_text

        read_text(schema, max_bytes=None)
    return schema


def _project(cfg: Config, project: str | None, paths: Paths | None) -> Config:
    """The configuration, or that of its project `project`. A configuration with projects
    and no paths given needs the choice: which database's migrations, else?"""
    if project is None and cfg.projects and not paths:
        names = ", ".join(p.project or "" for p in cfg.projects)
        raise UsageError(
            f"the configuration has several projects ({names}): choose one with --project "
            "NAME (a CI matrix runs one job per project)"
        )
    return cfg.for_project(project)


def _config(config: str | Path | Config | None) -> Config:
    from pgfence import config as config_module

    if isinstance(config, Config):
        return config
    if config is None:
        return Config()
    return config_module.load(str(config))


def _targets(paths: Paths | None, cfg: Config) -> list[str]:
    """The paths asked for, else the configuration's."""
    if not paths:
        return list(cfg.paths)
    if isinstance(paths, str | Path):
        return [str(paths)]
    return [str(p) for p in paths]


def _migrations(
    paths: Paths | None,
    cfg: Config,
    fmt: str | None,
    max_file_size_mb: int,
    texts: Mapping[str, str] | None = None,
    *,
    changed_since: str | None = None,
    note: Callable[[str], None] | None = None,
) -> list[Migration]:
    """The migrations to check: the paths (or the configuration's), include/exclude,
    `changed_since`. `texts`: what to read instead of some files (by real path)."""
    from pgfence.sources import load_migrations

    targets = _targets(paths, cfg)
    if not targets:
        raise UsageError("no PATH given, and no `paths` in a configuration file")
    loaded = load_migrations(
        targets,
        max_bytes=max_file_size_mb * 1024 * 1024,
        fmt=fmt or cfg.migration_format or "auto",
        texts=texts,
    )
    migrations = cfg.select(loaded)
    if changed_since is not None:
        from pgfence.sources.changed import changed_since as changed_files

        changed = changed_files(changed_since)
        migrations = [m for m in migrations if os.path.realpath(m.path) in changed]
        if not migrations and note is not None:
            note(f"no migration changed since {changed_since}")
    return migrations


class Background(Generic[T]):
    """`work` run in a thread now; `result()` waits for it and returns (or raises) its
    outcome."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._outcome: tuple[T] | BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pgfence-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = (self._work(),)
        except BaseException as exc:  # handed to the thread that asks for the result
            self._outcome = exc

    def result(self) -> T:
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome[0]


def _severity(value: str | Severity | None, cfg: Config) -> Severity:
    if value is None:
        return cfg.fail_on or Severity.HIGH
    return value if isinstance(value, Severity) else _parsed_severity(value, "fail_on")


def _levels(levels: Mapping[str, str | Severity] | None) -> dict[str, Severity]:
    return {
        check: level if isinstance(level, Severity) else _parsed_severity(level, check)
        for check, level in (levels or {}).items()
    }


def _parsed_severity(text: str, what: str) -> Severity:
    """A severity given to the API by name; a wrong one is a usage error, not a crash."""
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None


def _seconds(
    value: str | float | None, name: str = "timeout", *, zero: bool = False
) -> float | None:
    """A duration option in seconds: a string as "2s" or "500ms", or a number of seconds;
    more than 0 unless `zero`."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_duration(value, name, positive=not zero)
    if value < 0 or (value == 0 and not zero):
        raise UsageError(f"{name} {value!r}: a timeout must be longer than 0")
    return float(value)


def _settings(
    cfg: Config,
    disable: Sequence[str],
    severity: Mapping[str, str | Severity] | None,
    max_lock_timeout: str | float | None,
) -> RuleSettings:
    ceiling = _seconds(max_lock_timeout, "max_lock_timeout")
    return cfg.rule_settings(
        disable=disable,
        severity=_levels(severity),
        max_lock_timeout_ms=None if ceiling is None else ceiling * 1000,
    )
