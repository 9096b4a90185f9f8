"""What knex really sends for each file of the differential corpus (tests/sources/differential).

    python tools/knex_differential.py          # `make differential`

Installs the pinned knex and pg from the npm registry into the user cache (once), writes the
corpus as a knex `migrations/` folder in a temporary directory, and runs each file's
`up(knex)` with knex itself against a real PostgreSQL, in order, recording every query
knex sends (its `query` event, bindings written in as knex's own `toQuery()` does).
Stored per file in tests/sources/differential/knex_expected.json; nothing here runs in the
suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgfence.dryrun.servers.local import cache_dir  # noqa: E402
from tests.sources.differential import knex_cases  # noqa: E402
from tools.django_differential import _server  # noqa: E402

KNEX = "3.1.0"
PG = "8.16.3"
EXPECTED = ROOT / "tests" / "sources" / "differential" / "knex_expected.json"

RUN = r"""
const path = require('path');
const [configJson, folder, namesJson] = process.argv.slice(2);
const knex = require('knex')({ client: 'pg', connection: JSON.parse(configJson) });
let current = null;
knex.on('query', (q) => {
  // The SQL as the server gets it: pg's $n placeholders with knex's own escaping of values;
  // a plain object is sent as its JSON text, as node-postgres's prepareValue sends it.
  const bindings = (q.bindings || []).map((v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v)
      ? JSON.stringify(v) : v);
  if (current) current.push(q.sql.replace(/\$(\d+)/g, (m, i) => knex.client._escapeBinding(bindings[i - 1])));
});
async function main() {
  const out = {};
  for (const name of JSON.parse(namesJson)) {
    current = [];
    const entry = { sql: current, error: null };
    out[name] = entry;
    try {
      await require(path.join(folder, name)).up(knex);
    } catch (e) {
      entry.error = String(e && e.message || e);
    }
    current = null;
  }
  await knex.destroy();
  return out;
}
main().then((out) => console.log(JSON.stringify(out)), (e) => { console.error(e.stack); process.exit(1); });
"""


def install() -> Path:
    target = cache_dir() / "differential" / f"knex-{KNEX}"
    if not (target / "node_modules" / "knex").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        (target / "package.json").write_text('{"name": "pgfence-differential", "private": true}')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", f"knex@{KNEX}", f"pg@{PG}"],
            cwd=target,
            check=True,
        )
    return target


def main() -> int:
    from psycopg.conninfo import conninfo_to_dict

    modules = install()
    with tempfile.TemporaryDirectory() as tmp, _server() as server:
        root = Path(tmp)
        names = knex_cases.write(root)
        script = modules / "run.js"
        script.write_text(RUN)
        params = conninfo_to_dict(server.dsn())
        config = {
            "database": params.get("dbname", "postgres"),
            "user": params.get("user", "postgres"),
            "password": params.get("password", ""),
            "host": params.get("host", "localhost"),
            "port": int(params.get("port", 5432)),
        }
        result = subprocess.run(
            ["node", str(script), json.dumps(config), str(root / "migrations"), json.dumps(names)],
            capture_output=True,
            text=True,
            cwd=modules,
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        *chatter, last = result.stdout.strip().splitlines() or [""]
        for line in chatter:  # knex's own warnings (deprecated calls)
            print(f"  knex: {line}", file=sys.stderr)
        recorded = json.loads(last)
    EXPECTED.write_text(
        json.dumps({"knex": KNEX, "pg": PG, "migrations": recorded}, indent=1) + "\n"
    )
    failed = [n for n, e in recorded.items() if e["error"]]
    print(
        f"{len(recorded)} migrations ({len(failed)} failed on the server): {EXPECTED.relative_to(ROOT)}"
    )
    for name in failed:
        print(f"  {name}: {recorded[name]['error'][:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
