"""What the Knex, Sequelize and TypeORM differentials share: the pinned packages installed
from npm into pgfence's cache, a throwaway PostgreSQL, the recording script run with node
over the corpus's migration files, and the expected SQL written with a summary.

Each tool gives its RUN script (it reads the connection, the migrations folder and the
file names from argv, and prints one JSON line: name -> {sql, error}); lines printed
before it are the library's own chatter, passed on to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgfence.dryrun.servers.local import cache_dir  # noqa: E402
from tools.django_differential import _server  # noqa: E402


def npm_install(folder: str, packages: Sequence[str], marker: str) -> Path:
    """`packages` (name@version) in the cache's differential/`folder`, unless `marker` (a
    package of them) is there already."""
    target = cache_dir() / "differential" / folder
    if not (target / "node_modules" / marker).is_dir():
        target.mkdir(parents=True, exist_ok=True)
        (target / "package.json").write_text('{"name": "pgfence-differential", "private": true}')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *packages],
            cwd=target,
            check=True,
        )
    return target


def record(
    modules: Path,
    script: str,
    write_cases: Callable[[Path], list[str]],
    *,
    label: str,
    user_key: str = "user",
) -> dict[str, dict[str, object]] | None:
    """Run `script` with node beside `modules` over the corpus on a throwaway server: what
    the library sent per migration, or None (its error printed) when node failed."""
    from psycopg.conninfo import conninfo_to_dict

    with tempfile.TemporaryDirectory() as tmp, _server() as server:
        root = Path(tmp)
        names = write_cases(root)
        runner = modules / "run.js"  # beside node_modules, so require() finds the library
        runner.write_text(script)
        params = conninfo_to_dict(server.dsn())
        config = {
            "database": params.get("dbname", "postgres"),
            user_key: params.get("user", "postgres"),
            "password": params.get("password", ""),
            "host": params.get("host", "localhost"),
            "port": int(params.get("port", 5432)),
        }
        result = subprocess.run(
            ["node", str(runner), json.dumps(config), str(root / "migrations"), json.dumps(names)],
            capture_output=True,
            text=True,
            cwd=modules,
            # migrations in the temporary folder `require()` the library too
            env={**os.environ, "NODE_PATH": str(modules / "node_modules")},
        )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return None
    *chatter, last = result.stdout.strip().splitlines() or [""]
    for line in chatter:  # the library's own warnings (deprecated calls)
        print(f"  {label}: {line}", file=sys.stderr)
    recorded: dict[str, dict[str, object]] = json.loads(last)
    return recorded


def write_expected(
    expected: Path, versions: Mapping[str, str], recorded: dict[str, dict[str, object]]
) -> int:
    """The expected SQL with the pinned versions; a line per migration the server refused."""
    expected.write_text(json.dumps({**versions, "migrations": recorded}, indent=1) + "\n")
    failed = [n for n, e in recorded.items() if e["error"]]
    print(
        f"{len(recorded)} migrations ({len(failed)} failed on the server): {expected.relative_to(ROOT)}"
    )
    for name in failed:
        print(f"  {name}: {str(recorded[name]['error'])[:200]}")
    return 0
