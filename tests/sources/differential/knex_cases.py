"""The Knex differential corpus: migration calls written by us, one migration file each.

`write(root)` lays them out as a knex `migrations/` folder (names sort in the corpus's
order, as knex sorts them); each sees the tables the earlier ones made.
tools/knex_differential.py runs them with the pinned knex against a real PostgreSQL and
stores every query knex sent per file (knex_expected.json); the test compares pgfence's
static reading of the same files with it.
"""

from __future__ import annotations

from pathlib import Path

CASES: list[tuple[str, str]] = []


def case(name: str, body: str) -> None:
    CASES.append((name, body.strip()))


def column(name: str, chain: str) -> None:
    case(f"add_{name}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")


case(
    "create_teams",
    """
await knex.schema.createTable('teams', (t) => {
  t.increments('id');
  t.string('name').notNullable().unique();
  t.timestamps(true, true);
});""",
)
case(
    "create_people",
    """
await knex.schema.createTable('people', (table) => {
  table.bigIncrements('id').primary();
  table.string('email', 120).notNullable();
  table.integer('team_id').unsigned().references('id').inTable('teams').onDelete('SET NULL');
  table.timestamp('created_at').defaultTo(knex.fn.now());
});""",
)
case(
    "create_every_type",
    """
await knex.schema.createTable('samples', (t) => {
  t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
  t.string('s');
  t.string('s50', 50);
  t.text('t');
  t.text('tl', 'longtext');
  t.integer('i');
  t.bigInteger('b');
  t.smallint('sm');
  t.tinyint('ti');
  t.mediumint('mi');
  t.float('f');
  t.float('f2', 8, 2);
  t.double('d');
  t.decimal('dec', 10, 2);
  t.decimal('dec_default');
  t.boolean('bool');
  t.date('day');
  t.datetime('at');
  t.datetime('at_no_tz', { useTz: false });
  t.timestamp('ts');
  t.timestamp('ts3', { precision: 3 });
  t.time('tm');
  t.json('j');
  t.jsonb('jb');
  t.binary('blob');
  t.enu('state', ['a', 'b']);
  t.enu('mood', ['happy', 'sad'], { useNative: true, enumName: 'mood_type' });
  t.specificType('tags', 'text[]');
  t.specificType('ip', 'inet');
});""",
)
case(
    "create_if_not_exists",
    """
await knex.schema.createTableIfNotExists('logs', (t) => {
  t.increments();
  t.text('line').notNullable();
});""",
)
case(
    "create_with_constraints",
    """
await knex.schema.createTable('memberships', (t) => {
  t.bigInteger('person_id').notNullable();
  t.integer('team_id').notNullable();
  t.string('role', 20).notNullable().defaultTo('member');
  t.primary(['person_id', 'team_id']);
  t.foreign('person_id').references('people.id').onDelete('CASCADE');
  t.foreign('team_id', 'memberships_team_fk').references('id').inTable('teams');
  t.unique(['person_id', 'role']);
  t.index(['role'], 'memberships_role_idx');
});""",
)
case(
    "create_with_comments",
    """
await knex.schema.createTable('notes', (t) => {
  t.increments('id');
  t.text('body').comment('the note');
  t.comment('free notes');
});""",
)
case(
    "create_in_schema",
    """
await knex.schema.withSchema('public').createTable('audit', (t) => {
  t.increments('id');
  t.string('who', 50);
});""",
)
case(
    "create_with_checks",
    """
await knex.schema.createTable('prices', (t) => {
  t.increments('id');
  t.decimal('amount', 12, 2).notNullable().defaultTo(0).checkPositive();
  t.string('currency', 3).notNullable().defaultTo('EUR').checkLength('=', 3);
  t.integer('qty').checkBetween([1, 100]);
  t.check('?? >= ??', ['amount', 'qty'], 'prices_amount_qty');
});""",
)

# ---- columns ------------------------------------------------------------------------------
column("nick", "string('nick')")
column("bio", "text('bio').nullable()")
column("age", "integer('age').notNullable().defaultTo(0)")
column("score", "float('score')")
column("balance", "decimal('balance', 12, 2).notNullable().defaultTo(0)")
column("active", "boolean('active').notNullable().defaultTo(true)")
column("born", "date('born')")
column("seen_at", "timestamp('seen_at', { useTz: true }).defaultTo(knex.fn.now())")
column("login_at", "datetime('login_at').defaultTo(knex.raw('CURRENT_TIMESTAMP'))")
column("token", "uuid('token').defaultTo(knex.raw('gen_random_uuid()'))")
column("ref", "uuid('ref').nullable()")
column("prefs", "jsonb('prefs').notNullable().defaultTo('{}')")
column("raw", "json('raw')")
column("tags", "specificType('tags', 'text[]').notNullable().defaultTo('{}')")
column("avatar", "binary('avatar')")
column("code", "string('code', 3)")
column("handle", "string('handle', 40).unique()")
column("handle2", "string('handle2', 40).unique('people_handle2_key')")
column("level", "enu('level', ['low', 'high']).notNullable().defaultTo('low')")
column("kind", "enum('kind', ['a', 'b'], { useNative: true, enumName: 'people_kind' })")
column("small", "smallint('small').defaultTo(1)")
column("lunch", "time('lunch')")
column("mentor_id", "bigInteger('mentor_id').references('people.id').onDelete('SET NULL')")
column(
    "squad_id",
    "integer('squad_id').unsigned().nullable().references('id').inTable('teams').onUpdate('CASCADE').onDelete('CASCADE')",
)
column("note", "string('note').comment('what the editor says')")
column("indexed", "integer('indexed').index()")
column("indexed2", "integer('indexed2').index('people_indexed2_ix')")
column("quote", "text('quote').defaultTo(\"it's\")")
column("ratio", "double('ratio').defaultTo(0.5)")
column("serial_no", "increments('serial_no', { primaryKey: false })")
column("big_no", "bigInteger('big_no').notNullable().defaultTo(0)")
column("created", "timestamp('created', { useTz: false }).notNullable().defaultTo(knex.fn.now())")
case(
    "add_two_columns",
    """
await knex.schema.table('teams', (t) => {
  t.string('color', 7);
  t.text('motto');
});""",
)
case("drop_column", "await knex.schema.alterTable('people', (t) => { t.dropColumn('raw'); });")
case(
    "drop_columns", "await knex.schema.table('teams', (t) => { t.dropColumns('motto', 'color'); });"
)
case(
    "rename_column",
    "await knex.schema.alterTable('people', (t) => { t.renameColumn('nick', 'nickname'); });",
)

# ---- alter() ------------------------------------------------------------------------------
for n, chain in enumerate(
    [
        "string('nickname', 80).alter()",
        "text('nickname').alter()",
        "string('email', 120).notNullable().alter()",
        "integer('age').nullable().alter()",
        "integer('age').defaultTo(18).alter()",
        "bigInteger('age').notNullable().defaultTo(0).alter()",
        "boolean('active').defaultTo(false).alter()",
        "decimal('balance', 14, 4).alter()",
        "uuid('ref').notNullable().alter({ alterNullable: true })",
        "string('code', 5).alter({ alterType: true, alterNullable: false })",
        "jsonb('prefs').nullable().alter()",
    ]
):
    case(f"alter_{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")
case("set_nullable", "await knex.schema.alterTable('people', (t) => { t.setNullable('born'); });")
case(
    "drop_nullable", "await knex.schema.alterTable('people', (t) => { t.dropNullable('email'); });"
)

# ---- indexes ------------------------------------------------------------------------------
for n, chain in enumerate(
    [
        "index('team_id')",
        "index(['email', 'team_id'])",
        "index(['born'], 'people_born_idx')",
        "index(['prefs'], 'people_prefs_gin', 'gin')",
        "index('nickname', 'people_nick_idx', { indexType: 'btree' })",
        "index(['email'], 'people_live_email', { predicate: knex.whereNotNull('ref') })",
        "unique(['handle', 'code'])",
        "unique(['code'], { indexName: 'people_code_uq' })",
        "unique(['born'], { indexName: 'people_born_uq', useConstraint: false })",
        "unique(['age'], { indexName: 'people_age_uq', deferrable: 'deferred' })",
        "index(['score'], 'people_score_idx', { storageEngineIndexType: 'hash' })",
    ]
):
    case(f"index_{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")
for n, chain in enumerate(
    [
        "dropIndex('team_id')",
        "dropIndex([], 'people_born_idx')",
        "dropIndex(['email', 'team_id'])",
        "dropUnique(['handle', 'code'])",
        "dropUnique([], 'people_code_uq')",
    ]
):
    case(f"drop_index_{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")

# ---- constraints --------------------------------------------------------------------------
for n, chain in enumerate(
    [
        "foreign('squad_id', 'people_squad_fk2').references('teams.id')",
        "foreign(['indexed']).references(['id']).inTable('people').onDelete('CASCADE').onUpdate('RESTRICT')",
        "foreign('indexed2').references('teams.id').deferrable('deferred')",
        "dropForeign('team_id')",
        "dropForeign([], 'people_squad_fk2')",
        "check('\"age\" > 0', [], 'people_age_ck')",
        "dropChecks(['people_age_ck'])",
        "unique('email', { indexName: 'people_email_key2', useConstraint: true })",
    ]
):
    case(f"constraint_{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")
case(
    "primary_later",
    """
await knex.schema.createTable('plain', (t) => { t.integer('code').notNullable(); });
await knex.schema.alterTable('plain', (t) => { t.primary(['code'], { constraintName: 'plain_pk' }); });
await knex.schema.alterTable('plain', (t) => { t.dropPrimary('plain_pk'); });""",
)

# ---- tables -------------------------------------------------------------------------------
case("rename_table", "await knex.schema.renameTable('logs', 'log_lines');")
case("drop_table", "await knex.schema.dropTable('log_lines');")
case("drop_table_if_exists", "await knex.schema.dropTableIfExists('nothing_here');")
case("create_schema", "await knex.schema.createSchemaIfNotExists('reports');")
case("drop_schema", "await knex.schema.dropSchemaIfExists('reports');")
case(
    "create_then_alter",
    """
await knex.schema.createTable('scratch', (t) => { t.increments(); });
await knex.schema.alterTable('scratch', (t) => { t.string('x'); });
await knex.schema.dropTable('scratch');""",
)
case(
    "timestamps",
    """
await knex.schema.createTable('events', (t) => {
  t.bigIncrements('id');
  t.string('kind', 30).notNullable();
  t.jsonb('payload').notNullable().defaultTo('{}');
  t.bigInteger('person_id').notNullable().references('id').inTable('people').onDelete('CASCADE');
  t.timestamps(false, true);
  t.index(['person_id', 'created_at']);
});""",
)
case("drop_timestamps", "await knex.schema.alterTable('events', (t) => { t.dropTimestamps(); });")

# ---- raw ----------------------------------------------------------------------------------
for n, call in enumerate(
    [
        "knex.raw('UPDATE people SET age = 0 WHERE age IS NULL')",
        "knex.schema.raw('ALTER TABLE people ADD COLUMN raw_note text')",
        "knex.raw('UPDATE people SET nickname = ? WHERE email = ?', ['x', 'a@b.c'])",
        "knex.raw('UPDATE people SET nickname = :nick WHERE id = :id', { nick: 'y', id: 1 })",
        "knex.raw('UPDATE ?? SET ?? = ?', ['people', 'age', 1])",
        "knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm')",
        "knex.raw(`CREATE INDEX people_raw_note ON people (raw_note)`)",
        "knex.raw('ALTER TABLE people DROP COLUMN raw_note; ALTER TABLE people ADD COLUMN raw2 int;')",
        "knex.schema.raw('COMMENT ON COLUMN people.bio IS \\'about\\'')",
        "knex.raw(`\n  CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$\n  BEGIN NEW.updated_at = now(); RETURN NEW; END;\n  $$ LANGUAGE plpgsql;\n`)",
        "knex.raw('CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION touch()')",
        "knex.raw('ALTER TABLE people ALTER COLUMN level SET DEFAULT \\'high\\'')",
    ]
):
    case(f"raw_{n}", f"await {call};")

# ---- data ---------------------------------------------------------------------------------
for n, call in enumerate(
    [
        "knex('teams').insert({ name: 'a' })",
        "knex('teams').insert([{ name: 'b' }, { name: 'c' }])",
        "knex('teams').where({ name: 'a' }).update({ name: 'A' })",
        "knex('teams').where('name', 'b').del()",
        "knex('teams').whereIn('name', ['A', 'c']).delete()",
    ]
):
    case(f"data_{n}", f"await {call};")

# ---- more shapes ----------------------------------------------------------------------------
for n, chain in enumerate(
    [
        "string('extra0')",
        "integer('extra1').notNullable().defaultTo(7)",
        "string('extra2', 255).notNullable().defaultTo('')",
        "text('extra3', 'mediumtext')",
        "float('extra4', 8)",
        "decimal('extra5')",
        "timestamp('extra6', { precision: 6 })",
        "boolean('extra7').nullable().defaultTo(null)",
        "integer('extra8').defaultTo(-1)",
        "specificType('extra9', 'integer[]').notNullable().defaultTo('{1,2}')",
        "binary('extra10', 16)",
        "bigInteger('extra11').unsigned()",
        "jsonb('extra12').defaultTo(knex.raw(\"'{\\\"a\\\": 1}'::jsonb\"))",
        "string('extra13').collate('C')",
        "double('extra14', 10, 2)",
        "specificType('extra15', 'tsvector')",
        "specificType('extra16', 'macaddr').notNullable().defaultTo('08:00:2b:01:02:03')",
        "time('extra17').defaultTo('12:00:00')",
        "datetime('extra18', { useTz: false, precision: 0 })",
        "uuid('extra19', { primaryKey: false })",
    ]
):
    case(f"add_extra{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")
for n, chain in enumerate(
    [
        "index(['extra0'])",
        "index(['extra1', 'extra2'], 'people_extra12_ix')",
        "index(['extra3'], 'people_extra3_hash', 'hash')",
        "index(['extra9'], 'people_extra9_gin', 'GIN')",
        "unique(['extra8'])",
        "index(['extra15'], undefined, 'gin')",
    ]
):
    case(f"index_extra{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")
for n, (old, new) in enumerate([("extra10", "extra10b"), ("extra11", "extra11b")]):
    case(
        f"rename_extra{n}",
        f"await knex.schema.alterTable('people', (t) => {{ t.renameColumn({old!r}, {new!r}); }});",
    )
for n, name in enumerate(["extra14", "extra16", "extra17"]):
    case(
        f"drop_extra{n}",
        f"await knex.schema.alterTable('people', (t) => {{ t.dropColumn({name!r}); }});",
    )
for n, chain in enumerate(
    [
        "string('extra0', 300).alter()",
        "integer('extra1').notNullable().alter()",
        "text('extra2').nullable().defaultTo('x').alter()",
    ]
):
    case(f"alter_extra{n}", f"await knex.schema.alterTable('people', (t) => {{ t.{chain}; }});")

for n, body in enumerate(
    [
        "await knex.schema.alterTable('teams', (t) => { t.string('slug', 60).notNullable().defaultTo('').index(); });",
        "await knex.schema.alterTable('teams', (t) => { t.boolean('archived').notNullable().defaultTo(false); });",
        "await knex.schema.alterTable('teams', (t) => { t.integer('rank').unsigned().notNullable().defaultTo(0); });",
        "await knex.schema.alterTable('teams', (t) => { t.index(['rank', 'archived'], 'teams_rank_archived'); });",
        "await knex.schema.alterTable('teams', (t) => { t.dropIndex(['rank', 'archived'], 'teams_rank_archived'); });",
        "await knex.schema.alterTable('teams', (t) => { t.renameColumn('slug', 'handle'); });",
        "await knex.schema.alterTable('teams', (t) => { t.dropColumn('archived'); t.dropColumn('rank'); });",
        "await knex.schema.table('teams', function (table) { table.text('about').nullable(); });",
        "await knex.raw('ANALYZE teams');",
        "await knex.schema.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS teams_about_c ON teams (about)');",
    ]
):
    case(f"more_{n}", body)


# ---- data queries with values in the file (query builder) ----------------------------------
case(
    "create_rows",
    """
await knex.schema.createTable('rows', (t) => {
  t.increments('id');
  t.string('key', 40).notNullable();
  t.integer('n');
  t.boolean('on').notNullable().defaultTo(false);
  t.jsonb('doc');
  t.specificType('tags', 'text[]');
  t.timestamp('at');
});""",
)
for n, call in enumerate(
    [
        "knex('rows').insert({ key: 'a', n: 1, on: true })",
        "knex('rows').insert([{ key: 'b', n: 2 }, { key: 'c', on: true }])",
        "knex('rows').insert({ key: 'd', doc: { a: 1, b: [true, null] } })",
        "knex('rows').insert({ key: 'e', tags: ['x', 'y z'] })",
        "knex('rows').insert({ key: \"it's\", n: -3 })",
        "knex('rows').insert({ key: 'back\\\\slash' })",
        "knex('rows').insert({ key: 'f', at: knex.fn.now() })",
        "knex('rows').insert({ key: 'g', n: knex.raw('? * 2', [3]) })",
        "knex('rows').insert({ key: 'h' }).returning('id')",
        "knex('rows').insert({ key: 'i' }, ['id', 'key'])",
        "knex('rows').insert({ key: 'a' }).onConflict('id').ignore()",
        "knex.insert({ key: 'j' }).into('rows')",
        "knex('rows').where('key', 'a').update({ n: 10, on: false })",
        "knex('rows').where({ key: 'b', n: 2 }).update({ doc: { x: 'y' } })",
        "knex('rows').where('n', '>', 1).andWhere('on', true).update('n', 0)",
        "knex('rows').where('n', '<', 5).orWhere('key', 'c').update({ on: true })",
        "knex('rows').whereNull('doc').update({ doc: knex.raw(\"'{}'::jsonb\") })",
        "knex('rows').whereNotNull('at').update({ at: null })",
        "knex('rows').whereIn('key', ['a', 'b']).andWhereNot('n', 10).update({ n: 11 })",
        "knex('rows').update({ key: knex.raw('upper(??)', ['key']) })",
        "knex('rows').where('key', 'like', 'x%').update({ n: 1 })",
        "knex('rows').whereBetween('n', [1, 5]).update({ n: 2 })",
        "knex('rows').whereRaw('n > ?', [100]).del()",
        "knex('rows').whereNotIn('key', ['a']).andWhere('n', null).del()",
        "knex('rows').whereIn('key', []).del()",
        "knex('rows').whereNotIn('key', []).where('key', 'zz').delete()",
        "knex('rows').where('key', 'e').del().returning('*')",
        "knex('rows').where('key', 'local').first()",
        "knex('rows').where('on', false)",
        "knex('rows')",
        "knex('rows').select('id', 'key').where('n', 1).orderBy('id', 'desc').limit(5)",
        "knex('rows').distinct('key').whereIn('n', [1, 2])",
        "knex.select('key as k').from('rows').whereNotNull('n').offset(2)",
        "knex('rows').first('id')",
        "knex.withSchema('public').table('rows').where('id', 1).update({ n: 3 })",
    ]
):
    case(f"rows_{n}", f"await {call};")

# values read while the migration runs: flagged, never guessed
case(
    "rows_read_then_delete",
    """
const found = await knex('rows').where('on', true);
await knex('rows').whereIn('key', found.map((r) => r.key)).del();""",
)
case(
    "rows_update_from_env",
    "await knex('rows').where('key', 'a').update({ key: process.env.PGFENCE_KEY || 'a' });",
)

# loops over values in the file are read once per value; over query results, flagged
case(
    "rows_loop_literal",
    """
for (const key of ['l1', 'l2']) {
  await knex('rows').insert({ key, n: 1 });
}""",
)
case(
    "rows_loop_constant",
    """
const renames = [['l1', 'm1'], ['l2', 'm2']];
for (const [from, to] of renames) {
  await knex('rows').where('key', from).update({ key: to });
}""",
)
case(
    "rows_loop_object_keys",
    """
const flags = { k1: true, k2: false };
for (const key in flags) {
  await knex.raw(`insert into rows (key) values ('${key}')`);
}""",
)
case(
    "rows_map_literal",
    "await Promise.all(['p1', 'p2'].map((key) => knex('rows').insert({ key })));",
)
case(
    "rows_loop_run_time",
    """
const all = await knex('rows').whereNotNull('n');
const keys = all.map((r) => r.key);
for (const key of keys) {
  await knex('rows').where('key', key).update({ n: 2 });
}""",
)


TEMPLATE = """/**
 * @param {{ import("knex").Knex }} knex
 */
exports.up = async function (knex) {{
{body}
}};

exports.down = async function () {{}};
"""


def file_name(index: int, name: str) -> str:
    return f"2024{index:06d}_{name}.js"


def write(root: Path) -> list[str]:
    folder = root / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index, (name, body) in enumerate(CASES, 1):
        text = "\n".join("  " + line if line else "" for line in body.splitlines())
        path = folder / file_name(index, name)
        path.write_text(TEMPLATE.format(body=text))
        names.append(path.name)
    return names
