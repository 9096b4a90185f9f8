"""Verdicts a clean history earns: histories that do only what the prediction says exit
clean. Each case is a pattern found in a real project's migrations (tools/corpus.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import VerdictKind
from pgfence.sources import load_migrations

pytestmark = pytest.mark.postgres


def _history(server, root: Path, fmt: str, database: str, files: dict[str, str]):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    migrations = load_migrations([str(root)], fmt=fmt)
    return dry_run(server, migrations, DryRunOptions(database=database))


def _under(report) -> list[str]:
    return [
        f"{Path(s.statement.location.file).name}:{s.statement.location.line} {s.verdict.reasons}"
        for s in report.statements
        if s.verdict is not None and s.verdict.kind is VerdictKind.UNDER_PREDICTED
    ]


def test_dropping_a_table_or_column_locks_the_sequence_it_owns(pg, tmp_path, database_name):
    # harbor: DROP TABLE IF EXISTS of tables with serial keys, 12 times in one history.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__init.sql": (
                "CREATE TABLE q (id serial PRIMARY KEY, name text);\n"
                "CREATE TABLE r (id int GENERATED ALWAYS AS IDENTITY, x bigserial);\n"
            ),
            "V2__drop_column.sql": "ALTER TABLE r DROP COLUMN x;\n",
            "V3__drop.sql": "DROP TABLE IF EXISTS q;\nDROP TABLE r;\n",
        },
    )
    assert _under(report) == []
    drop_q = next(s for s in report.statements if s.statement.sql.startswith("DROP TABLE IF"))
    assert "public.q_id_seq" in {lock.relation for lock in drop_q.prediction.locks}
