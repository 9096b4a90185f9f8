"""The Sequelize differential corpus: migration calls written by us, one migration file each.

`write(root)` lays them out as a sequelize-cli `migrations/` folder, named so that umzug's
order (file names as strings) is the corpus's order; each call sees the tables the earlier
ones made. tools/sequelize_differential.py runs them with the pinned Sequelize against a
real PostgreSQL and stores, per file, the SQL Sequelize logged (sequelize_expected.json);
the test compares pgfence's static reading of the same files with it.
"""

from __future__ import annotations

from pathlib import Path

# (name, the body of `async up(queryInterface, Sequelize)`)
CASES: list[tuple[str, str]] = []


def case(name: str, body: str) -> None:
    CASES.append((name, body.strip()))


def column(name: str, definition: str) -> None:
    case(f"add-{name}", f"await queryInterface.addColumn('people', {name!r}, {definition});")


# ---- tables -------------------------------------------------------------------------------
case(
    "extensions",
    """
await queryInterface.sequelize.query('CREATE EXTENSION IF NOT EXISTS citext');
await queryInterface.sequelize.query('CREATE EXTENSION IF NOT EXISTS hstore');""",
)
case(
    "create-teams",
    """
await queryInterface.createTable('teams', {
  id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
  name: { type: Sequelize.STRING, allowNull: false, unique: true },
  createdAt: { type: Sequelize.DATE, allowNull: false },
  updatedAt: { type: Sequelize.DATE, allowNull: false },
});""",
)
case(
    "create-people",
    """
await queryInterface.createTable('people', {
  id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
  email: { type: Sequelize.STRING(120), allowNull: false },
  teamId: {
    type: Sequelize.INTEGER,
    references: { model: 'teams', key: 'id' },
    onUpdate: 'CASCADE',
    onDelete: 'SET NULL',
  },
  createdAt: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
});""",
)
case(
    "create-every-type",
    """
await queryInterface.createTable('samples', {
  id: { type: Sequelize.UUID, primaryKey: true, defaultValue: Sequelize.UUIDV4 },
  s: Sequelize.STRING,
  s50: Sequelize.STRING(50),
  c: Sequelize.CHAR(2),
  t: Sequelize.TEXT,
  ci: Sequelize.CITEXT,
  i: Sequelize.INTEGER,
  b: Sequelize.BIGINT,
  sm: Sequelize.SMALLINT,
  f: Sequelize.FLOAT,
  r: Sequelize.REAL,
  d: Sequelize.DOUBLE,
  dec: Sequelize.DECIMAL(10, 2),
  bool: Sequelize.BOOLEAN,
  at: Sequelize.DATE,
  day: Sequelize.DATEONLY,
  tm: Sequelize.TIME,
  j: Sequelize.JSON,
  jb: Sequelize.JSONB,
  blob: Sequelize.BLOB,
  ints: Sequelize.ARRAY(Sequelize.INTEGER),
  words: Sequelize.ARRAY(Sequelize.TEXT),
  ip: Sequelize.INET,
  net: Sequelize.CIDR,
  mac: Sequelize.MACADDR,
  doc: Sequelize.TSVECTOR,
  span: Sequelize.RANGE(Sequelize.DATE),
  nums: Sequelize.RANGE(Sequelize.INTEGER),
});""",
)
case(
    "create-with-enum",
    """
await queryInterface.createTable('tickets', {
  id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
  state: { type: Sequelize.ENUM('open', 'closed'), allowNull: false, defaultValue: 'open' },
});""",
)
case(
    "create-composite-pk",
    """
await queryInterface.createTable('memberships', {
  personId: { type: Sequelize.BIGINT, primaryKey: true, references: { model: 'people', key: 'id' } },
  teamId: { type: Sequelize.INTEGER, primaryKey: true, references: { model: 'teams', key: 'id' }, onDelete: 'CASCADE' },
  role: { type: Sequelize.STRING(20), allowNull: false, defaultValue: 'member' },
});""",
)
case(
    "create-in-schema",
    """
await queryInterface.createTable({ tableName: 'audit', schema: 'public' }, {
  id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
  note: { type: Sequelize.TEXT, comment: 'free text' },
});""",
)
case(
    "create-with-unique-name",
    """
await queryInterface.createTable('handles', {
  id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
  handle: { type: Sequelize.STRING, unique: 'handles_handle_unique' },
});""",
)

# ---- columns ------------------------------------------------------------------------------
column("nick", "Sequelize.STRING")
column("bio", "{ type: Sequelize.TEXT, allowNull: true }")
column("age", "{ type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 }")
column("score", "{ type: Sequelize.FLOAT }")
column("ratio", "{ type: Sequelize.DOUBLE, defaultValue: 0.5 }")
column("balance", "{ type: Sequelize.DECIMAL(12, 2), allowNull: false, defaultValue: 0 }")
column("active", "{ type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true }")
column("born", "{ type: Sequelize.DATEONLY }")
column("seenAt", "{ type: Sequelize.DATE, defaultValue: Sequelize.NOW }")
column("loginAt", "{ type: Sequelize.DATE, defaultValue: Sequelize.fn('now') }")
column("stamp", "{ type: Sequelize.DATE, defaultValue: Sequelize.literal('CURRENT_TIMESTAMP') }")
column("token", "{ type: Sequelize.UUID, defaultValue: Sequelize.UUIDV4 }")
column("ref", "{ type: Sequelize.UUID, allowNull: true }")
column("prefs", "{ type: Sequelize.JSONB, allowNull: false, defaultValue: {} }")
column("raw", "{ type: Sequelize.JSON }")
column("tags", "{ type: Sequelize.ARRAY(Sequelize.STRING), defaultValue: [] }")
column("ids", "{ type: Sequelize.ARRAY(Sequelize.UUID), allowNull: false, defaultValue: [] }")
column("avatar", "{ type: Sequelize.BLOB }")
column("code", "{ type: Sequelize.CHAR(3) }")
column("handle", "{ type: Sequelize.STRING(40), unique: true }")
column("mood", "{ type: Sequelize.ENUM('happy', 'sad'), allowNull: true }")
column("level", "{ type: Sequelize.ENUM('low', 'high'), allowNull: false, defaultValue: 'low' }")
column("bigNumber", "{ type: Sequelize.BIGINT }")
column("small", "{ type: Sequelize.SMALLINT, defaultValue: 1 }")
column("lunch", "{ type: Sequelize.TIME }")
column("ip", "{ type: Sequelize.INET }")
column("period", "{ type: Sequelize.RANGE(Sequelize.DATE) }")
column("search", "{ type: Sequelize.TSVECTOR }")
column(
    "mentorId",
    "{ type: Sequelize.BIGINT, references: { model: 'people', key: 'id' }, onDelete: 'SET NULL' }",
)
column(
    "squadId",
    "{ type: Sequelize.INTEGER, allowNull: true, references: { model: { tableName: 'teams' }, key: 'id' }, onUpdate: 'CASCADE', onDelete: 'CASCADE' }",
)
column("note", "{ type: Sequelize.STRING, comment: 'what the editor says' }")
column("email2", "{ type: Sequelize.CITEXT }")
column("serialNo", "{ type: Sequelize.INTEGER, autoIncrement: true }")
column("quote", '{ type: Sequelize.TEXT, defaultValue: "it\'s" }')
case(
    "add-in-transaction",
    """
await queryInterface.sequelize.transaction(async (transaction) => {
  await queryInterface.addColumn('people', 'city', { type: Sequelize.STRING }, { transaction });
  await queryInterface.addColumn('people', 'zip', { type: Sequelize.STRING(10) }, { transaction });
});""",
)
case(
    "add-two-columns",
    """
await Promise.all([
  queryInterface.addColumn('teams', 'color', { type: Sequelize.STRING(7) }),
  queryInterface.addColumn('teams', 'motto', { type: Sequelize.TEXT }),
]);""",
)
case("remove-column", "await queryInterface.removeColumn('people', 'raw');")
case("remove-column-2", "await queryInterface.removeColumn('teams', 'motto');")
case("rename-column", "await queryInterface.renameColumn('people', 'nick', 'nickname');")
case("rename-column-2", "await queryInterface.renameColumn('teams', 'color', 'colour');")

# ---- changeColumn ------------------------------------------------------------------------
case(
    "change-type",
    "await queryInterface.changeColumn('people', 'nickname', { type: Sequelize.STRING(80) });",
)
case(
    "change-to-text",
    "await queryInterface.changeColumn('people', 'nickname', { type: Sequelize.TEXT });",
)
case(
    "change-not-null",
    "await queryInterface.changeColumn('people', 'email', { type: Sequelize.STRING(120), allowNull: false });",
)
case(
    "change-null",
    "await queryInterface.changeColumn('people', 'age', { type: Sequelize.INTEGER, allowNull: true });",
)
case(
    "change-default",
    "await queryInterface.changeColumn('people', 'age', { type: Sequelize.INTEGER, defaultValue: 18 });",
)
case(
    "change-bigint",
    "await queryInterface.changeColumn('people', 'age', { type: Sequelize.BIGINT, allowNull: false, defaultValue: 0 });",
)
case(
    "change-bool-default",
    "await queryInterface.changeColumn('people', 'active', { type: Sequelize.BOOLEAN, defaultValue: false });",
)
case(
    "change-date-now",
    "await queryInterface.changeColumn('people', 'seenAt', { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') });",
)
case(
    "change-decimal",
    "await queryInterface.changeColumn('people', 'balance', { type: Sequelize.DECIMAL(14, 4) });",
)
case(
    "change-uuid",
    "await queryInterface.changeColumn('people', 'ref', { type: Sequelize.UUID, allowNull: false, defaultValue: Sequelize.UUIDV4 });",
)
case(
    "change-jsonb",
    "await queryInterface.changeColumn('people', 'prefs', { type: Sequelize.JSONB, allowNull: true });",
)
case(
    "change-ref",
    "await queryInterface.changeColumn('people', 'mentorId', { type: Sequelize.BIGINT, references: { model: 'people', key: 'id' }, onDelete: 'CASCADE' });",
)
case("change-short", "await queryInterface.changeColumn('people', 'code', Sequelize.STRING(5));")
case(
    "change-enum",
    "await queryInterface.changeColumn('people', 'mood', { type: Sequelize.ENUM('happy', 'sad', 'calm') });",
)
case(
    "change-comment",
    "await queryInterface.changeColumn('people', 'note', { type: Sequelize.STRING, comment: 'changed' });",
)

# ---- indexes ------------------------------------------------------------------------------
case("index-fields", "await queryInterface.addIndex('people', ['teamId']);")
case("index-two-fields", "await queryInterface.addIndex('people', ['email', 'teamId']);")
case(
    "index-named", "await queryInterface.addIndex('people', ['born'], { name: 'people_born_idx' });"
)
case(
    "index-unique",
    "await queryInterface.addIndex('people', ['handle'], { unique: true, name: 'people_handle_uq' });",
)
case(
    "index-unique-default-name",
    "await queryInterface.addIndex('teams', ['colour'], { unique: true });",
)
case(
    "index-options-object",
    "await queryInterface.addIndex('people', { fields: ['score'], name: 'people_score' });",
)
case(
    "index-concurrently",
    "await queryInterface.addIndex('people', ['age'], { concurrently: true, name: 'people_age_c' });",
)
case(
    "index-gin",
    "await queryInterface.addIndex('people', ['prefs'], { using: 'gin', name: 'people_prefs_gin' });",
)
case("index-btree", "await queryInterface.addIndex('people', ['loginAt'], { using: 'BTREE' });")
case(
    "index-desc",
    "await queryInterface.addIndex('people', [{ name: 'seenAt', order: 'DESC' }], { name: 'people_seen_desc' });",
)
case(
    "index-where-null",
    "await queryInterface.addIndex('people', ['email'], { name: 'people_live_email', where: { ref: null } });",
)
case(
    "index-where-value",
    "await queryInterface.addIndex('people', ['email'], { name: 'people_active_email', where: { active: true } });",
)
case(
    "index-where-op-is",
    "await queryInterface.addIndex('people', ['bio'], { name: 'people_bio_nn', where: { bio: { [Sequelize.Op.ne]: null } } });",
)
case(
    "index-type-unique",
    "await queryInterface.addIndex('people', ['zip'], { type: 'UNIQUE', name: 'people_zip_uq' });",
)
case(
    "index-operator",
    "await queryInterface.addIndex('people', [{ name: 'nickname', operator: 'text_pattern_ops' }], { name: 'people_nick_ops' });",
)
case("index-camel-default", "await queryInterface.addIndex('people', ['mentorId', 'createdAt']);")
case(
    "index-fields-string",
    "await queryInterface.addIndex('people', { fields: ['city'], unique: false });",
)
case("remove-index-name", "await queryInterface.removeIndex('people', 'people_born_idx');")
case("remove-index-fields", "await queryInterface.removeIndex('people', ['teamId']);")
case(
    "remove-index-concurrently",
    "await queryInterface.removeIndex('people', 'people_age_c', { concurrently: true });",
)

# ---- constraints --------------------------------------------------------------------------
case(
    "constraint-unique",
    "await queryInterface.addConstraint('people', { fields: ['email'], type: 'unique', name: 'people_email_uk' });",
)
case(
    "constraint-unique-default",
    "await queryInterface.addConstraint('teams', { fields: ['name', 'colour'], type: 'unique' });",
)
case(
    "constraint-check",
    "await queryInterface.addConstraint('people', { fields: ['age'], type: 'check', where: { age: { [Sequelize.Op.gte]: 0 } }, name: 'people_age_ck' });",
)
case(
    "constraint-fk",
    """
await queryInterface.addConstraint('memberships', {
  fields: ['personId'],
  type: 'foreign key',
  name: 'memberships_person_fk',
  references: { table: 'people', field: 'id' },
  onDelete: 'cascade',
  onUpdate: 'cascade',
});""",
)
case(
    "constraint-fk-default",
    "await queryInterface.addConstraint('people', { fields: ['squadId'], type: 'foreign key', references: { table: 'teams', field: 'id' } });",
)
case(
    "constraint-pk",
    "await queryInterface.addConstraint('handles', { fields: ['handle'], type: 'unique', name: 'handles_handle_key2' });",
)
case("remove-constraint", "await queryInterface.removeConstraint('people', 'people_email_uk');")
case("remove-constraint-2", "await queryInterface.removeConstraint('people', 'people_age_ck');")

# ---- tables again -------------------------------------------------------------------------
case("rename-table", "await queryInterface.renameTable('handles', 'aliases');")
case("drop-table", "await queryInterface.dropTable('aliases');")
case(
    "create-then-drop",
    """
await queryInterface.createTable('scratch', { id: { type: Sequelize.INTEGER, primaryKey: true } });
await queryInterface.dropTable('scratch');""",
)
case(
    "create-timestamps",
    """
await queryInterface.createTable('events', {
  id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },
  kind: { type: Sequelize.STRING(30), allowNull: false },
  payload: { type: Sequelize.JSONB, allowNull: false, defaultValue: {} },
  personId: { type: Sequelize.BIGINT, allowNull: false, references: { model: 'people', key: 'id' }, onDelete: 'CASCADE' },
  createdAt: { allowNull: false, type: Sequelize.DATE },
  updatedAt: { allowNull: false, type: Sequelize.DATE },
});
await queryInterface.addIndex('events', ['personId', 'createdAt']);""",
)

# ---- raw queries --------------------------------------------------------------------------
case(
    "query-plain",
    "await queryInterface.sequelize.query('UPDATE people SET age = 0 WHERE age IS NULL');",
)
case(
    "query-template",
    "await queryInterface.sequelize.query(`ALTER TABLE people ADD COLUMN raw_note text`);",
)
case(
    "query-two-statements",
    "await queryInterface.sequelize.query('ALTER TABLE people DROP COLUMN raw_note; ALTER TABLE people ADD COLUMN raw2 int;');",
)
case(
    "query-replacements",
    "await queryInterface.sequelize.query('UPDATE people SET nickname = ? WHERE email = ?', { replacements: ['x', 'a@b.c'] });",
)
case(
    "query-named-replacements",
    "await queryInterface.sequelize.query('UPDATE people SET nickname = :nick WHERE id = :id', { replacements: { nick: 'y', id: 1 } });",
)
case(
    "query-result-assigned",
    "const [rows] = await queryInterface.sequelize.query('SELECT id FROM people');",
)
case(
    "query-meta-assigned",
    "const meta = await queryInterface.sequelize.query('CREATE INDEX people_raw2 ON people (raw2)');",
)
case(
    "query-in-transaction",
    """
await queryInterface.sequelize.transaction(async (t) => {
  await queryInterface.sequelize.query('UPDATE people SET age = 1 WHERE age = 0', { transaction: t });
  await queryInterface.addColumn('people', 'flag', Sequelize.BOOLEAN, { transaction: t });
});""",
)
case(
    "query-create-extension",
    "await queryInterface.sequelize.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');",
)
case(
    "query-concurrently",
    "await queryInterface.sequelize.query('CREATE INDEX CONCURRENTLY people_raw2_c ON people (raw2)');",
)
case(
    "query-function",
    """
await queryInterface.sequelize.query(`
  CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
  BEGIN NEW."updatedAt" = now(); RETURN NEW; END;
  $$ LANGUAGE plpgsql;
`);""",
)
case(
    "query-trigger",
    "await queryInterface.sequelize.query('CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION touch()');",
)

# ---- data ---------------------------------------------------------------------------------
case(
    "bulk-insert",
    "await queryInterface.bulkInsert('teams', [{ name: 'a', createdAt: new Date('2020-01-01T00:00:00Z'), updatedAt: new Date('2020-01-01T00:00:00Z') }]);",
)
case("bulk-update", "await queryInterface.bulkUpdate('teams', { colour: '#fff' }, { name: 'a' });")
case("bulk-delete", "await queryInterface.bulkDelete('teams', { name: 'a' });")
case("bulk-delete-all", "await queryInterface.bulkDelete('events', null, {});")

# ---- more column shapes (what makemigrations-like generators write) -----------------------
for n, definition in enumerate(
    [
        "Sequelize.DataTypes.STRING",
        "{ type: Sequelize.DataTypes.INTEGER, allowNull: false, defaultValue: 7 }",
        "{ type: Sequelize.STRING(255), allowNull: false, defaultValue: '' }",
        "{ type: Sequelize.TEXT('long') }",
        "{ type: Sequelize.FLOAT(8) }",
        "{ type: Sequelize.DECIMAL }",
        "{ type: Sequelize.DATE(3) }",
        "{ type: Sequelize.BOOLEAN, allowNull: true, defaultValue: null }",
        "{ type: Sequelize.INTEGER, defaultValue: -1 }",
        "{ type: Sequelize.ARRAY(Sequelize.INTEGER), allowNull: false, defaultValue: [1, 2] }",
        "{ type: Sequelize.STRING.BINARY }",
        "{ type: Sequelize.INTEGER.UNSIGNED }",
        "{ type: Sequelize.BIGINT, allowNull: false, defaultValue: 0 }",
        "{ type: Sequelize.JSONB, defaultValue: { a: 1 } }",
        "{ type: Sequelize.CHAR }",
        "{ type: Sequelize.DOUBLE(10, 2) }",
        "{ type: Sequelize.HSTORE }",
        "{ type: Sequelize.MACADDR, allowNull: false, defaultValue: '08:00:2b:01:02:03' }",
        "{ type: Sequelize.TIME, defaultValue: '12:00:00' }",
    ]
):
    column(f"extra{n}", definition)
for n, (table, fields, options) in enumerate(
    [
        ("people", "['extra0']", "{}"),
        ("people", "['extra1', 'extra2']", "{ name: 'people_extra1_2' }"),
        ("people", "['extra3']", "{ using: 'hash' }"),
        ("people", "['extra9']", "{ using: 'GIN' }"),
        ("people", "[{ name: 'extra2', order: 'ASC' }]", "{ name: 'people_extra2_asc' }"),
        ("people", "['extra12']", "{ unique: true, where: { extra7: true } }"),
        ("events", "['kind']", "{ name: 'events_kind', concurrently: true }"),
        (
            "events",
            "['payload']",
            "{ using: 'gin', operator: 'jsonb_path_ops', name: 'events_payload_path' }",
        ),
    ]
):
    case(f"index-extra{n}", f"await queryInterface.addIndex({table!r}, {fields}, {options});")
for n, sql in enumerate(
    [
        "ALTER TABLE people ALTER COLUMN extra8 SET NOT NULL",
        "ALTER TABLE people ADD CONSTRAINT people_extra8_ck CHECK (extra8 > -10) NOT VALID",
        "ALTER TABLE people VALIDATE CONSTRAINT people_extra8_ck",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS people_extra6_u ON people (extra6)",
        "DROP INDEX CONCURRENTLY IF EXISTS people_extra6_u",
        "ALTER TABLE people RENAME COLUMN extra5 TO extra5b",
        "COMMENT ON COLUMN people.extra4 IS 'a float'",
        "VACUUM ANALYZE people",
    ]
):
    case(f"query-extra{n}", f"await queryInterface.sequelize.query({sql!r});")
for n, (old, new) in enumerate(
    [("extra10", "extra10b"), ("extra11", "extra11b"), ("extra13", "extra13b")]
):
    case(f"rename-extra{n}", f"await queryInterface.renameColumn('people', {old!r}, {new!r});")
for n, name in enumerate(["extra14", "extra15", "extra17", "extra18"]):
    case(f"remove-extra{n}", f"await queryInterface.removeColumn('people', {name!r});")
for n, definition in enumerate(
    [
        "{ type: Sequelize.STRING(300) }",
        "{ type: Sequelize.INTEGER, allowNull: false }",
        "{ type: Sequelize.TEXT, allowNull: true, defaultValue: 'x' }",
    ]
):
    case(
        f"change-extra{n}",
        f"await queryInterface.changeColumn('people', 'extra{n}', {definition});",
    )


# ---- data with literal values, unmanaged transactions (outline's pattern) -------------------
case(
    "create-plans",
    """
await queryInterface.createTable('plans', {
  id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
  name: { type: Sequelize.STRING },
  price: { type: Sequelize.INTEGER },
  active: { type: Sequelize.BOOLEAN },
});""",
)
case(
    "bulk-insert-rows",
    "await queryInterface.bulkInsert('plans', [{ name: 'free', price: 0 }, { name: \"it's\", active: true, price: 10 }]);",
)
case(
    "bulk-insert-table-object",
    "await queryInterface.bulkInsert({ tableName: 'plans', schema: 'public' }, [{ name: 'pro', price: 20, active: false }]);",
)
case(
    "bulk-update-values",
    "await queryInterface.bulkUpdate('plans', { price: 5, active: null }, { name: 'free' });",
)
case(
    "bulk-update-operators",
    "await queryInterface.bulkUpdate('plans', { active: false }, { price: { [Sequelize.Op.gte]: 10 } });",
)
case(
    "bulk-delete-in",
    "await queryInterface.bulkDelete('plans', { name: ['gone', 'old'] });",
)
case(
    "unmanaged-transaction-commit",
    """
const transaction = await queryInterface.sequelize.transaction();
try {
  await queryInterface.addColumn('plans', 'note', { type: Sequelize.STRING }, { transaction });
  await queryInterface.addIndex('plans', ['note'], { name: 'plans_note', transaction });
  await transaction.commit();
} catch (err) {
  await transaction.rollback();
  throw err;
}""",
)
case(
    "unmanaged-transaction-then-autocommit",
    """
const t = await queryInterface.sequelize.transaction();
await queryInterface.bulkUpdate('plans', { note: 'x' }, { id: 1 }, { transaction: t });
await t.commit();
await queryInterface.addColumn('plans', 'later', Sequelize.INTEGER);""",
)
case(
    "default-from-env",
    "await queryInterface.addColumn('plans', 'lang', { type: Sequelize.STRING, defaultValue: process.env.PGFENCE_NO_SUCH_LANGUAGE });",
)


TEMPLATE = """'use strict';

/** @type {{import('sequelize-cli').Migration}} */
module.exports = {{
  async up(queryInterface, Sequelize) {{
{body}
  }},

  async down(queryInterface, Sequelize) {{}},
}};
"""


def file_name(index: int, name: str) -> str:
    return f"2024{index:06d}-{name}.js"


def write(root: Path) -> list[str]:
    """The corpus as `root/migrations/*.js`; their names, in umzug's order."""
    folder = root / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index, (name, body) in enumerate(CASES, 1):
        body_text = "\n".join("    " + line if line else "" for line in body.splitlines())
        path = folder / file_name(index, name)
        path.write_text(TEMPLATE.format(body=body_text))
        names.append(path.name)
    return names
