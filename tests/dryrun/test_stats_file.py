"""Reading a stats file (`--stats FILE`): what it accepts and how it refuses the rest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pgfence.dryrun import stats
from pgfence.errors import BadInput
from pgfence.model import RelKind


def write(tmp_path, text: str) -> str:
    path = tmp_path / "stats.json"
    path.write_text(text)
    return str(path)


def test_a_stats_file_is_read(tmp_path):
    path = write(
        tmp_path,
        json.dumps(
            {
                "pgfence_stats": 1,
                "tables": {
                    "public.orders": {
                        "rows": 1500000.0,
                        "table_bytes": 200,
                        "indexes": {"public.orders_pkey": 50},
                    },
                    "public.events": {"kind": "partitioned table", "rows": None},
                },
            }
        ),
    )
    read = stats.load(path)
    orders = read.table("public.orders")
    assert (orders.rows, orders.table_bytes, orders.total_bytes) == (1_500_000, 200, 200)
    assert [(i.name, i.bytes) for i in orders.indexes] == [("public.orders_pkey", 50)]
    events = read.table("public.events")
    assert events.kind is RelKind.PARTITIONED_TABLE and events.rows is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"pgfence_stats": true, "tables": {}}', "not a stats file of format 1"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"rows": NaN}}}', "rows must be"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"rows": Infinity}}}', "rows must be"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"rows": -1}}}', "rows must be"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"table_bytes": 1e400}}}', "table_bytes"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"table_bytes": "x"}}}', "table_bytes"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"rows": true}}}', "rows must be"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"indexes": [1]}}}', '"indexes"'),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"indexes": {"i": null}}}}', "index i"),
        ('{"pgfence_stats": 1, "tables": {"public.t": {"kind": "view"}}}', 'kind "view"'),
        ('{"pgfence_stats": 1, "tables": {"t": {}}}', "schema-qualified"),
    ],
)
def test_a_bad_stats_file_names_the_file_and_the_table(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(BadInput, match=message) as caught:
        stats.load(path)
    assert caught.value.file == path


def test_the_cli_reports_a_bad_stats_file_in_one_line(tmp_path):
    path = write(tmp_path, '{"pgfence_stats": 1, "tables": {"public.t": {"rows": NaN}}}')
    migration = tmp_path / "0001.sql"
    migration.write_text("SELECT 1;\n")
    result = subprocess.run(
        [sys.executable, "-m", "pgfence.cli", "dryrun", "--stats", path, "--seed-scale", "0.5",
         str(migration)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"pgfence: error: {path}") and "public.t: rows must be" in line
    assert "Traceback" not in result.stderr
