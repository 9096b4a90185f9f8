"""The TypeORM differential corpus: migration calls written by us, one migration file each.

`write(root)` lays them out as compiled TypeORM migrations (`<timestamp>-<Name>.js`, a
class with `up(queryRunner)`), in the corpus's order; each sees the tables the earlier
ones made. tools/typeorm_differential.py runs them with the pinned TypeORM's
PostgresQueryRunner against a real PostgreSQL and stores every query it sent per file
(typeorm_expected.json); the test compares pgfence's static reading of the same files.
"""

from __future__ import annotations

from pathlib import Path

CASES: list[tuple[str, str]] = []


def case(name: str, body: str) -> None:
    CASES.append((name, body.strip()))


def column(name: str, options: str, table: str = "person") -> None:
    case(
        f"add_{name}",
        f"await queryRunner.addColumn('{table}', new TableColumn({{ name: '{name}', {options} }}));",
    )


# ---- tables -------------------------------------------------------------------------------
case(
    "create_team",
    """
await queryRunner.query('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"');
await queryRunner.createTable(new Table({
  name: 'team',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
    { name: 'name', type: 'varchar', length: '100', isUnique: true },
    { name: 'created_at', type: 'timestamp', default: 'now()' },
  ],
}));""",
)
case(
    "create_person",
    """
await queryRunner.createTable(new Table({
  name: 'person',
  columns: [
    new TableColumn({ name: 'id', type: 'uuid', isPrimary: true, isGenerated: true, generationStrategy: 'uuid', default: 'gen_random_uuid()' }),
    new TableColumn({ name: 'email', type: 'varchar', length: '120' }),
    new TableColumn({ name: 'team_id', type: 'int', isNullable: true }),
  ],
  foreignKeys: [
    { columnNames: ['team_id'], referencedTableName: 'team', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
  ],
  indices: [{ columnNames: ['email'] }],
}), true);""",
)
case(
    "create_every_type",
    """
await queryRunner.createTable(new Table({
  name: 'sample',
  columns: [
    { name: 'id', type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
    { name: 'i2', type: 'int2', isNullable: true },
    { name: 'i4', type: 'int4', isNullable: true },
    { name: 'i8', type: 'int8', isNullable: true },
    { name: 'sm', type: 'smallint', isNullable: true },
    { name: 'ig', type: 'integer', isNullable: true },
    { name: 'dec', type: 'decimal', precision: 10, scale: 2, isNullable: true },
    { name: 'num', type: 'numeric', precision: 12, isNullable: true },
    { name: 'num_plain', type: 'numeric', isNullable: true },
    { name: 'r', type: 'real', isNullable: true },
    { name: 'f', type: 'float', isNullable: true },
    { name: 'f4', type: 'float4', isNullable: true },
    { name: 'f8', type: 'float8', isNullable: true },
    { name: 'dp', type: 'double precision', isNullable: true },
    { name: 'm', type: 'money', isNullable: true },
    { name: 'vc', type: 'character varying', isNullable: true },
    { name: 'v', type: 'varchar', isNullable: true },
    { name: 'v40', type: 'varchar', length: '40', isNullable: true },
    { name: 'ch', type: 'char', length: '2', isNullable: true },
    { name: 'chr', type: 'character', isNullable: true },
    { name: 't', type: 'text', isNullable: true },
    { name: 'ba', type: 'bytea', isNullable: true },
    { name: 'bt', type: 'bit', isNullable: true },
    { name: 'vb', type: 'varbit', isNullable: true },
    { name: 'bv', type: 'bit varying', isNullable: true },
    { name: 'tstz', type: 'timestamptz', isNullable: true },
    { name: 'ts', type: 'timestamp', isNullable: true },
    { name: 'ts3', type: 'timestamp', precision: 3, isNullable: true },
    { name: 'tswo', type: 'timestamp without time zone', isNullable: true },
    { name: 'tsw', type: 'timestamp with time zone', isNullable: true },
    { name: 'd', type: 'date', isNullable: true },
    { name: 'tm', type: 'time', isNullable: true },
    { name: 'tmtz', type: 'timetz', isNullable: true },
    { name: 'tmwo', type: 'time without time zone', isNullable: true },
    { name: 'tmw', type: 'time with time zone', isNullable: true },
    { name: 'iv', type: 'interval', isNullable: true },
    { name: 'b', type: 'bool', isNullable: true },
    { name: 'bo', type: 'boolean', isNullable: true },
    { name: 'pt', type: 'point', isNullable: true },
    { name: 'ln', type: 'line', isNullable: true },
    { name: 'ls', type: 'lseg', isNullable: true },
    { name: 'bx', type: 'box', isNullable: true },
    { name: 'pa', type: 'path', isNullable: true },
    { name: 'pg', type: 'polygon', isNullable: true },
    { name: 'ci', type: 'circle', isNullable: true },
    { name: 'cidr', type: 'cidr', isNullable: true },
    { name: 'inet', type: 'inet', isNullable: true },
    { name: 'mac', type: 'macaddr', isNullable: true },
    { name: 'mac8', type: 'macaddr8', isNullable: true },
    { name: 'tsv', type: 'tsvector', isNullable: true },
    { name: 'tsq', type: 'tsquery', isNullable: true },
    { name: 'u', type: 'uuid', isNullable: true },
    { name: 'x', type: 'xml', isNullable: true },
    { name: 'j', type: 'json', isNullable: true },
    { name: 'jb', type: 'jsonb', isNullable: true },
    { name: 'jp', type: 'jsonpath', isNullable: true },
    { name: 'r4', type: 'int4range', isNullable: true },
    { name: 'r8', type: 'int8range', isNullable: true },
    { name: 'rn', type: 'numrange', isNullable: true },
    { name: 'rts', type: 'tsrange', isNullable: true },
    { name: 'rtz', type: 'tstzrange', isNullable: true },
    { name: 'rd', type: 'daterange', isNullable: true },
    { name: 'arr', type: 'text', isArray: true, isNullable: true },
    { name: 'iarr', type: 'int', isArray: true, isNullable: true },
  ],
}));""",
)
case(
    "create_with_enum",
    """
await queryRunner.createTable(new Table({
  name: 'ticket',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
    { name: 'status', type: 'enum', enum: ['open', 'closed'], default: "'open'" },
    { name: 'kind', type: 'enum', enum: ['bug', 'task'], enumName: 'ticket_kind' },
    { name: 'labels', type: 'enum', enum: ['a', 'b'], isArray: true, isNullable: true },
  ],
}));""",
)
case(
    "create_with_constraints",
    """
await queryRunner.createTable(new Table({
  name: 'membership',
  columns: [
    { name: 'person_id', type: 'uuid', isPrimary: true },
    { name: 'team_id', type: 'int', isPrimary: true },
    { name: 'role', type: 'varchar', length: '20', default: "'member'" },
    { name: 'weight', type: 'int', default: 1 },
  ],
  uniques: [{ columnNames: ['person_id', 'role'] }, { name: 'membership_role_uq', columnNames: ['role', 'team_id'], deferrable: 'INITIALLY DEFERRED' }],
  checks: [{ name: 'membership_weight_check', expression: '"weight" > 0' }, { expression: 'length("role") > 0' }],
  foreignKeys: [
    { name: 'membership_person_fk', columnNames: ['person_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
    { columnNames: ['team_id'], referencedTableName: 'team', referencedColumnNames: ['id'], deferrable: 'INITIALLY IMMEDIATE' },
  ],
  indices: [
    { name: 'membership_role_idx', columnNames: ['role'] },
    { columnNames: ['team_id', 'role'], isUnique: true },
  ],
}));""",
)
case(
    "create_with_comments",
    """
await queryRunner.createTable(new Table({
  name: 'note',
  comment: 'free notes',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
    { name: 'body', type: 'text', comment: 'the note' },
  ],
}));""",
)
case(
    "create_with_identity",
    """
await queryRunner.createTable(new Table({
  name: 'event',
  columns: [
    { name: 'id', type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'identity' },
    { name: 'seq', type: 'int', isGenerated: true, generationStrategy: 'identity', generatedIdentity: 'ALWAYS' },
    { name: 'at', type: 'timestamptz', default: 'CURRENT_TIMESTAMP' },
    { name: 'payload', type: 'jsonb', default: "'{}'" },
  ],
}));""",
)
case(
    "create_with_smallserial_and_names",
    """
await queryRunner.createTable(new Table({
  name: 'tag',
  columns: [
    { name: 'id', type: 'smallint', isPrimary: true, isGenerated: true, primaryKeyConstraintName: 'tag_pkey' },
    { name: 'label', type: 'varchar', length: '30', isUnique: true },
    { name: 'slug', type: 'varchar', collation: 'C', isNullable: true },
  ],
}));""",
)
case(
    "create_with_generated_column",
    """
await queryRunner.createTable(new Table({
  name: 'box_item',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true },
    { name: 'w', type: 'int' },
    { name: 'h', type: 'int' },
    { name: 'area', type: 'int', generatedType: 'STORED', asExpression: '"w" * "h"' },
  ],
}));""",
)
case(
    "create_with_exclusion",
    """
await queryRunner.createTable(new Table({
  name: 'booking',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true },
    { name: 'during', type: 'tstzrange' },
  ],
  exclusions: [{ name: 'booking_no_overlap', expression: 'USING gist ("during" WITH &&)' }],
}));""",
)
case(
    "create_in_schema",
    """
await queryRunner.createSchema('audit', true);
await queryRunner.createTable(new Table({
  name: 'audit.entry',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true },
    { name: 'who', type: 'varchar', length: '50' },
  ],
}));""",
)
case(
    "create_with_spatial_index",
    """
await queryRunner.createTable(new Table({
  name: 'place',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true },
    { name: 'spot', type: 'point' },
    { name: 'area', type: 'box', isNullable: true },
  ],
  indices: [{ name: 'place_spot_gist', columnNames: ['spot'], isSpatial: true }],
}));""",
)
case(
    "create_if_not_exists_new",
    """
await queryRunner.createTable(new Table({
  name: 'log_line',
  columns: [
    { name: 'id', type: 'int', isPrimary: true, isGenerated: true },
    { name: 'line', type: 'text' },
  ],
}), true);""",
)
case(
    "create_without_fks_or_indices",
    """
await queryRunner.createTable(new Table({
  name: 'draft',
  columns: [
    { name: 'id', type: 'int', isPrimary: true },
    { name: 'team_id', type: 'int' },
  ],
  foreignKeys: [{ columnNames: ['team_id'], referencedTableName: 'team', referencedColumnNames: ['id'] }],
  indices: [{ columnNames: ['team_id'] }],
}), false, false, false);""",
)

# ---- columns ------------------------------------------------------------------------------
column("nick", "type: 'varchar', isNullable: true")
column("bio", "type: 'text', isNullable: true")
column("age", "type: 'int', default: 0")
column("score", "type: 'float', isNullable: true")
column("balance", "type: 'decimal', precision: 12, scale: 2, default: 0")
column("active", "type: 'boolean', default: true")
column("archived", "type: 'boolean', default: false")
column("born", "type: 'date', isNullable: true")
column("seen_at", "type: 'timestamptz', default: 'now()'")
column("login_at", "type: 'timestamp', isNullable: true, default: 'CURRENT_TIMESTAMP'")
column("token", "type: 'uuid', default: 'gen_random_uuid()'")
column("ref", "type: 'uuid', isNullable: true")
column("prefs", "type: 'jsonb', default: \"'{}'\"")
column("raw", "type: 'json', isNullable: true")
column("tags", "type: 'text', isArray: true, default: \"'{}'\"")
column("avatar", "type: 'bytea', isNullable: true")
column("code", "type: 'char', length: '3', isNullable: true")
column("handle", "type: 'varchar', length: '40', isNullable: true, isUnique: true")
column("level", "type: 'enum', enum: ['low', 'high'], default: \"'low'\"")
column("mood", "type: 'enum', enum: ['happy', 'sad'], enumName: 'person_mood', isNullable: true")
column("status_list", "type: 'enum', enum: ['x', 'y'], isArray: true, isNullable: true")
column("note", "type: 'text', isNullable: true, comment: 'free text'")
column("big", "type: 'bigint', default: '0'")
column("small", "type: 'smallint', isNullable: true")
column("rank", "type: 'real', isNullable: true")
column("ratio", "type: 'double precision', isNullable: true")
column("price", "type: 'numeric', precision: 8, scale: 3, isNullable: true")
column("wage", "type: 'money', isNullable: true")
column("ip", "type: 'inet', isNullable: true")
column("net", "type: 'cidr', isNullable: true")
column("mac", "type: 'macaddr', isNullable: true")
column("doc", "type: 'xml', isNullable: true")
column("search", "type: 'tsvector', isNullable: true")
column("window", "type: 'tstzrange', isNullable: true")
column("span", "type: 'interval', isNullable: true")
column("wake", "type: 'time', isNullable: true")
column("wake_tz", "type: 'timetz', isNullable: true")
column("stamp3", "type: 'timestamp', precision: 3, isNullable: true")
column("stamp_tz6", "type: 'timestamp with time zone', precision: 6, isNullable: true")
column("flags", "type: 'bit', length: '8', isNullable: true")
column("vflags", "type: 'varbit', length: '16', isNullable: true")
column("name_c", "type: 'varchar', length: '60', collation: 'C', isNullable: true")
column("counter", "type: 'int', isGenerated: true, generationStrategy: 'increment'")
column("serial_id", "type: 'int', isGenerated: true, generationStrategy: 'identity'")
column(
    "ident2",
    "type: 'bigint', isGenerated: true, generationStrategy: 'identity', generatedIdentity: 'ALWAYS'",
)
column("uid", "type: 'uuid', isGenerated: true, generationStrategy: 'uuid'")
column("full_name", "type: 'text', generatedType: 'STORED', asExpression: \"email || '!'\"")
column("quoted_default", "type: 'varchar', default: \"'it''s'\"")
column("expr_default", "type: 'int', default: '(1 + 2)'")
column("score_arr", "type: 'int', isArray: true, isNullable: true")
column("pt", "type: 'point', isNullable: true")
column("shape", "type: 'polygon', isNullable: true")
column("bits", "type: 'bit varying', isNullable: true")
column("dates", "type: 'daterange', isNullable: true")
column("nums", "type: 'numrange', isNullable: true")
column("r4", "type: 'int4range', isNullable: true")
column("jp", "type: 'jsonpath', isNullable: true")
column("mac8", "type: 'macaddr8', isNullable: true")
column("query_text", "type: 'tsquery', isNullable: true")
column("ch1", "type: 'character', isNullable: true")
column("cv", "type: 'character varying', length: '10', isNullable: true")
column("label", "type: 'varchar', length: '30', isNullable: true", table="team")
column("budget", "type: 'numeric', precision: 14, scale: 2, default: 0", table="team")
column("motto", "type: 'text', isNullable: true, isUnique: true", table="team")
column("founded", "type: 'date', isNullable: true", table="team")

case(
    "add_columns",
    """
await queryRunner.addColumns('team', [
  new TableColumn({ name: 'city', type: 'varchar', length: '80', isNullable: true }),
  new TableColumn({ name: 'size', type: 'int', default: 0 }),
]);""",
)
case(
    "add_column_to_table_object",
    """
const table = await queryRunner.getTable('team');
await queryRunner.addColumn(table, new TableColumn({ name: 'region', type: 'text', isNullable: true }));""",
)
case(
    "add_column_schema",
    "await queryRunner.addColumn('audit.entry', new TableColumn({ name: 'at', type: 'timestamptz', default: 'now()' }));",
)

# ---- renames and drops of columns -----------------------------------------------------------
case("rename_column", "await queryRunner.renameColumn('person', 'nick', 'nickname');")
case(
    "rename_column_objects",
    """
await queryRunner.renameColumn('person', 'bio', new TableColumn({ name: 'biography', type: 'text', isNullable: true }));""",
)
case("drop_column", "await queryRunner.dropColumn('person', 'score');")
case(
    "drop_column_object",
    "await queryRunner.dropColumn('person', new TableColumn({ name: 'avatar', type: 'bytea' }));",
)
case("drop_columns", "await queryRunner.dropColumns('person', ['wage', 'doc']);")
case("drop_unique_column", "await queryRunner.dropColumn('person', 'handle');")
case("drop_enum_column", "await queryRunner.dropColumn('person', 'mood');")

# ---- changeColumn ---------------------------------------------------------------------------
case(
    "change_nullable",
    """
await queryRunner.changeColumn('person', 'biography', new TableColumn({ name: 'biography', type: 'text', isNullable: false }));""",
)
case(
    "change_default",
    """
await queryRunner.changeColumn('person', 'age', new TableColumn({ name: 'age', type: 'int', default: 18 }));""",
)
case(
    "change_drop_default",
    """
await queryRunner.changeColumn('person', 'active', new TableColumn({ name: 'active', type: 'boolean' }));""",
)
case(
    "change_both_objects",
    """
await queryRunner.changeColumn(
  'person',
  new TableColumn({ name: 'archived', type: 'boolean', default: false }),
  new TableColumn({ name: 'archived', type: 'boolean', isNullable: true, default: false }),
);""",
)
case(
    "change_rename",
    """
await queryRunner.changeColumn('person', 'born', new TableColumn({ name: 'birthday', type: 'date', isNullable: true }));""",
)
case(
    "change_length",
    """
await queryRunner.changeColumn('person', 'code', new TableColumn({ name: 'code', type: 'char', length: '5', isNullable: true }));""",
)
case(
    "change_type",
    """
await queryRunner.changeColumn('person', 'rank', new TableColumn({ name: 'rank', type: 'double precision', isNullable: true }));""",
)
case(
    "change_add_unique",
    """
await queryRunner.changeColumn('person', 'ref', new TableColumn({ name: 'ref', type: 'uuid', isNullable: true, isUnique: true }));""",
)
case(
    "change_comment",
    """
await queryRunner.changeColumn('person', 'note', new TableColumn({ name: 'note', type: 'text', isNullable: true, comment: 'changed' }));""",
)
case(
    "change_enum_values",
    """
await queryRunner.changeColumn('person', 'level', new TableColumn({ name: 'level', type: 'enum', enum: ['low', 'mid', 'high'], default: "'low'" }));""",
)
case(
    "change_columns",
    """
await queryRunner.changeColumns('team', [
  { oldColumn: 'city', newColumn: new TableColumn({ name: 'city', type: 'varchar', length: '80', isNullable: false, default: "''" }) },
]);""",
)

# ---- indexes --------------------------------------------------------------------------------
case(
    "create_index",
    "await queryRunner.createIndex('person', new TableIndex({ name: 'person_age_idx', columnNames: ['age'] }));",
)
case(
    "create_index_default_name",
    "await queryRunner.createIndex('person', new TableIndex({ columnNames: ['balance'] }));",
)
case(
    "create_index_multi",
    "await queryRunner.createIndex('person', new TableIndex({ columnNames: ['team_id', 'age'] }));",
)
case(
    "create_unique_index",
    "await queryRunner.createIndex('person', new TableIndex({ name: 'person_token_uq', columnNames: ['token'], isUnique: true }));",
)
case(
    "create_partial_index",
    """await queryRunner.createIndex('person', new TableIndex({ name: 'person_active_idx', columnNames: ['email'], where: '"active" = true' }));""",
)
case(
    "create_partial_default_name",
    """await queryRunner.createIndex('person', new TableIndex({ columnNames: ['seen_at'], where: '"seen_at" IS NOT NULL' }));""",
)
case(
    "create_spatial_index",
    "await queryRunner.createIndex('person', new TableIndex({ name: 'person_pt_gist', columnNames: ['pt'], isSpatial: true }));",
)
case(
    "create_concurrent_index",
    "await queryRunner.createIndex('person', new TableIndex({ name: 'person_login_c', columnNames: ['login_at'], isConcurrent: true }));",
)
case(
    "create_unique_concurrent",
    "await queryRunner.createIndex('person', new TableIndex({ name: 'person_uid_c', columnNames: ['uid'], isUnique: true, isConcurrent: true }));",
)
case(
    "create_index_plain_object",
    "await queryRunner.createIndex('team', { name: 'team_size_idx', columnNames: ['size'] });",
)
case(
    "create_indices",
    """
await queryRunner.createIndices('team', [
  new TableIndex({ name: 'team_city_idx', columnNames: ['city'] }),
  new TableIndex({ name: 'team_founded_idx', columnNames: ['founded'] }),
]);""",
)
case(
    "create_index_nulls_not_distinct",
    "await queryRunner.createIndex('team', new TableIndex({ name: 'team_label_nnd', columnNames: ['label'], isUnique: true, isNullsNotDistinct: true }));",
)
case(
    "create_index_schema",
    "await queryRunner.createIndex('audit.entry', new TableIndex({ name: 'entry_who_idx', columnNames: ['who'] }));",
)
case("drop_index", "await queryRunner.dropIndex('person', 'person_age_idx');")
case(
    "drop_index_object",
    "await queryRunner.dropIndex('person', new TableIndex({ name: 'person_active_idx', columnNames: ['email'] }));",
)
case("drop_index_concurrent", "await queryRunner.dropIndex('person', 'person_login_c');")
case(
    "drop_indices",
    "await queryRunner.dropIndices('team', [new TableIndex({ name: 'team_city_idx', columnNames: ['city'] })]);",
)
case("drop_index_schema", "await queryRunner.dropIndex('audit.entry', 'entry_who_idx');")

# ---- foreign keys ---------------------------------------------------------------------------
case(
    "create_fk",
    """
await queryRunner.addColumn('person', new TableColumn({ name: 'mentor_id', type: 'uuid', isNullable: true }));
await queryRunner.createForeignKey('person', new TableForeignKey({
  columnNames: ['mentor_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'SET NULL',
}));""",
)
case(
    "create_fk_named",
    """
await queryRunner.createForeignKey('note', new TableForeignKey({
  name: 'note_team_fk', columnNames: ['id'], referencedTableName: 'team', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'CASCADE',
}));""",
)
case(
    "create_fk_deferrable",
    """
await queryRunner.addColumn('ticket', new TableColumn({ name: 'owner_id', type: 'uuid', isNullable: true }));
await queryRunner.createForeignKey('ticket', new TableForeignKey({
  name: 'ticket_owner_fk', columnNames: ['owner_id'], referencedTableName: 'person', referencedColumnNames: ['id'], deferrable: 'INITIALLY DEFERRED',
}));""",
)
case(
    "create_fks",
    """
await queryRunner.addColumns('ticket', [
  new TableColumn({ name: 'team_id', type: 'int', isNullable: true }),
  new TableColumn({ name: 'reporter_id', type: 'uuid', isNullable: true }),
]);
await queryRunner.createForeignKeys('ticket', [
  new TableForeignKey({ columnNames: ['team_id'], referencedTableName: 'team', referencedColumnNames: ['id'] }),
  new TableForeignKey({ name: 'ticket_reporter_fk', columnNames: ['reporter_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'RESTRICT' }),
]);""",
)
case(
    "create_fk_schema",
    """
await queryRunner.addColumn('audit.entry', new TableColumn({ name: 'team_id', type: 'int', isNullable: true }));
await queryRunner.createForeignKey('audit.entry', new TableForeignKey({
  name: 'entry_team_fk', columnNames: ['team_id'], referencedTableName: 'team', referencedColumnNames: ['id'],
}));""",
)
case("drop_fk", "await queryRunner.dropForeignKey('ticket', 'ticket_owner_fk');")
case(
    "drop_fk_object",
    """
await queryRunner.dropForeignKey('ticket', new TableForeignKey({
  name: 'ticket_reporter_fk', columnNames: ['reporter_id'], referencedTableName: 'person', referencedColumnNames: ['id'],
}));""",
)
case(
    "drop_fks",
    "await queryRunner.dropForeignKeys('note', [new TableForeignKey({ name: 'note_team_fk', columnNames: ['id'], referencedTableName: 'team', referencedColumnNames: ['id'] })]);",
)

# ---- constraints ----------------------------------------------------------------------------
case(
    "create_unique",
    "await queryRunner.createUniqueConstraint('person', new TableUnique({ name: 'person_email_uq', columnNames: ['email'] }));",
)
case(
    "create_unique_default_name",
    "await queryRunner.createUniqueConstraint('team', new TableUnique({ columnNames: ['city', 'region'] }));",
)
case(
    "create_unique_deferrable",
    "await queryRunner.createUniqueConstraint('team', new TableUnique({ name: 'team_label_uq', columnNames: ['label'], deferrable: 'INITIALLY DEFERRED' }));",
)
case(
    "create_uniques",
    "await queryRunner.createUniqueConstraints('note', [new TableUnique({ name: 'note_body_uq', columnNames: ['body'] })]);",
)
case("drop_unique", "await queryRunner.dropUniqueConstraint('person', 'person_email_uq');")
case(
    "drop_unique_object",
    "await queryRunner.dropUniqueConstraint('note', new TableUnique({ name: 'note_body_uq', columnNames: ['body'] }));",
)
case(
    "create_check",
    """await queryRunner.createCheckConstraint('person', new TableCheck({ name: 'person_age_check', expression: '"age" >= 0' }));""",
)
case(
    "create_check_default_name",
    """await queryRunner.createCheckConstraint('team', new TableCheck({ expression: '"size" >= 0' }));""",
)
case(
    "create_checks",
    """await queryRunner.createCheckConstraints('team', [new TableCheck({ name: 'team_budget_check', expression: '"budget" >= 0' })]);""",
)
case("drop_check", "await queryRunner.dropCheckConstraint('person', 'person_age_check');")
case(
    "create_exclusion",
    """await queryRunner.createExclusionConstraint('person', new TableExclusion({ name: 'person_window_excl', expression: 'USING gist ("window" WITH &&)' }));""",
)
case(
    "create_exclusions",
    """await queryRunner.createExclusionConstraints('booking', [new TableExclusion({ name: 'booking_excl2', expression: 'USING gist ("during" WITH =)' })]);""",
)
case("drop_exclusion", "await queryRunner.dropExclusionConstraint('person', 'person_window_excl');")
case(
    "create_primary_key",
    """
await queryRunner.createTable(new Table({ name: 'pairing', columns: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }] }));
await queryRunner.createPrimaryKey('pairing', ['a', 'b']);""",
)
case(
    "create_primary_key_named",
    """
await queryRunner.createTable(new Table({ name: 'pairing2', columns: [{ name: 'a', type: 'int' }] }));
await queryRunner.createPrimaryKey('pairing2', ['a'], 'pairing2_pk');""",
)
case("drop_primary_key", "await queryRunner.dropPrimaryKey('pairing2');")
case("drop_primary_key_composite", "await queryRunner.dropPrimaryKey('pairing');")

# ---- tables: rename, drop, views, schemas ---------------------------------------------------
case("rename_table", "await queryRunner.renameTable('log_line', 'log_entry');")
case("rename_table_with_pk_and_index", "await queryRunner.renameTable('tag', 'label');")
case("drop_table", "await queryRunner.dropTable('log_entry');")
case("drop_table_if_exists", "await queryRunner.dropTable('nothing_here', true);")
case("drop_table_with_fks_indices", "await queryRunner.dropTable('draft');")
case("drop_table_keep_fks", "await queryRunner.dropTable('pairing', false, false, false);")
case("create_schema", "await queryRunner.createSchema('reports');")
case("create_schema_if_not_exists", "await queryRunner.createSchema('reports', true);")
case("drop_schema", "await queryRunner.dropSchema('reports');")
case(
    "drop_schema_cascade",
    "await queryRunner.createSchema('scratch'); await queryRunner.dropSchema('scratch', true, true);",
)
case(
    "create_view",
    """
await queryRunner.createView(new View({ name: 'active_person', expression: 'SELECT "id", "email" FROM "person" WHERE "active"' }));""",
)
case(
    "create_materialized_view",
    """
await queryRunner.createView(new View({ name: 'team_sizes', materialized: true, expression: 'SELECT "team_id", count(*) AS "n" FROM "person" GROUP BY "team_id"' }));""",
)
case(
    "create_view_synced",
    """
await queryRunner.createView(new View({ name: 'team_names', expression: 'SELECT "name" FROM "team"' }), true);""",
)
case("drop_view", "await queryRunner.dropView('team_names');")
case("clear_table", "await queryRunner.clearTable('note');")
case("change_table_comment", "await queryRunner.changeTableComment('team', 'the teams');")

# ---- raw queries in every call shape ----------------------------------------------------------
raw = [
    """await queryRunner.query('ALTER TABLE "person" ADD "raw1" integer');""",
    """await queryRunner.query("ALTER TABLE \\"person\\" ADD \\"raw2\\" text");""",
    'await queryRunner.query(`ALTER TABLE "person" ADD "raw3" boolean NOT NULL DEFAULT false`);',
    """await queryRunner.query(`CREATE INDEX "IDX_raw3" ON "person" ("raw3") `);""",
    """await queryRunner.query(`UPDATE "person" SET "raw1" = $1 WHERE "email" = $2`, [5, 'a@b.c']);""",
    """await queryRunner.query('UPDATE "person" SET "raw2" = $1', ['it\\'s']);""",
    """await queryRunner.query('UPDATE "person" SET "raw2" = $1 WHERE "raw1" IS NULL', [null]);""",
    """await queryRunner.query(`UPDATE "person" SET "raw3" = $1`, [true]);""",
    """const sql = 'ALTER TABLE "person" ADD "raw4" date';
await queryRunner.query(sql);""",
    """await queryRunner.query('ALTER TABLE "person" ' + 'ADD "raw5" uuid');""",
    """await queryRunner.query(`ALTER TABLE "person" ADD "raw6" int; ALTER TABLE "person" ADD "raw7" int`);""",
    """await queryRunner.query(`
  CREATE TABLE "raw_table" (
    "id" SERIAL NOT NULL,
    "name" character varying NOT NULL,
    CONSTRAINT "PK_raw_table" PRIMARY KEY ("id")
  )
`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" ADD CONSTRAINT "FK_raw_team" FOREIGN KEY ("id") REFERENCES "team"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);""",
    """await queryRunner.query(`CREATE TYPE "public"."raw_state_enum" AS ENUM('a', 'b')`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" ADD "state" "public"."raw_state_enum" NOT NULL DEFAULT 'a'`);""",
    """await queryRunner.query(`COMMENT ON COLUMN "raw_table"."name" IS 'the name'`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" ALTER COLUMN "name" SET DEFAULT ''`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" RENAME COLUMN "name" TO "title"`);""",
    """await queryRunner.query(`CREATE UNIQUE INDEX "IDX_raw_title" ON "raw_table" ("title") WHERE "state" = 'a'`);""",
    """await queryRunner.query(`DROP INDEX "public"."IDX_raw_title"`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" DROP CONSTRAINT "FK_raw_team"`);""",
    """await queryRunner.query(`INSERT INTO "team" ("name") VALUES ($1)`, ['raw team']);""",
    """await queryRunner.query(`DELETE FROM "team" WHERE "name" = $1`, ['raw team']);""",
    """await queryRunner.query(`SELECT 1`);""",
    """await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS "uuid-ossp"`);""",
    """await queryRunner.query(`ALTER TABLE "raw_table" ALTER COLUMN "title" TYPE character varying(200)`);""",
    """await queryRunner.query(`DROP TABLE "raw_table"`);""",
    """await queryRunner.query(`DROP TYPE "public"."raw_state_enum"`);""",
    """await queryRunner.query(
  'ALTER TABLE "person" ADD "raw8" numeric(10,2)',
);""",
    """await queryRunner.query(`CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.seen_at = now(); RETURN NEW; END $$ LANGUAGE plpgsql`);""",
    """await queryRunner.query(`CREATE TRIGGER person_touch BEFORE UPDATE ON "person" FOR EACH ROW EXECUTE PROCEDURE touch()`);""",
    """await queryRunner.manager.query(`ALTER TABLE "person" ADD "raw9" int`);""",
    """await queryRunner.connection.query(`ALTER TABLE "person" ADD "raw10" int`);""",
    """await queryRunner.query(`ALTER TABLE "person" ADD "raw11" text`, []);""",
]
for n, body in enumerate(raw, 1):
    case(f"raw_{n}", body)


TEMPLATE = """"use strict";
const {{ Table, TableColumn, TableIndex, TableForeignKey, TableUnique, TableCheck, TableExclusion, View }} = require("typeorm");

class {cls} {{
    constructor() {{
        this.name = "{cls}";
    }}
    async up(queryRunner) {{
{body}
    }}
    async down(queryRunner) {{}}
}}
exports.{cls} = {cls};
"""


def class_name(index: int, name: str) -> str:
    return "".join(part.title() for part in name.split("_")) + str(1700000000000 + index)


def file_name(index: int, name: str) -> str:
    return f"{1700000000000 + index}-{name}.js"


def write(root: Path) -> list[str]:
    folder = root / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index, (name, body) in enumerate(CASES, 1):
        text = "\n".join("        " + line if line else "" for line in body.splitlines())
        path = folder / file_name(index, name)
        path.write_text(TEMPLATE.format(cls=class_name(index, name), body=text))
        names.append(path.name)
    return names
