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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sources.differential import typeorm_cases  # noqa: E402
from tools.node_differential import npm_install, record, write_expected  # noqa: E402

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
    return npm_install(
        f"typeorm-{TYPEORM}",
        [f"typeorm@{TYPEORM}", f"pg@{PG}", f"reflect-metadata@{REFLECT_METADATA}"],
        "reflect-metadata",
    )


def main() -> int:
    recorded = record(install(), RUN, typeorm_cases.write, label="typeorm", user_key="username")
    if recorded is None:
        return 1
    return write_expected(EXPECTED, {"typeorm": TYPEORM, "pg": PG}, recorded)


if __name__ == "__main__":
    sys.exit(main())
