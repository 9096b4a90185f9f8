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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sources.differential import knex_cases  # noqa: E402
from tools.node_differential import npm_install, record, write_expected  # noqa: E402

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
    return npm_install(f"knex-{KNEX}", [f"knex@{KNEX}", f"pg@{PG}"], "knex")


def main() -> int:
    recorded = record(install(), RUN, knex_cases.write, label="knex", user_key="user")
    if recorded is None:
        return 1
    return write_expected(EXPECTED, {"knex": KNEX, "pg": PG}, recorded)


if __name__ == "__main__":
    sys.exit(main())
