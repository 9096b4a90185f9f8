"""The HTML report's timeline and statements table (issue 19): file boundaries, no lanes
for TOAST or transient relations, blocked and under-predicted in different colours, and a
statements table that fits an 800-pixel window in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import VerdictKind
from pgfence.reporting import html
from pgfence.sources import load_migrations

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, note text);
INSERT INTO accounts SELECT g, 'user' || g, repeat('x', 3000) FROM generate_series(1, 50) g;
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);
"""
FIRST = "CREATE INDEX orders_account_idx ON orders (account_id);\n"
# A type change rewrites accounts: a transient heap and the TOAST table are locked too.
SECOND = "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\n"


@pytest.fixture
def report(pg, tmp_path, database_name):
    (tmp_path / "schema.sql").write_text(SCHEMA)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_index.sql").write_text(FIRST)
    (folder / "0002_type.sql").write_text(SECOND)
    options = DryRunOptions(schema_file=str(tmp_path / "schema.sql"), database=database_name)
    return dry_run(pg, load_migrations([str(folder)]), options)


def test_timeline_marks_files_and_folds_toast_and_transient_relations(report):
    rewrite = report.statements[-1].observation
    locked = {lock.relation for lock in rewrite.locks}
    # The server did lock them: the timeline must fold them, not miss them.
    assert any(r.startswith("pg_toast.") for r in locked)
    assert any(r.startswith("(transient relation") for r in locked)
    page = html.render(report)
    lanes = re.findall(r'<g class="lane" data-relation="([^"]*)"', page)
    assert lanes == ["public.orders", "public.orders_account_idx", "public.accounts"]
    files = re.findall(r'<g class="file-boundary" data-file="([^"]*)"', page)
    assert [Path(f).name for f in files] == ["0001_index.sql", "0002_type.sql"]
    blocked = set(re.findall(r'<rect class="blocked"[^>]* fill="([^"]*)"', page))
    assert blocked == {html.BLOCKED_COLOR}
    assert html.VERDICT_COLORS[VerdictKind.UNDER_PREDICTED] != html.BLOCKED_COLOR


CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")
@pytest.mark.parametrize("window", [800, 1280])
def test_statements_table_fits_the_window(report, tmp_path, window):
    page = html.render(report)
    # A copy that measures itself: the page's own policy forbids scripts.
    measured = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace(
        "</body>",
        "<script>const t = document.querySelector('table.statements');"
        "document.body.dataset.measure = JSON.stringify({page: "
        "document.documentElement.scrollWidth, window: window.innerWidth, "
        "table: t.getBoundingClientRect().right});</script></body>",
    )
    path = tmp_path / "measured.html"
    path.write_text(measured)
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={window},900",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    raw = re.search(r'data-measure="([^"]*)"', done.stdout)
    assert raw is not None, done.stdout[-2000:]
    sizes = json.loads(raw.group(1).replace("&quot;", '"'))
    assert sizes["table"] <= sizes["window"], sizes
    assert sizes["page"] <= sizes["window"], sizes
