"""What Sequelize really sends for each file of the differential corpus (tests/sources/differential).

    python tools/sequelize_differential.py          # `make differential`

Installs the pinned sequelize and pg from the npm registry into the user cache (once), writes
the corpus as a sequelize-cli `migrations/` folder in a temporary directory, and runs each
file's `up(queryInterface, Sequelize)` with Sequelize itself against a real PostgreSQL (a
server with contrib: the corpus creates hstore), in umzug's order, logging every query
Sequelize sends. Stored per file, with the versions, in
tests/sources/differential/sequelize_expected.json; nothing here runs in the suite.
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
from tests.sources.differential import sequelize_cases  # noqa: E402
from tools.django_differential import _server  # noqa: E402

SEQUELIZE = "6.37.8"
PG = "8.16.3"
PG_HSTORE = "2.3.4"  # Sequelize requires it for HSTORE columns
EXPECTED = ROOT / "tests" / "sources" / "differential" / "sequelize_expected.json"

RUN = r"""
const path = require('path');
const { Sequelize } = require('sequelize');
const [configJson, folder, namesJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
let current = null;
const sequelize = new Sequelize(config.database, config.user, config.password, {
  dialect: 'postgres',
  host: config.host,
  port: config.port,
  // Bound parameters ($1 …, bulkUpdate's) written in as Sequelize escapes them.
  logging: (line, options) => {
    if (!current) return;
    let sql = line.replace(/^Executing \([^)]*\): /, '');
    const bind = options && options.bind;
    if (Array.isArray(bind)) sql = sql.replace(/\$(\d+)/g, (m, i) => sequelize.escape(bind[i - 1]));
    current.push(sql);
  },
});
async function main() {
  const out = {};
  for (const name of JSON.parse(namesJson)) {
    current = [];
    const entry = { sql: current, error: null };
    out[name] = entry;
    try {
      const migration = require(path.join(folder, name));
      await migration.up(sequelize.getQueryInterface(), Sequelize);
    } catch (e) {
      entry.error = String(e && e.message || e);
    }
    current = null;
  }
  await sequelize.close();
  return out;
}
main().then((out) => console.log(JSON.stringify(out)), (e) => { console.error(e.stack); process.exit(1); });
"""


def install() -> Path:
    target = cache_dir() / "differential" / f"sequelize-{SEQUELIZE}"
    if not (target / "node_modules" / "pg-hstore").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        (target / "package.json").write_text('{"name": "pgfence-differential", "private": true}')
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                f"sequelize@{SEQUELIZE}",
                f"pg@{PG}",
                f"pg-hstore@{PG_HSTORE}",
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
        names = sequelize_cases.write(root)
        script = modules / "run.js"  # beside node_modules, so require() finds sequelize
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
        recorded = json.loads(result.stdout)
    EXPECTED.write_text(
        json.dumps({"sequelize": SEQUELIZE, "pg": PG, "migrations": recorded}, indent=1) + "\n"
    )
    failed = [n for n, e in recorded.items() if e["error"]]
    print(
        f"{len(recorded)} migrations ({len(failed)} failed on the server): {EXPECTED.relative_to(ROOT)}"
    )
    for name in failed:
        print(f"  {name}: {recorded[name]['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
