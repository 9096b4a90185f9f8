"""What TypeORM really sends for each file of the differential corpus (tests/sources/differential).

    python tools/typeorm_differential.py          # `make differential`

Installs the pinned typeorm and pg from the npm registry into the user cache (once), writes
the corpus as compiled TypeORM migrations in a temporary directory, and runs each file's
`up(queryRunner)` with TypeORM's own PostgresQueryRunner against a real PostgreSQL (a
server with contrib), in order, recording every query the query runner sends (a logger's
`logQuery`, parameters written in as SQL literals). Stored per file in
tests/sources/differential/typeorm_expected.json; nothing here runs in the suite.
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
from tests.sources.differential import typeorm_cases  # noqa: E402
from tools.django_differential import _server  # noqa: E402

TYPEORM = "0.3.28"
PG = "8.16.3"
REFLECT_METADATA = "0.2.2"
EXPECTED = ROOT / "tests" / "sources" / "differential" / "typeorm_expected.json"

RUN = r"""
require('reflect-metadata');
const path = require('path');
const { DataSource } = require('typeorm');
const [configJson, folder, namesJson] = process.argv.slice(2);
let current = null;
function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return "'" + String(value).replace(/'/g, "''") + "'";
}
const logger = {
  logQuery(query, parameters) {
    // The SQL as the server gets it: $n placeholders with the parameters written in.
    const values = parameters || [];
    if (current) current.push(query.replace(/\$(\d+)/g, (m, i) => literal(values[i - 1])));
  },
  logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {},
};
async function main() {
  const source = new DataSource({ type: 'postgres', ...JSON.parse(configJson), logging: true, logger });
  await source.initialize();
  {
    // As `migration:run` does first: the table where TypeORM keeps views and generated columns.
    const runner = source.createQueryRunner();
    await source.driver.createSchemaBuilder().createTypeormMetadataTable(runner);
    await runner.release();
  }
  const out = {};
  for (const name of JSON.parse(namesJson)) {
    const runner = source.createQueryRunner();
    current = [];
    const entry = { sql: current, error: null };
    out[name] = entry;
    try {
      const module = require(path.join(folder, name));
      const Migration = Object.values(module)[0];
      await new Migration().up(runner);
    } catch (e) {
      entry.error = String(e && e.message || e);
    }
    current = null;
    await runner.release();
  }
  await source.destroy();
  return out;
}
main().then((out) => console.log(JSON.stringify(out)), (e) => { console.error(e.stack); process.exit(1); });
"""


def install() -> Path:
    target = cache_dir() / "differential" / f"typeorm-{TYPEORM}"
    if not (target / "node_modules" / "reflect-metadata").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        (target / "package.json").write_text('{"name": "pgfence-differential", "private": true}')
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                f"typeorm@{TYPEORM}",
                f"pg@{PG}",
                f"reflect-metadata@{REFLECT_METADATA}",
            ],
            cwd=target,
            check=True,
        )
    return target


def main() -> int:
    from psycopg.conninfo import conninfo_to_dict

    modules = install()
    with tempfile.TemporaryDirectory() as tmp, _server() as server:
        root = Path(tmp)
        names = typeorm_cases.write(root)
        script = modules / "run.js"
        script.write_text(RUN)
        params = conninfo_to_dict(server.dsn())
        config = {
            "database": params.get("dbname", "postgres"),
            "username": params.get("user", "postgres"),
            "password": params.get("password", ""),
            "host": params.get("host", "localhost"),
            "port": int(params.get("port", 5432)),
        }
        result = subprocess.run(
            ["node", str(script), json.dumps(config), str(root / "migrations"), json.dumps(names)],
            capture_output=True,
            text=True,
            cwd=modules,
            # the migrations `require("typeorm")` from the temporary folder
            env={**os.environ, "NODE_PATH": str(modules / "node_modules")},
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        *chatter, last = result.stdout.strip().splitlines() or [""]
        for line in chatter:
            print(f"  typeorm: {line}", file=sys.stderr)
        recorded = json.loads(last)
    EXPECTED.write_text(
        json.dumps({"typeorm": TYPEORM, "pg": PG, "migrations": recorded}, indent=1) + "\n"
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
