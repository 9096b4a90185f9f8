"""The HTML report opened in a real browser (headless Chromium): what renders, and that it
loads nothing from anywhere.

Needs Debian's `chromium` (`make test` installs it when it can, tools/install_chromium.sh);
skipped without it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.reporting import html
from pgfence.sources import load_migrations
from tests.reporting.test_formats_dryrun import MIGRATION, SCHEMA

pytestmark = pytest.mark.postgres

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
if CHROMIUM is None:
    pytest.skip("no chromium on this machine", allow_module_level=True)


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # Console messages (a blocked load would be one) go to stderr.
            "--enable-logging=stderr",
            "--v=0",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def page(pg, tmp_path, database_name) -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    migration = tmp_path / "0001_orders.sql"
    migration.write_text(MIGRATION)
    options = DryRunOptions(schema_file=str(tmp_path / "schema.sql"), database=database_name)
    report = dry_run(pg, load_migrations([str(migration)]), options)
    path = tmp_path / "report.html"
    path.write_text(html.render(report))
    return path


def test_the_browser_builds_the_timeline_and_loads_nothing(page, tmp_path):
    done = chromium(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline"' in dom
    assert dom.count('<g class="lane"') >= 2
    assert (
        'data-mode="AccessExclusiveLock"' in dom and 'data-mode="ShareUpdateExclusiveLock"' in dom
    )
    assert dom.count('<g class="statement"') == 8
    assert 'id="verdict"' in dom and "FAILED" in dom
    # The page forbids every load (Content-Security-Policy); the browser would log any
    # attempt it blocked.
    assert "Content Security Policy" not in done.stderr


def test_the_screenshot_shows_the_lock_colours_and_the_verdict(page, tmp_path):
    image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "shot.png"
    done = chromium(
        page,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1400,1000",
        "--hide-scrollbars",
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    colors = image.open(shot).convert("RGB").getcolors(maxcolors=1 << 24)
    pixels = Counter({rgb: count for count, rgb in colors})
    assert len(pixels) > 50  # not a blank page

    def seen(hex_color: str) -> int:
        rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
        return pixels[rgb]

    assert seen(html.MODE_COLORS[html.LockMode.ACCESS_EXCLUSIVE]) > 300  # the ALTER's bar
    assert seen(html.MODE_COLORS[html.LockMode.SHARE_UPDATE_EXCLUSIVE]) > 300  # CONCURRENTLY
    assert seen(html.VERDICT_COLORS[html.VerdictKind.CONFIRMED]) > 100  # verdict bands
    assert seen("#ffebe9") > 1000  # the FAILED banner's background
