"""The Python API: `from pgfence import analyze, dryrun`."""

from __future__ import annotations

from pathlib import Path

import pytest

import pgfence
from pgfence import analyze, dryrun
from pgfence.config import Config
from pgfence.errors import BadInput, UsageError
from pgfence.model import Report, Severity, VerdictKind

SCHEMA = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
INDEX = "CREATE INDEX accounts_email_idx ON accounts (email);\n"


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_index.sql").write_text(INDEX)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    return folder


def test_the_package_exports_functions_and_the_dryrun_package_still_imports():
    from pgfence.dryrun.runner import dry_run  # the package of the same name

    assert callable(pgfence.analyze) and callable(pgfence.dryrun) and callable(dry_run)
    assert pgfence.dryrun is dryrun and dryrun.__module__ == "pgfence.api"


def test_analyze_returns_the_report(migrations):
    report = analyze(migrations, pg=14)
    assert isinstance(report, Report) and report.pg_version == 14
    [statement] = report.statements
    by_rule = {f.rule: f for f in statement.findings}
    # The only high finding; the missing timeouts are policy findings below it.
    assert by_rule["create-index-blocks-writes"].severity is Severity.HIGH
    assert [f.rule for f in statement.findings if f.severity >= Severity.HIGH] == [
        "create-index-blocks-writes"
    ]
    assert report.failed
    assert not analyze(str(migrations), fail_on="critical").failed
    assert not analyze([migrations], disable=["create-index-blocks-writes"]).failed
    lowered = analyze(migrations, severity={"create-index-blocks-writes": "low"})
    [finding] = [
        f for f in lowered.statements[0].findings if f.rule == "create-index-blocks-writes"
    ]
    assert finding.severity is Severity.LOW


def test_analyze_reads_a_configuration_only_when_asked(migrations, tmp_path):
    (tmp_path / "pgfence.toml").write_text('fail-on = "critical"\npaths = ["migrations"]\n')
    assert analyze(migrations).failed  # no file read by default
    report = analyze(config=tmp_path / "pgfence.toml")  # paths from the file
    assert report.statements and not report.failed
    assert not analyze(migrations, config=Config(fail_on=Severity.CRITICAL)).failed


def test_bad_input_raises_the_pgfence_errors(tmp_path):
    with pytest.raises(BadInput, match="no such file or directory"):
        analyze(tmp_path / "nope.sql")
    with pytest.raises(UsageError, match="no PATH given"):
        analyze()
    with pytest.raises(UsageError, match="--pg 12"):
        analyze(tmp_path, pg=12)


def test_an_unknown_check_id_is_a_usage_error_as_on_the_command_line(migrations):
    with pytest.raises(UsageError, match="no such check: create-index-block-writes; did you"):
        analyze(migrations, disable=["create-index-block-writes"])
    with pytest.raises(UsageError, match="no such check: nope"):
        analyze(migrations, severity={"nope": "low"})


def test_dryrun_checks_its_starting_options_as_the_command_line_does(migrations, tmp_path):
    with pytest.raises(UsageError, match="alternatives"):
        dryrun(migrations, schema=tmp_path / "schema.sql", schema_from="host=/nowhere")
    with pytest.raises(UsageError, match="own schema"):
        dryrun(migrations, schema=tmp_path / "schema.sql", dsn="host=/nowhere")
    with pytest.raises(BadInput, match="no such file"):
        dryrun(migrations, schema=tmp_path / "missing.sql")


@pytest.mark.postgres
def test_dryrun_returns_the_observed_report(migrations, tmp_path):
    report = dryrun(migrations, schema=tmp_path / "schema.sql")
    [statement] = report.statements
    assert report.server is not None and report.server.backend == "embedded"
    assert statement.verdict.kind is VerdictKind.CONFIRMED
    assert {
        lock.mode.pg_name
        for lock in statement.observation.locks
        if lock.relation == "public.accounts"
    } == {"ShareLock"}


@pytest.mark.postgres
def test_dryrun_on_a_server_the_caller_started(pg, migrations, tmp_path, database_name):
    report = dryrun(migrations, schema=tmp_path / "schema.sql", server=pg, database=database_name)
    assert report.server == pg.info
    assert report.statements[0].observation.ran


@pytest.mark.postgres
def test_dryrun_seeds_like_the_command_line(pg, migrations, tmp_path, database_name):
    report = dryrun(
        migrations,
        schema=tmp_path / "schema.sql",
        server=pg,
        database=database_name,
        seed_rows=300,
    )
    assert report.seeding is not None
    [accounts] = [t for t in report.seeding.tables if t.relation == "public.accounts"]
    assert accounts.filled and accounts.rows == 300
    [statement] = report.statements
    assert statement.estimate is not None and statement.estimate.work == "index build"
    with pytest.raises(UsageError, match="alternatives"):
        dryrun(migrations, seed_rows=10, seed_scale=0.1, stats=tmp_path / "s.json")


@pytest.mark.parametrize("timeout", [0, "0s", -1.0])
def test_a_timeout_that_is_not_above_zero_is_a_usage_error(migrations, timeout):
    with pytest.raises(UsageError, match="a timeout must be longer than 0"):
        dryrun(migrations, statement_timeout=timeout)


# What only a command line has: output and how it is shown, progress, and git-based
# selection of the files, the whole-run cache. `--fix`, `--diff` and `--split` are
# `pgfence.api.fix()`; standard input is the CLI's.
_CLI_ONLY = {
    "no_cache",
    "fmt",
    "output",
    "verbose",
    "changed_since",
    "color",
    "quiet",
    "show_statements",
    "fix",
    "diff",
    "split",
    "stdin_filename",
}
_RENAMED = {"config_file": "config", "max_file_size": "max_file_size_mb"}


@pytest.mark.parametrize("command", ["analyze", "dryrun"])
def test_the_api_takes_every_option_of_the_command_line(command):
    import inspect

    import pgfence.cli

    cli_options = set(inspect.signature(getattr(pgfence.cli, command)).parameters) - _CLI_ONLY
    api_options = set(inspect.signature(getattr(pgfence, command)).parameters)
    missing = {_RENAMED.get(name, name) for name in cli_options} - api_options
    assert not missing, f"{command}() lacks {sorted(missing)}"


def test_the_api_takes_the_same_defaults_as_the_command_line(tmp_path):
    """Timeouts and fail_on: the option, else the configuration file, else the default."""
    from pgfence.api import dry_run_options
    from pgfence.checks import RuleSettings
    from pgfence.dryrun.runner import DryRunOptions

    def options(cfg, **given):
        base = dict(statement_timeout_s=None, lock_timeout_s=None, fail_on=None)
        return dry_run_options(
            cfg, **{**base, **given}, schema_file=None, schema_from=None, replay_before=(),
            skip_missing_extensions=False, isolate=False, settings=RuleSettings(), seed=None,
        )  # fmt: skip

    default = DryRunOptions()
    plain = options(Config())
    assert (plain.statement_timeout_s, plain.lock_timeout_s, plain.fail_on) == (
        default.statement_timeout_s, default.lock_timeout_s, default.fail_on,
    )  # fmt: skip
    (tmp_path / "pgfence.toml").write_text(
        'statement-timeout = "5s"\nlock-timeout = "1s"\nfail-on = "medium"\n'
    )
    from pgfence import config as config_module

    cfg = config_module.load(str(tmp_path / "pgfence.toml"))
    from_file = options(cfg)
    assert (from_file.statement_timeout_s, from_file.lock_timeout_s) == (5.0, 1.0)
    assert from_file.fail_on is Severity.MEDIUM
    given = options(cfg, statement_timeout_s=9.0, fail_on=Severity.CRITICAL)
    assert (given.statement_timeout_s, given.fail_on) == (9.0, Severity.CRITICAL)
