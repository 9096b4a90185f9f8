"""The Alembic differential corpus: op calls written by us, one revision each.

`write(root)` lays them out as an Alembic `versions/` folder, each revision's down_revision
the one before. tools/alembic_differential.py renders them with the pinned Alembic and
SQLAlchemy in offline mode (`alembic upgrade --sql`, PostgreSQL dialect) and stores each
revision's SQL in alembic_expected.json; the test compares pgfence's static reading of the
same files with it.
"""

from __future__ import annotations

from pathlib import Path

HEADER = """\
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
{prelude}
revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
"""

CASES: list[tuple[str, str, str]] = []


def case(name: str, body: str, prelude: str = "") -> None:
    """`prelude`: module-level code before the revision identifiers (imports, entities)."""
    CASES.append((name, body.strip(), prelude.strip()))


def column(name: str, definition: str, **options: str) -> None:
    extra = "".join(f", {k}={v}" for k, v in options.items())
    case(f"add_{name}", f"op.add_column('accounts', sa.Column({name!r}, {definition}{extra}))")


case(
    "create_accounts",
    """
op.create_table(
    'accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
)""",
)
case(
    "create_teams",
    """
op.create_table(
    'teams',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(100), nullable=False),
    sa.Column('owner_id', sa.Integer(), sa.ForeignKey('accounts.id', ondelete='CASCADE'), nullable=True),
    sa.PrimaryKeyConstraint('id', name='teams_pk'),
)""",
)
case(
    "create_every_type",
    """
op.create_table(
    'samples',
    sa.Column('id', postgresql.UUID(as_uuid=True), primary_key=True),
    sa.Column('s', sa.String()),
    sa.Column('s40', sa.String(40)),
    sa.Column('u', sa.Unicode(20)),
    sa.Column('t', sa.Text()),
    sa.Column('ut', sa.UnicodeText()),
    sa.Column('i', sa.Integer()),
    sa.Column('b', sa.BigInteger()),
    sa.Column('sm', sa.SmallInteger()),
    sa.Column('n', sa.Numeric(10, 2)),
    sa.Column('f', sa.Float()),
    sa.Column('r', sa.REAL()),
    sa.Column('bool', sa.Boolean()),
    sa.Column('d', sa.Date()),
    sa.Column('dt', sa.DateTime()),
    sa.Column('dtz', sa.DateTime(timezone=True)),
    sa.Column('tm', sa.Time()),
    sa.Column('iv', sa.Interval()),
    sa.Column('lb', sa.LargeBinary()),
    sa.Column('j', sa.JSON()),
    sa.Column('jb', postgresql.JSONB(astext_type=sa.Text())),
    sa.Column('arr', postgresql.ARRAY(sa.Integer())),
    sa.Column('tags', sa.ARRAY(sa.String())),
    sa.Column('ip', postgresql.INET()),
    sa.Column('net', postgresql.CIDR()),
    sa.Column('mac', postgresql.MACADDR()),
    sa.Column('doc', postgresql.TSVECTOR()),
    sa.Column('bs', postgresql.BYTEA()),
    sa.Column('dp', postgresql.DOUBLE_PRECISION()),
    sa.Column('ts', postgresql.TIMESTAMP(timezone=True)),
    sa.Column('vc', sa.VARCHAR(length=12)),
    sa.Column('ch', sa.CHAR(2)),
    sa.Column('hs', postgresql.HSTORE()),
    sa.Column('rng', postgresql.INT4RANGE()),
    sa.Column('tsr', postgresql.TSTZRANGE()),
    sa.Column('money', postgresql.MONEY()),
    sa.Column('uu', sa.Uuid()),
)""",
)
case(
    "create_with_enum",
    """
op.create_table(
    'tickets',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('state', sa.Enum('open', 'closed', name='ticket_state'), nullable=False),
)""",
)
case(
    "create_with_checks",
    """
op.create_table(
    'prices',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('amount', sa.Numeric(12, 2), nullable=False, server_default='0'),
    sa.Column('currency', sa.String(3), nullable=False, server_default=sa.text("'EUR'")),
    sa.Column('team_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount >= 0', name='prices_amount_positive'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name='prices_team_fk', ondelete='RESTRICT'),
    sa.UniqueConstraint('team_id', 'currency', name='prices_team_currency_uq'),
)""",
)
case(
    "create_with_comment",
    """
op.create_table(
    'notes',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('body', sa.Text(), comment='the note'),
    comment='free notes',
)""",
)
case(
    "create_with_index_true",
    """
op.create_table(
    'events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), primary_key=True),
    sa.Column('kind', sa.String(30), nullable=False, index=True),
    sa.Column('ref', sa.String(30), unique=True),
    sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False),
)""",
)
case(
    "create_in_schema",
    """
op.create_table(
    'audit',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('at', sa.DateTime(), server_default=sa.func.now()),
    schema='public',
)""",
)

# ---- add_column -----------------------------------------------------------------------
column("plan", "sa.String(32)", nullable="False", server_default="'free'")
column("nick", "sa.String(length=50)", nullable="True")
column("bio", "sa.Text()")
column("age", "sa.Integer()", nullable="False", server_default="'0'")
column("score", "sa.Float()")
column(
    "balance", "sa.Numeric(precision=12, scale=2)", nullable="False", server_default="sa.text('0')"
)
column("active", "sa.Boolean()", nullable="False", server_default="sa.true()")
column("hidden", "sa.Boolean()", server_default="sa.false()")
column("born", "sa.Date()")
column("seen_at", "sa.DateTime(timezone=True)", server_default="sa.func.now()")
column("login_at", "sa.DateTime()", server_default="sa.text('CURRENT_TIMESTAMP')")
column("token", "postgresql.UUID()", server_default="sa.text('gen_random_uuid()')")
column("prefs", "postgresql.JSONB()", nullable="False", server_default="sa.text(\"'{}'::jsonb\")")
column("raw", "sa.JSON()")
column("tags", "postgresql.ARRAY(sa.String())", server_default="'{}'")
column("avatar", "sa.LargeBinary()")
column("code", "sa.CHAR(3)")
column("handle", "sa.String(40)", unique="True")
column("level", "sa.SmallInteger()", server_default="sa.text('1')")
column("lunch", "sa.Time()")
column("ip", "postgresql.INET()")
column("search", "postgresql.TSVECTOR()")
column("team_id", "sa.BigInteger()", nullable="True")
column("note", "sa.String(200)", comment="'what the editor says'")
column("counter", "sa.Integer()", sa_identity="None")
column("big", "sa.BigInteger()", server_default="'0'", nullable="False")
column("ratio", "sa.Numeric()")
column("kind", "sa.Enum('a', 'b', name='account_kind', create_type=False)")
column("mood", "postgresql.ENUM('happy', 'sad', name='account_mood', create_type=False)")
column("period", "postgresql.TSTZRANGE()")
column("wait", "sa.Interval()")
column("doc", "postgresql.JSONB(astext_type=sa.Text())", nullable="True")
column("quote", "sa.Text()", server_default='"it\'s"')
case(
    "add_with_fk",
    "op.add_column('accounts', sa.Column('squad_id', sa.BigInteger(), sa.ForeignKey('teams.id', ondelete='SET NULL'), nullable=True))",
)
case("add_in_schema", "op.add_column('audit', sa.Column('who', sa.String(50)), schema='public')")
case("drop_column", "op.drop_column('accounts', 'raw')")
case("drop_column_schema", "op.drop_column('audit', 'who', schema='public')")

# ---- alter_column ---------------------------------------------------------------------
for n, args in enumerate(
    [
        "type_=sa.String(80), existing_type=sa.String(50)",
        "type_=sa.Text(), existing_type=sa.String(80)",
        "nullable=False, existing_type=sa.String(254)",
        "nullable=True, existing_type=sa.Integer()",
        "server_default='18', existing_type=sa.Integer()",
        "server_default=None, existing_type=sa.Integer()",
        "type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=True",
        "type_=sa.Integer(), postgresql_using='age::integer'",
        "new_column_name='nickname'",
        "type_=sa.Numeric(14, 4), existing_type=sa.Numeric(12, 2)",
        "server_default=sa.text('now()'), existing_type=sa.DateTime(timezone=True)",
        "nullable=False, server_default=sa.text('false'), existing_type=sa.Boolean()",
        "type_=postgresql.JSONB(), postgresql_using='raw2::jsonb'",
        "comment='changed', existing_type=sa.String(200)",
        "type_=sa.String(5), existing_type=sa.CHAR(3)",
    ]
):
    column_name = [
        "nick",
        "nick",
        "email",
        "age",
        "age",
        "age",
        "age",
        "age",
        "nick",
        "balance",
        "seen_at",
        "hidden",
        "doc",
        "note",
        "code",
    ][n]
    case(f"alter_{n}", f"op.alter_column('accounts', {column_name!r}, {args})")

# ---- indexes --------------------------------------------------------------------------
for n, call in enumerate(
    [
        "op.create_index('ix_accounts_nickname', 'accounts', ['nickname'])",
        "op.create_index(op.f('ix_accounts_born'), 'accounts', ['born'], unique=False)",
        "op.create_index('ix_accounts_handle', 'accounts', ['handle'], unique=True)",
        "op.create_index('ix_accounts_two', 'accounts', ['team_id', 'born'])",
        "op.create_index('ix_accounts_age_c', 'accounts', ['age'], postgresql_concurrently=True)",
        "op.create_index('ix_accounts_prefs', 'accounts', ['prefs'], postgresql_using='gin')",
        "op.create_index('ix_accounts_live', 'accounts', ['email'], postgresql_where=sa.text('active'))",
        "op.create_index('ix_accounts_inc', 'accounts', ['email'], postgresql_include=['nickname'])",
        "op.create_index('ix_accounts_ops', 'accounts', ['nickname'], postgresql_ops={'nickname': 'text_pattern_ops'})",
        "op.create_index('ix_accounts_lower', 'accounts', [sa.text('lower(email)')])",
        "op.create_index('ix_accounts_ine', 'accounts', ['score'], if_not_exists=True)",
        "op.create_index('ix_accounts_desc', 'accounts', [sa.text('born DESC')])",
        "op.create_index('ix_accounts_nnd', 'accounts', ['code'], unique=True, postgresql_nulls_not_distinct=True)",
        "op.create_index('ix_accounts_brin', 'accounts', ['seen_at'], postgresql_using='brin')",
        "op.create_index('ix_accounts_with', 'accounts', ['level'], postgresql_with={'fillfactor': 70})",
        "op.create_index('ix_events_kind_ref', 'events', ['kind', 'ref'], unique=True, postgresql_concurrently=True, if_not_exists=True)",
        "op.create_index('ix_audit_at', 'audit', ['at'], schema='public')",
        "op.create_index(op.f('ix_accounts_ratio'), 'accounts', ['ratio'], unique=False)",
    ]
):
    case(f"index_{n}", call)
for n, call in enumerate(
    [
        "op.drop_index('ix_accounts_nickname', table_name='accounts')",
        "op.drop_index(op.f('ix_accounts_born'), table_name='accounts')",
        "op.drop_index('ix_accounts_age_c', table_name='accounts', postgresql_concurrently=True)",
        "op.drop_index('ix_accounts_ine', table_name='accounts', if_exists=True)",
        "op.drop_index('ix_audit_at', table_name='audit', schema='public')",
    ]
):
    case(f"drop_index_{n}", call)

# ---- constraints ----------------------------------------------------------------------
for n, call in enumerate(
    [
        "op.create_foreign_key('accounts_team_fk', 'accounts', 'teams', ['team_id'], ['id'])",
        "op.create_foreign_key('accounts_team_fk2', 'accounts', 'teams', ['team_id'], ['id'], ondelete='CASCADE', onupdate='CASCADE')",
        "op.create_foreign_key('accounts_team_fk3', 'accounts', 'teams', ['team_id'], ['id'], deferrable=True, initially='DEFERRED')",
        "op.create_foreign_key('accounts_team_fk4', 'accounts', 'teams', ['team_id'], ['id'], postgresql_not_valid=True)",
        "op.create_foreign_key(None, 'events', 'teams', ['account_id'], ['id'])",
        "op.create_foreign_key('audit_fk', 'audit', 'accounts', ['id'], ['id'], source_schema='public', referent_schema='public')",
        "op.create_unique_constraint('accounts_nick_uq', 'accounts', ['nickname'])",
        "op.create_unique_constraint('accounts_pair_uq', 'accounts', ['team_id', 'nickname'])",
        "op.create_unique_constraint(None, 'accounts', ['code'])",
        "op.create_unique_constraint('accounts_ref_uq', 'accounts', ['token'], postgresql_nulls_not_distinct=True)",
        "op.create_unique_constraint('accounts_def_uq', 'accounts', ['big'], deferrable=True, initially='IMMEDIATE')",
        "op.create_check_constraint('accounts_age_ck', 'accounts', 'age >= 0')",
        "op.create_check_constraint('accounts_level_ck', 'accounts', sa.text('level BETWEEN 0 AND 9'))",
        "op.create_check_constraint('accounts_score_ck', 'accounts', sa.column('score') > 0)",
        "op.create_primary_key('notes_pk2', 'tickets', ['id', 'state'])",
        "op.create_exclude_constraint('accounts_period_ex', 'accounts', ('period', '&&'), using='gist')",
    ]
):
    case(f"constraint_{n}", call)
for n, call in enumerate(
    [
        "op.drop_constraint('accounts_team_fk', 'accounts', type_='foreignkey')",
        "op.drop_constraint('accounts_nick_uq', 'accounts', type_='unique')",
        "op.drop_constraint('accounts_age_ck', 'accounts', type_='check')",
        "op.drop_constraint('accounts_pair_uq', 'accounts')",
        "op.drop_constraint('audit_fk', 'audit', schema='public', type_='foreignkey')",
    ]
):
    case(f"drop_constraint_{n}", call)

# ---- tables ---------------------------------------------------------------------------
case("rename_table", "op.rename_table('notes', 'memos')")
case("rename_table_schema", "op.rename_table('memos', 'memos2', schema='public')")
case("drop_table", "op.drop_table('memos2')")
case("create_table_comment", "op.create_table_comment('teams', 'who plays')")
case("drop_table_comment", "op.drop_table_comment('teams')")

# ---- raw SQL --------------------------------------------------------------------------
for n, call in enumerate(
    [
        "op.execute('UPDATE accounts SET age = 0 WHERE age IS NULL')",
        "op.execute(sa.text('UPDATE accounts SET plan = :p WHERE age > 10').bindparams(p='pro'))",
        'op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")',
        "op.execute('ALTER TABLE accounts ADD COLUMN raw2 text')",
        'op.execute("""\n        CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$\n        BEGIN NEW.seen_at = now(); RETURN NEW; END;\n        $$ LANGUAGE plpgsql\n        """)',
        "op.execute('CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch()')",
        "op.execute('COMMENT ON COLUMN accounts.bio IS $$about$$')",
        "op.execute(sa.text(\"UPDATE accounts SET nickname = 'x' WHERE nickname IS NULL\"))",
        "op.execute('DROP INDEX IF EXISTS ix_accounts_two')",
        "op.execute('ALTER TABLE accounts ALTER COLUMN level SET NOT NULL')",
    ]
):
    case(f"execute_{n}", call)
case(
    "autocommit_block",
    """
with op.get_context().autocommit_block():
    op.create_index('ix_accounts_score_c', 'accounts', ['score'], postgresql_concurrently=True)""",
)
case(
    "bulk_insert",
    """
teams = sa.table('teams', sa.column('id', sa.BigInteger()), sa.column('name', sa.String()))
op.bulk_insert(teams, [{'id': 1, 'name': 'a'}, {'id': 2, 'name': "b's"}])""",
)
case(
    "batch_alter",
    """
with op.batch_alter_table('accounts') as batch_op:
    batch_op.add_column(sa.Column('city', sa.String(60)))
    batch_op.alter_column('city', nullable=True, existing_type=sa.String(60))
    batch_op.create_index('ix_accounts_city', ['city'])
    batch_op.drop_column('city')""",
)
case(
    "batch_alter_constraints",
    """
with op.batch_alter_table('teams', schema=None) as batch_op:
    batch_op.create_unique_constraint('teams_name_uq', ['name'])
    batch_op.create_foreign_key('teams_owner_fk2', 'accounts', ['owner_id'], ['id'])
    batch_op.drop_constraint('teams_name_uq', type_='unique')""",
)
case("create_sequence", "op.execute(sa.schema.CreateSequence(sa.Sequence('ticket_no_seq')))")
case("drop_sequence", "op.execute(sa.schema.DropSequence(sa.Sequence('ticket_no_seq')))")
case(
    "enum_create",
    "postgresql.ENUM('happy', 'sad', name='account_mood').create(op.get_bind())",
)
case(
    "add_enum_column",
    "op.add_column('accounts', sa.Column('mood2', postgresql.ENUM('happy', 'sad', name='account_mood', create_type=False)))",
)

# ---- more shapes ------------------------------------------------------------------------
for n, (definition, options) in enumerate(
    [
        ("sa.Integer()", "nullable=False, server_default=sa.text('7')"),
        ("sa.String(255)", "nullable=False, server_default=''"),
        ("sa.DateTime(timezone=False)", "nullable=True"),
        ("sa.Numeric(8, 3)", "server_default='1.5'"),
        ("postgresql.ARRAY(sa.Integer())", "nullable=False, server_default='{1,2}'"),
        ("sa.Boolean()", "nullable=True, server_default=None"),
        ("postgresql.JSON()", ""),
        ("postgresql.TIMESTAMP()", "server_default=sa.text('now()')"),
        ("sa.Unicode(10)", ""),
        ("postgresql.INTERVAL()", ""),
        ("postgresql.DATERANGE()", ""),
        ("postgresql.CITEXT()", ""),
        ("sa.BigInteger()", "sa.Identity()"),
        ("sa.Float(precision=53)", ""),
        ("postgresql.BIT(8)", ""),
        ("postgresql.OID()", ""),
        (
            "postgresql.UUID(as_uuid=False)",
            "nullable=False, server_default=sa.text('gen_random_uuid()')",
        ),
        ("sa.Text()", "nullable=False, server_default=sa.text(\"''\")"),
        ("sa.SmallInteger()", "nullable=False, server_default='0'"),
        ("postgresql.MONEY()", ""),
    ]
):
    args = f", {options}" if options and not options.startswith("sa.Identity") else ""
    identity = f", {options}" if options.startswith("sa.Identity") else ""
    case(
        f"add_extra{n}",
        f"op.add_column('accounts', sa.Column('extra{n}', {definition}{identity}{args}))",
    )
for n, (name, args) in enumerate(
    [
        ("extra0", "nullable=True, existing_type=sa.Integer()"),
        ("extra1", "type_=sa.String(300), existing_type=sa.String(255)"),
        ("extra2", "type_=sa.DateTime(timezone=True), existing_type=sa.DateTime()"),
        ("extra3", "server_default=sa.text('2.5'), existing_type=sa.Numeric(8, 3)"),
        ("extra5", "nullable=False, existing_type=sa.Boolean()"),
        ("extra8", "type_=sa.Text(), existing_type=sa.Unicode(10)"),
        ("extra18", "new_column_name='extra18b', existing_type=sa.SmallInteger()"),
    ]
):
    case(f"alter_extra{n}", f"op.alter_column('accounts', {name!r}, {args})")
for n, name in enumerate(["extra9", "extra10", "extra14"]):
    case(f"drop_extra{n}", f"op.drop_column('accounts', {name!r})")


# ---- alembic_utils' replaceable entities: op.create_entity / replace_entity / drop_entity --
ENTITIES = {
    "ext": "PGExtension(schema='public', signature='pg_trgm')",
    "ext_q": "PGExtension(schema='public', signature='\"uuid-ossp\"')",
    "fn": """PGFunction(
    schema='public',
    signature='to_upper(some_text text)',
    definition=\"\"\"
    returns text
    as
    $$ select upper(some_text) || 'abc'::text $$ language SQL;
    \"\"\",
)""",
    "fn_default": """PGFunction(
    schema='public',
    signature='add_some(a integer, b integer default 1)',
    definition="returns integer as $$ select a + b $$ language sql immutable",
)""",
    "fn_plpgsql": """PGFunction(
    schema='public',
    signature='touch_updated()',
    definition=\"\"\"returns trigger as $$
begin
    new.updated := now();
    return new;
end;
$$ language plpgsql\"\"\",
)""",
    "view": """PGView(
    schema='public',
    signature='active_accounts',
    definition="select id, email from accounts where email is not null",
)""",
    "mview": """PGMaterializedView(
    schema='public',
    signature='account_count',
    definition='select count(*) as n from accounts;',
    with_data=True,
)""",
    "mview_nodata": """PGMaterializedView(
    schema='public',
    signature='account_ids',
    definition='select id from accounts',
    with_data=False,
)""",
    "trigger": """PGTrigger(
    schema='public',
    signature='accounts_touch',
    on_entity='public.accounts',
    definition='BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION public.touch_updated()',
)""",
    "ctrigger": """PGTrigger(
    schema='public',
    signature='accounts_check',
    on_entity='public.accounts',
    is_constraint=True,
    definition='AFTER INSERT ON accounts INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE public.touch_updated()',
)""",
    "policy": """PGPolicy(
    schema='public',
    signature='allow_read',
    on_entity='public.accounts',
    definition="AS PERMISSIVE FOR SELECT TO public USING (id > 0)",
)""",
    "grant": """PGGrantTable(
    schema='public',
    table='accounts',
    columns=['id', 'email'],
    role='reporting',
    grant='SELECT',
    with_grant_option=False,
)""",
    "grant_all": """PGGrantTable(
    schema='public',
    table='accounts',
    role='reporting',
    grant='DELETE',
    with_grant_option=True,
)""",
}
IMPORTS = """from alembic_utils.pg_extension import PGExtension
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_grant_table import PGGrantTable
from alembic_utils.pg_materialized_view import PGMaterializedView
from alembic_utils.pg_policy import PGPolicy
from alembic_utils.pg_trigger import PGTrigger
from alembic_utils.pg_view import PGView
"""


def entity(name: str, call: str, key: str) -> None:
    case(name, call.format(e=key), prelude=f"{IMPORTS}\n{key} = {ENTITIES[key]}\n")


for key in ENTITIES:
    entity(f"create_entity_{key}", "op.create_entity({e})", key)
for key in ("fn", "fn_default", "view", "mview", "trigger", "policy", "grant"):
    entity(f"replace_entity_{key}", "op.replace_entity({e})", key)
for key in ENTITIES:
    entity(f"drop_entity_{key}", "op.drop_entity({e})", key)
for key in ("ext", "fn", "view", "mview"):
    entity(f"drop_entity_cascade_{key}", "op.drop_entity({e}, cascade=True)", key)
case(
    "create_entity_inline",
    "op.create_entity(PGView(schema='public', signature='emails', definition='select email from accounts'))",
    prelude="from alembic_utils.pg_view import PGView",
)

# ---- names over PostgreSQL's 63 characters: op.f() names are truncated as SQLAlchemy does --
LONG = "ix_accounts_a_very_long_index_name_that_goes_on_and_on_past_sixty_three_chars"
case("long_index_name", f"op.create_index(op.f({LONG!r}), 'accounts', ['email'])")
case("long_index_drop", f"op.drop_index(op.f({LONG!r}), table_name='accounts')")
case(
    "long_unique_name",
    "op.create_unique_constraint(op.f('uq_accounts_email_and_a_name_long_enough_to_be_cut_by_sqlalchemy_x'), 'accounts', ['email'])",
)
case(
    "long_fk_name",
    "op.create_foreign_key(op.f('fk_accounts_id_accounts_a_name_long_enough_to_be_cut_by_sqlalchemy_x'), 'accounts', 'accounts', ['id'], ['id'])",
)
case(
    "long_check_name",
    "op.create_check_constraint(op.f('ck_accounts_id_positive_and_a_name_long_enough_to_be_cut_by_sqlalchemy'), 'accounts', 'id > 0')",
)
case(
    "long_constraint_drop",
    "op.drop_constraint(op.f('uq_accounts_email_and_a_name_long_enough_to_be_cut_by_sqlalchemy_x'), 'accounts')",
)


# ---- data operations with values written in the file (offline --sql renders them inline) ---
TEAMS = (
    "teams = sa.table('teams', sa.column('id', sa.BigInteger()), sa.column('name', sa.String()), "
    "sa.column('owner_id', sa.Integer()))"
)
case(
    "bulk_insert_table_order",
    f"""
{TEAMS}
op.bulk_insert(teams, [{{'name': 'c', 'id': 3}}, {{'owner_id': None, 'id': 4, 'name': 'd'}}])""",
)
case(
    "bulk_insert_core_table",
    """
meta = sa.MetaData()
squads = sa.Table(
    'teams',
    meta,
    sa.Column('id', sa.BigInteger(), primary_key=True),
    sa.Column('name', sa.String(100)),
    sa.Column('owner_id', sa.Integer()),
)
op.bulk_insert(squads, [{'id': 5, 'name': 'e', 'owner_id': 1}, {'id': 6, 'name': 'f'}])""",
)
case(
    "bulk_insert_values_of_every_kind",
    """
flags = sa.table('accounts', sa.column('id', sa.Integer()), sa.column('active', sa.Boolean()),
                 sa.column('score', sa.Float()), sa.column('email', sa.String()))
op.bulk_insert(flags, [{'id': 7, 'active': True, 'score': 1.5, 'email': 'o''k@x'}, {'id': 8, 'active': False, 'score': -2, 'email': None}])""",
)
case(
    "execute_update_where_values",
    f"""
{TEAMS}
op.execute(teams.update().where(teams.c.id == 1).values(name='renamed'))""",
)
case(
    "execute_update_values_and_where",
    f"""
{TEAMS}
op.execute(teams.update().values({{'name': 'x', 'owner_id': None}}).where(teams.c.name.is_(None)))""",
)
case(
    "execute_insert_values",
    f"""
{TEAMS}
op.execute(teams.insert().values(id=9, name="it's"))""",
)
case(
    "execute_delete_where",
    f"""
{TEAMS}
op.execute(teams.delete().where(teams.c.name == 'x'))""",
)
case(
    "execute_delete_everything",
    f"""
{TEAMS}
op.execute(teams.delete())""",
)
case(
    "execute_sa_update_and",
    f"""
{TEAMS}
op.execute(
    sa.update(teams)
    .where(sa.and_(teams.c.id > 2, teams.c.owner_id != 3))
    .values(owner_id=1)
)""",
)
case(
    "execute_sa_delete_in_or",
    f"""
{TEAMS}
op.execute(sa.delete(teams).where(sa.or_(teams.c.id.in_([1, 2]), teams.c.name.isnot(None))))""",
)
case(
    "execute_sa_insert",
    f"""
{TEAMS}
op.execute(sa.insert(teams).values(id=10, name='j', owner_id=2))""",
)
case(
    "execute_update_bare_column",
    """
op.execute(sa.table('accounts', sa.column('plan', sa.String())).update().where(sa.column('plan') == 'free').values(plan='basic'))""",
)
case(
    "execute_text_bindparams_kinds",
    "op.execute(sa.text('UPDATE accounts SET active = :on, nick = :n WHERE id = :i').bindparams(on=True, n=None, i=4))",
)
# values known only when the revision runs: rendered by Alembic, flagged by pgfence
case(
    "bulk_insert_run_time_value",
    f"""
{TEAMS}
op.bulk_insert(teams, [{{'id': 11, 'name': str(uuid.uuid4())[:0] + 'k'}}])""",
    prelude="import uuid",
)
case(
    "execute_update_run_time_value",
    """
accounts = sa.table('accounts', sa.column('id', sa.Integer()), sa.column('nick', sa.String()))
op.execute(accounts.update().where(accounts.c.id == 1).values(nick=os.environ.get('PGFENCE_NO_SUCH_VAR', 'n')))""",
    prelude="import os",
)


def write(root: Path) -> list[str]:
    """The corpus as `root/versions/*.py`; the revisions, in order."""
    folder = root / "versions"
    folder.mkdir(parents=True, exist_ok=True)
    revisions = []
    down = None
    for index, (name, body, prelude) in enumerate(CASES, 1):
        revision = f"r{index:04d}"
        text = HEADER.format(
            revision=revision,
            down=down,
            prelude=f"{prelude}\n" if prelude else "",
            body="\n".join("    " + line for line in body.splitlines()),
        )
        (folder / f"{revision}_{name}.py").write_text(text)
        revisions.append(revision)
        down = revision
    return revisions
