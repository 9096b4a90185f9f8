"""Dev check: our Knex and Sequelize translations against the real libraries' SQL.

Installs knex and sequelize from the npm registry into a temporary directory (skipped where
node or npm is absent, or the install fails, e.g. offline), runs each fixture migration's
`up` there with the database calls recorded instead of sent, and compares that SQL with
what pgfence extracted from the same file without running it.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pgfence.sources import load_migrations

FIXTURES = Path(__file__).parent / "fixtures"

RECORDER = r"""
const path = require('path');
const [kind, file] = process.argv.slice(2);
const sqls = [];
async function main() {
  const migration = require(path.resolve(file));
  if (kind === 'knex') {
    const knex = require('knex')({ client: 'pg' });
    knex.client.acquireConnection = async () => ({});
    knex.client.releaseConnection = async () => {};
    knex.client._query = async (connection, obj) => { sqls.push(obj.sql); return { rows: [] }; };
    knex.client.processResponse = () => [];
    await migration.up(knex);
  } else {
    const { Sequelize } = require('sequelize');
    const sequelize = new Sequelize('postgres://user:pass@localhost:5432/db', { logging: false });
    sequelize.query = async (sql) => { sqls.push(typeof sql === 'string' ? sql : sql.query); return [[], 0]; };
    sequelize.transaction = async (callback) => callback({});
    await migration.up(sequelize.getQueryInterface(), Sequelize);
  }
}
main().then(() => console.log(JSON.stringify(sqls)), (e) => { console.error(e.stack); process.exit(1); });
"""


@pytest.fixture(scope="module")
def npm_dir(tmp_path_factory):
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed to install knex and sequelize")
    directory = tmp_path_factory.mktemp("npm")
    (directory / "package.json").write_text('{"name": "pgfence-check", "private": true}')
    try:
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "knex@3",
                "sequelize@6",
                "pg@8",
            ],
            cwd=directory,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"npm install failed: {exc}")
    (directory / "record.js").write_text(RECORDER)
    return directory


def recorded(npm_dir, kind, path):
    copy = npm_dir / Path(path).name  # next to node_modules, so require() finds the libraries
    shutil.copy(path, copy)
    result = subprocess.run(
        ["node", "record.js", kind, copy.name],
        cwd=npm_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    statements = []
    for sql in json.loads(result.stdout):
        statements += [" ".join(part.split()) for part in sql.split(";") if part.strip()]
    return statements


@pytest.mark.npm
@pytest.mark.registry
@pytest.mark.parametrize("kind", ["knex", "sequelize"])
def test_translation_matches_the_real_library(npm_dir, kind):
    compared = 0
    for migration in load_migrations([str(FIXTURES / kind)]):
        if any(f.rule == "unanalysable" for f in migration.findings):
            continue  # the library would run what pgfence reports it could not read
        ours = [" ".join(s.sql.split()) for s in migration.statements]
        assert ours == recorded(npm_dir, kind, migration.path), migration.path
        compared += 1
    assert compared >= 2
