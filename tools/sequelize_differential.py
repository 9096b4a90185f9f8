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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sources.differential import sequelize_cases  # noqa: E402
from tools.node_differential import npm_install, record, write_expected  # noqa: E402

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
    return npm_install(
        f"sequelize-{SEQUELIZE}",
        [f"sequelize@{SEQUELIZE}", f"pg@{PG}", f"pg-hstore@{PG_HSTORE}"],
        "pg-hstore",
    )


def main() -> int:
    recorded = record(install(), RUN, sequelize_cases.write, label="sequelize", user_key="user")
    if recorded is None:
        return 1
    return write_expected(EXPECTED, {"sequelize": SEQUELIZE, "pg": PG}, recorded)


if __name__ == "__main__":
    sys.exit(main())
