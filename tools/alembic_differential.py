"""What Alembic really emits for each revision of the differential corpus (tests/sources/differential).

    python tools/alembic_differential.py          # `make differential`

Installs the pinned Alembic and SQLAlchemy from PyPI into the user cache (once), writes the
corpus as an Alembic `versions/` folder in a temporary project whose env.py runs offline
(the PostgreSQL dialect, literal binds: what `alembic upgrade --sql` prints), and renders
each revision alone (`upgrade PREV:REV --sql`). Stored per revision, with the versions, in
tests/sources/differential/alembic_expected.json; nothing here runs in the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgfence.dryrun.servers.local import cache_dir  # noqa: E402
from tests.sources.differential import alembic_cases  # noqa: E402

ALEMBIC = "1.18.4"
SQLALCHEMY = "2.0.46"
ALEMBIC_UTILS = "0.8.8"  # op.create_entity / replace_entity / drop_entity
EXPECTED = ROOT / "tests" / "sources" / "differential" / "alembic_expected.json"

ENV = """
from alembic import context

context.configure(
    url="postgresql://",
    literal_binds=True,
    dialect_opts={"paramstyle": "named"},
    target_metadata=None,
)
with context.begin_transaction():
    context.run_migrations()
"""

RENDER = """
import io, json, sys
from alembic import command
from alembic.config import Config

root, revisions = sys.argv[1], json.loads(sys.argv[2])
out = {}
previous = "base"
for revision in revisions:
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", root)
    try:
        command.upgrade(config, f"{previous}:{revision}", sql=True)
        out[revision] = {"sql": buffer.getvalue(), "error": None}
    except Exception as e:
        out[revision] = {"sql": buffer.getvalue(), "error": f"{type(e).__name__}: {e}"}
    previous = revision
print(json.dumps(out))
"""


def install() -> Path:
    target = (
        cache_dir()
        / "differential"
        / f"alembic-{ALEMBIC}-sqlalchemy-{SQLALCHEMY}-alembic_utils-{ALEMBIC_UTILS}"
    )
    if not (target / "alembic_utils").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                f"alembic=={ALEMBIC}",
                f"sqlalchemy=={SQLALCHEMY}",
                f"alembic_utils=={ALEMBIC_UTILS}",
            ],
            check=True,
        )
    return target


def main() -> int:
    site = install()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        revisions = alembic_cases.write(root)
        (root / "env.py").write_text(ENV)
        (root / "script.py.mako").write_text("")
        result = subprocess.run(
            [sys.executable, "-c", RENDER, str(root), json.dumps(revisions)],
            env={**os.environ, "PYTHONPATH": str(site)},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        rendered = json.loads(result.stdout)
    EXPECTED.write_text(
        json.dumps(
            {
                "alembic": ALEMBIC,
                "sqlalchemy": SQLALCHEMY,
                "alembic_utils": ALEMBIC_UTILS,
                "revisions": rendered,
            },
            indent=1,
        )
        + "\n"
    )
    failed = [r for r, e in rendered.items() if e["error"]]
    print(f"{len(rendered)} revisions ({len(failed)} failed): {EXPECTED.relative_to(ROOT)}")
    for revision in failed:
        print(f"  {revision}: {rendered[revision]['error'][:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
