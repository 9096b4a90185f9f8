"""The dry-run's static analyses made ahead in a forked process (pgfence/dryrun/ahead.py)
give the report the run makes by itself: with failures, savepoints rolled back to, a
tool's transactions and BEGIN … COMMIT, and when the worker dies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pgfence.analysis.analyze import build_report
from pgfence.dryrun import ahead
from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.reporting.json import to_dict
from pgfence.sources import load_migrations

FLYWAY = {
    "V1__init.sql": (
        "CREATE TYPE mood AS ENUM ('ok');\n"
        "CREATE TABLE p (id serial PRIMARY KEY, note varchar(20), m mood);\n"
        "CREATE INDEX p_note ON p (note);\n"
        "ALTER TYPE mood ADD VALUE 'sad';\n"
    ),
    # Its first statement runs after the tool committed V1: 'sad' is not new in its
    # transaction (the run once analysed it with V1's statements before it).
    "V2__use.sql": (
        "INSERT INTO p (note, m) VALUES ('x', 'sad');\n"
        "ALTER TABLE p ALTER COLUMN note TYPE varchar(40);\n"
        "ALTER TABLE p ALTER COLUMN id TYPE bigint;\n"
    ),
    "V3__more.sql": (
        "ALTER TABLE p RENAME TO q;\nCREATE TABLE r (id int REFERENCES q (id));\nDROP TABLE r;\n"
    ),
    "V4__fails.sql": "ALTER TABLE nowhere ADD COLUMN x int;\nCREATE TABLE after_failure (a int);\n",
    "V5__not_applied.sql": "CREATE TABLE later (a int);\n",
}

PLAIN = {
    "1_plain.sql": (
        "CREATE TABLE s (id int PRIMARY KEY, v text);\n"
        "BEGIN;\n"
        "ALTER TABLE s ADD COLUMN w int;\n"
        "SAVEPOINT a;\n"
        "ALTER TABLE s ADD COLUMN x int;\n"
        "ROLLBACK TO SAVEPOINT a;\n"
        "ALTER TABLE s ADD COLUMN y int;\n"
        "CREATE INDEX s_y ON s (y);\n"
        "COMMIT;\n"
        "ALTER TABLE s ADD COLUMN z int;\n"
        "UPDATE s SET v = 'a';\n"
        "SELECT 1/0;\n"
        "ALTER TABLE s ADD COLUMN never int;\n"
    ),
}


def _report(pg, root: Path, fmt: str, database: str, files: dict[str, str]) -> dict:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    report = dry_run(pg, load_migrations([str(root)], fmt=fmt), DryRunOptions(database=database))
    out = to_dict(report)
    out.pop("server", None)
    for statement in out["statements"]:
        for timing in ("duration_ms", "held_ms"):
            (statement.get("observed") or {}).pop(timing, None)
    return json.loads(json.dumps(out, sort_keys=True))


def _taken(monkeypatch) -> list[int]:
    taken = [0]
    take = ahead.Ahead.take

    def counting(self, statement, earlier):
        made = take(self, statement, earlier)
        taken[0] += made is not None
        return made

    monkeypatch.setattr(ahead.Ahead, "take", counting)
    return taken


@pytest.mark.parametrize(("fmt", "files"), [("flyway", FLYWAY), ("sql", PLAIN)])
def test_the_analyses_made_ahead_give_the_report_the_run_makes_itself(
    pg, tmp_path, database_name, monkeypatch, fmt, files
):
    monkeypatch.setattr(ahead, "AHEAD_FROM", 10**9)
    alone = _report(pg, tmp_path / "h", fmt, f"{database_name}_a", files)
    monkeypatch.setattr(ahead, "AHEAD_FROM", 0)
    taken = _taken(monkeypatch)
    made_ahead = _report(pg, tmp_path / "h", fmt, f"{database_name}_b", files)
    assert made_ahead == alone
    statements = sum(text.count(";\n") for text in files.values())
    # Taken until the run and the worker part (the failure; ROLLBACK TO), not after.
    assert 0 < taken[0] < statements
    assert any(s["observed"].get("error") for s in alone["statements"] if s.get("observed"))


def test_a_statement_after_the_tools_commit_is_analysed_without_the_files_before(
    pg, tmp_path, database_name
):
    report = _report(pg, tmp_path / "d", "flyway", database_name, FLYWAY)
    first_of_v2 = next(s for s in report["statements"] if s["file"].endswith("V2__use.sql"))
    assert [f["rule"] for f in first_of_v2["findings"]] == _static_rules(tmp_path / "d", 0)
    assert "enum-value-used-in-transaction" not in [f["rule"] for f in first_of_v2["findings"]]


def _static_rules(root: Path, index: int) -> list[str]:
    migrations = load_migrations([str(root)], fmt="flyway")
    statements = build_report(migrations, version=18).statements
    v2 = [s for s in statements if s.statement.location.file.endswith("V2__use.sql")]
    return [f.rule for f in v2[index].findings]


def test_a_worker_that_dies_leaves_the_run_to_analyse_by_itself(
    pg, tmp_path, database_name, monkeypatch
):
    monkeypatch.setattr(ahead, "AHEAD_FROM", 10**9)
    alone = _report(pg, tmp_path / "h", "flyway", f"{database_name}_a", FLYWAY)
    monkeypatch.setattr(ahead, "AHEAD_FROM", 0)
    monkeypatch.setattr(ahead, "_work", lambda *args: os._exit(3))
    taken = _taken(monkeypatch)
    assert _report(pg, tmp_path / "h", "flyway", f"{database_name}_b", FLYWAY) == alone
    assert taken[0] == 0


def test_a_worker_that_sends_nothing_is_given_up_on(pg, tmp_path, database_name, monkeypatch):
    import time

    monkeypatch.setattr(ahead, "AHEAD_FROM", 10**9)
    alone = _report(pg, tmp_path / "h", "flyway", f"{database_name}_a", FLYWAY)
    monkeypatch.setattr(ahead, "AHEAD_FROM", 0)
    monkeypatch.setattr(ahead, "WAIT_S", 0.2)
    monkeypatch.setattr(ahead, "_work", lambda *args: (time.sleep(60), os._exit(0)))
    taken = _taken(monkeypatch)
    start = time.monotonic()
    assert _report(pg, tmp_path / "h", "flyway", f"{database_name}_b", FLYWAY) == alone
    assert taken[0] == 0 and time.monotonic() - start < 30  # waited once, then went on


def test_no_process_to_fork_leaves_the_run_to_analyse_by_itself(
    pg, tmp_path, database_name, monkeypatch
):
    monkeypatch.setattr(ahead, "AHEAD_FROM", 10**9)
    alone = _report(pg, tmp_path / "h", "flyway", f"{database_name}_a", FLYWAY)
    monkeypatch.setattr(ahead, "AHEAD_FROM", 0)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ahead.os, "fork", no_fork)
    taken = _taken(monkeypatch)
    assert _report(pg, tmp_path / "h", "flyway", f"{database_name}_b", FLYWAY) == alone
    assert taken[0] == 0


def test_no_fork_beside_a_thread_that_is_not_pgfences_nor_from_one():
    import threading

    assert ahead.safe_to_fork()
    stop = threading.Event()
    foreign = threading.Thread(target=stop.wait, name="an-application-thread")
    foreign.start()
    try:
        assert not ahead.safe_to_fork()
    finally:
        stop.set()
        foreign.join()
    ours = threading.Thread(target=lambda: seen.append(ahead.safe_to_fork()), name="pgfence-x")
    seen: list[bool] = []
    ours.start()
    ours.join()
    assert seen == [False] and ahead.safe_to_fork()  # not from a thread but the main one
