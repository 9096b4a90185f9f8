"""Connection strings: no secret in any message, whether the string parses or not."""

from __future__ import annotations

import pytest

from pgfence.dsn import UNPARSEABLE, bad_dsn, check, redact, scrub
from pgfence.errors import UsageError
from tests.support import pgfence

# (connection string, pieces of its secrets that must never be shown)
MALFORMED = [
    ("postgresql://u:p%zz@h/db", ["p%zz", "%zz"]),
    ("host=x password=se cret", ["se cret", "cret"]),
    ("host=x password='se cret", ["se cret", "cret"]),
    ("postgresql://u:se cret@h/db", ["se cret", "cret"]),
    ("host=x password=se cret=1", ["cret"]),
    ("postgresql://u@h/db?sslpassword=top%zzsecret", ["top", "zzsecret"]),
]


def _malformed_error(dsn: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        check(dsn, "--dsn")
    return caught.value


@pytest.mark.parametrize(("dsn", "secrets"), MALFORMED)
def test_a_malformed_connection_string_is_reported_without_its_password(dsn, secrets):
    message = str(_malformed_error(dsn))
    assert message.startswith("--dsn: not a valid connection string: ")
    assert "\n" not in message
    for secret in secrets:
        assert secret not in message


def test_a_malformed_connection_string_keeps_the_reason_where_it_names_no_secret():
    message = str(_malformed_error("host=x hots=y"))
    assert 'invalid connection option "hots"' in message
    message = str(_malformed_error("host=x password=se cret"))
    assert message.endswith('missing "=" after "…" in connection info string')


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://app:hunter2@db.internal:5433/app?sslpassword=keypass",
        "host=db.internal password='hunter2' sslpassword=keypass user=app",
        "host=db oauth_client_secret=keypass password=hunter2",
    ],
)
def test_redact_masks_every_secret_of_either_form(dsn):
    shown = redact(dsn)
    assert "hunter2" not in shown and "keypass" not in shown
    assert "db" in shown and "***" in shown


@pytest.mark.parametrize(("dsn", "_secrets"), MALFORMED)
def test_redact_shows_nothing_of_a_string_that_does_not_parse(dsn, _secrets):
    assert redact(dsn) == UNPARSEABLE


def test_scrub_masks_secrets_a_message_echoes():
    dsn = "host=h password=hunter2 sslpassword=keypass"
    message = "FATAL: hunter2 keypass " + dsn
    assert scrub(message, dsn) == "FATAL: *** *** …"


def test_scrub_leaves_a_message_readable_when_the_secret_is_a_letter():
    assert scrub("connection refused", "host=h password=e") == "connection refused"


def test_bad_dsn_never_repeats_the_whole_string():
    dsn = "host=x password=hunter2 oops"
    error = bad_dsn("--stats-from", dsn, ValueError(f"bad: {dsn}"))
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(("dsn", "secrets"), MALFORMED[:4])
@pytest.mark.parametrize(
    "command",
    [
        ["dryrun", "--dsn"],
        ["preflight", "--dsn"],
        ["dryrun", "--schema-from"],
        ["dryrun", "--stats-from"],
        ["stats", "--from"],
    ],
    ids=lambda c: " ".join(c),
)
def test_no_command_shows_a_malformed_strings_password(tmp_path, command, dsn, secrets):
    (tmp_path / "0001.sql").write_text("SELECT 1;\n")
    paths = [] if command[0] == "stats" else ["0001.sql"]
    result = pgfence(*command, dsn, *paths, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for secret in secrets:
        assert secret not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "command", [["dryrun", "--dsn"], ["preflight", "--dsn"], ["dryrun", "--schema-from"]]
)
def test_an_unreachable_server_is_exit_3_without_any_secret(tmp_path, command):
    (tmp_path / "0001.sql").write_text("SELECT 1;\n")
    dsn = "host=127.0.0.1 port=1 user=app password=hunter2 sslpassword=keypass connect_timeout=5"
    result = pgfence(*command, dsn, "0001.sql", cwd=tmp_path, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "hunter2" not in result.stderr and "keypass" not in result.stderr
    assert "127.0.0.1" in result.stderr


@pytest.mark.postgres
def test_no_report_progress_line_or_message_carries_a_secret_of_the_dsn(
    pg, database_name, tmp_path
):
    """Every format of a --dsn dry-run, with -v, and preflight's: the server is named by
    version and backend only, and nothing of the connection string is repeated."""
    from psycopg.conninfo import make_conninfo

    from tests.support import database_with

    live = database_with(pg, database_name, "CREATE TABLE accounts (id int PRIMARY KEY);")
    dsn = make_conninfo(live, password="hunter2", sslpassword="keypass")
    (tmp_path / "0001.sql").write_text("ALTER TABLE accounts ADD COLUMN note text;\n")
    formats = ["sarif", "github", "markdown", "junit", "html", "table"]
    outputs = [f"--output={fmt}={tmp_path / ('report.' + fmt)}" for fmt in formats]
    dryrun = pgfence(
        "dryrun", "--dsn", dsn, "0001.sql", "-v", "--format", "json", *outputs, cwd=tmp_path
    )
    assert dryrun.returncode in (0, 1), dryrun.stderr
    preflight = [
        pgfence(
            "preflight", "--dsn", dsn, "--sample", "0", "--format", fmt, "0001.sql", cwd=tmp_path
        )
        for fmt in ("json", "table")
    ]
    texts = [dryrun.stdout, dryrun.stderr]
    texts += [(tmp_path / f"report.{fmt}").read_text() for fmt in formats]
    texts += [r.stdout + r.stderr for r in preflight]
    assert all(r.returncode == 0 for r in preflight), [r.stderr for r in preflight]
    assert '"backend": "dsn"' in dryrun.stdout.replace('":"', '": "')
    for text in texts:
        assert "hunter2" not in text and "keypass" not in text
