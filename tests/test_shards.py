"""`--shard K/N`: a deterministic, contiguous cut of the work that keeps a transaction whole,
and shards that report exactly what the unsharded run reports for their files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgfence.errors import UsageError
from pgfence.model import Location, Migration, Statement, Transaction, TxScope
from pgfence.shards import Shard, split, units
from tests.support import pgfence as run

FLYWAY = Path(__file__).parent / "sources" / "fixtures" / "flyway"


def migration(name: str, statements: int, block: int | None = None) -> Migration:
    tx = (
        Transaction(TxScope.RUNNER, block) if block is not None else Transaction(TxScope.AUTOCOMMIT)
    )
    return Migration(
        path=name,
        format="sql",
        statements=tuple(
            Statement(f"SELECT {n}", Location(name, n + 1, 1), tx) for n in range(statements)
        ),
    )


def test_shard_parses_k_of_n_and_refuses_the_rest():
    assert Shard.parse(" 2/4 ") == Shard(2, 4)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/3"):
        with pytest.raises(UsageError, match="--shard"):
            Shard.parse(bad)


def test_every_unit_is_in_exactly_one_shard_in_order_and_nearly_even():
    history = [migration(f"{n:04}.sql", 1 + n % 3) for n in range(40)]
    for count in (1, 2, 3, 4, 7, 40, 55):
        parts = [split(history, Shard(k, count)) for k in range(1, count + 1)]
        joined = [m for p in parts for m in p.mine]
        assert joined == history  # contiguous, in order, nothing twice, nothing left out
        for p in parts:
            assert list(p.before) == history[: len(p.before)]
        sizes = [sum(len(m.statements) for m in p.mine) for p in parts]
        if count <= 7:
            assert max(sizes) - min(sizes) <= 3, sizes  # no unit has more than 3 statements
        assert len({p.info.inputs for p in parts}) == 1
    assert sum(split(history, Shard(k, 55)).empty for k in range(1, 56)) == 15


def test_the_cut_is_the_same_on_every_run():
    history = [migration(f"{n:04}.sql", 1 + (n * 7) % 5) for n in range(25)]
    first = [split(history, Shard(k, 4)).mine for k in range(1, 5)]
    again = [split(list(history), Shard(k, 4)).mine for k in range(1, 5)]
    assert first == again
    assert split(history, Shard(1, 4)).info.inputs == split(history, Shard(4, 4)).info.inputs
    changed = [*history[:-1], migration("0024.sql", 9)]
    assert split(changed, Shard(1, 4)).info.inputs != split(history, Shard(1, 4)).info.inputs


def test_a_transaction_that_spans_files_is_never_cut():
    # TypeORM's default: every pending migration in the tool's one transaction.
    history = [
        migration("a.sql", 2),
        migration("b.sql", 2, block=7),
        migration("c.sql", 2, block=7),
    ]
    history += [migration("d.sql", 2, block=8)]
    assert [[m.path for m in u] for u in units(history)] == [
        ["a.sql"],
        ["b.sql", "c.sql"],
        ["d.sql"],
    ]
    for count in (2, 3, 4):
        for k in range(1, count + 1):
            mine = [m.path for m in split(history, Shard(k, count)).mine]
            assert ("b.sql" in mine) == ("c.sql" in mine)


def strip_times(statement: dict) -> dict:
    observed = statement.get("observed")
    if observed:
        observed["duration_ms"] = observed["held_ms"] = None
    return statement


def test_analyze_shards_report_what_the_unsharded_run_reports(tmp_path):
    whole = run("analyze", "--format", "json", str(FLYWAY))
    expected = json.loads(whole.stdout)
    statements, findings, empty = [], [], []
    for k in range(1, 9):
        part = run("analyze", "--format", "json", "--shard", f"{k}/8", str(FLYWAY))
        assert part.returncode in (0, 1), part.stderr
        report = json.loads(part.stdout)
        assert report["shard"]["index"] == k and report["shard"]["units"] == 7
        statements += report["statements"]
        findings += report["findings"]
        if not report["statements"]:
            empty.append(k)
            assert part.returncode == 0
            assert f"pgfence: shard {k}/8 has no work: the run has 7 unit(s)" in part.stderr
    assert len(empty) == 1
    assert statements == expected["statements"]
    assert findings == expected["findings"]


def test_shard_is_refused_with_dsn_and_with_seed():
    done = run(
        "dryrun", "--shard", "1/2", "--dsn", "postgresql://nobody@127.0.0.1:1/x", str(FLYWAY)
    )
    assert done.returncode == 2 and "--shard needs a server pgfence starts" in done.stderr
    done = run("dryrun", "--shard", "1/2", "--seed", str(FLYWAY))
    assert done.returncode == 2 and "--shard needs a server pgfence starts" in done.stderr
    done = run("analyze", "--shard", "3/2", str(FLYWAY))
    assert done.returncode == 2 and "K must be between 1 and N" in done.stderr
    assert "Traceback" not in done.stderr


HISTORY = {
    # What 0003 is predicted to lock depends on the column type 0001 gave: the catalog
    # of a later shard must follow the earlier shards' statements.
    "0001_create.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100), n int);\n",
    "0002_index.sql": "CREATE INDEX accounts_email_idx ON accounts (email);\n",
    "0003_widen.sql": "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\n"
    "ALTER TABLE accounts ALTER COLUMN n TYPE bigint;\n",
    "0004_orders.sql": "BEGIN;\nCREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n"
    "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n"
    "COMMIT;\n",
    "0005_not_null.sql": "ALTER TABLE orders ALTER COLUMN account_id SET NOT NULL;\n",
    "0006_drop.sql": "DROP INDEX accounts_email_idx;\n",
}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in HISTORY.items():
        (folder / name).write_text(sql)
    return folder


@pytest.mark.postgres
def test_dryrun_shards_observe_what_the_unsharded_run_observes(history):
    whole = run("dryrun", "--format", "json", str(history), timeout=300)
    assert whole.returncode in (0, 1), whole.stderr
    expected = [strip_times(s) for s in json.loads(whole.stdout)["statements"]]
    assert [s["verdict"]["kind"] for s in expected].count("not-run") == 0
    got = []
    for k in range(1, 4):
        part = run("dryrun", "--format", "json", "--shard", f"{k}/3", str(history), timeout=300)
        assert part.returncode in (0, 1), part.stderr
        got += [strip_times(s) for s in json.loads(part.stdout)["statements"]]
    assert got == expected


@pytest.mark.postgres
def test_a_failing_earlier_shard_stops_the_later_one_with_one_line(history):
    (history / "0002_index.sql").write_text("CREATE INDEX broken_idx ON nowhere (x);\n")
    done = run("dryrun", "--shard", "3/3", str(history), timeout=300)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "--shard: a migration of an earlier shard does not apply cleanly" in line
    assert "0002_index.sql" in line


def test_the_api_cuts_the_same_shards_as_the_command_line():
    from pgfence import analyze

    whole = analyze(str(FLYWAY))
    parts = [analyze(str(FLYWAY), shard=f"{k}/3") for k in range(1, 4)]
    assert [s for p in parts for s in p.statements] == list(whole.statements)
    assert {p.shard.count for p in parts if p.shard} == {3}
    with pytest.raises(UsageError, match="--shard"):
        analyze(str(FLYWAY), shard="4/3")


@pytest.mark.postgres
def test_api_dryrun_shards_on_a_shared_server_observe_what_the_whole_run_does(
    pg, history, database_name
):
    from pgfence import dryrun
    from pgfence.reporting.json import to_dict

    def untimed_statements(report) -> list[dict]:
        return [strip_times(s) for s in to_dict(report)["statements"]]

    whole = dryrun(str(history), server=pg, database=database_name)
    parts = [
        dryrun(str(history), server=pg, database=f"{database_name}_{k}", shard=f"{k}/2")
        for k in (1, 2)
    ]
    assert [s for p in parts for s in untimed_statements(p)] == untimed_statements(whole)
    assert [p.shard.index for p in parts if p.shard] == [1, 2]
