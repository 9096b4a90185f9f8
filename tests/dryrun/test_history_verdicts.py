"""Verdicts a clean history earns: histories that do only what the prediction says exit
clean. Each case is a pattern found in a real project's migrations (tools/corpus.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import VerdictKind
from pgfence.sources import load_migrations

pytestmark = pytest.mark.postgres


def _history(server, root: Path, fmt: str, database: str, files: dict[str, str], **options):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    migrations = load_migrations([str(root)], fmt=fmt)
    return dry_run(server, migrations, DryRunOptions(database=database, **options))


def _under(report) -> list[str]:
    return [
        f"{Path(s.statement.location.file).name}:{s.statement.location.line} {s.verdict.reasons}"
        for s in report.statements
        if s.verdict is not None and s.verdict.kind is VerdictKind.UNDER_PREDICTED
    ]


def test_dropping_a_table_or_column_locks_the_sequence_it_owns(pg, tmp_path, database_name):
    # harbor: DROP TABLE IF EXISTS of tables with serial keys, 12 times in one history.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__init.sql": (
                "CREATE TABLE q (id serial PRIMARY KEY, name text);\n"
                "CREATE TABLE r (id int GENERATED ALWAYS AS IDENTITY, x bigserial);\n"
            ),
            "V2__drop_column.sql": "ALTER TABLE r DROP COLUMN x;\n",
            "V3__drop.sql": "DROP TABLE IF EXISTS q;\nDROP TABLE r;\n",
        },
    )
    assert _under(report) == []
    drop_q = next(s for s in report.statements if s.statement.sql.startswith("DROP TABLE IF"))
    assert "public.q_id_seq" in {lock.relation for lock in drop_q.prediction.locks}


FAILING_HISTORY = {
    "V1__a.sql": "CREATE TABLE a (id int);\n",
    "V2__b.sql": "ALTER TABLE missing ADD COLUMN x int;\n",
    "V3__c.sql": "ALTER TABLE a ADD COLUMN y int;\nALTER TABLE b ADD COLUMN z int;\n",
}


def _reasons(report) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (f"{Path(s.statement.location.file).name}:{s.statement.location.line}", s.verdict.reasons)
        for s in report.statements
        if s.verdict is not None
    ]


def test_after_a_failed_migration_the_later_ones_are_not_applied(pg, tmp_path, database_name):
    report = _history(pg, tmp_path / "f", "flyway", database_name, FAILING_HISTORY)
    reasons = dict(_reasons(report))
    assert reasons["V1__a.sql:1"] == ()
    assert reasons["V2__b.sql:1"][0] == 'failed: relation "missing" does not exist'
    # It started from nothing: the failure says how to give it a schema.
    assert "started from an empty database" in reasons["V2__b.sql:1"][1]
    assert "--schema" in reasons["V2__b.sql:1"][1]
    stopped = "the migration tool stops at the migration that failed (V2__b.sql:1)"
    assert all(stopped in reasons[f"V3__c.sql:{n}"][0] for n in (1, 2))
    every = [f for s in report.statements for f in s.findings] + list(report.findings)
    failed = next(f for f in every if f.rule == "statement-failed")
    assert "started from an empty database" in failed.message


def test_keep_going_runs_the_rest_and_marks_what_may_follow_from_it(pg, tmp_path, database_name):
    report = _history(pg, tmp_path / "f", "flyway", database_name, FAILING_HISTORY, keep_going=True)
    reasons = dict(_reasons(report))
    assert reasons["V3__c.sql:1"] == ()  # ran, confirmed
    assert reasons["V3__c.sql:2"] == (
        'failed: relation "b" does not exist',
        "may be a consequence of the failure at V2__b.sql:1",
    )


def test_a_run_from_a_schema_does_not_blame_the_empty_database(pg, tmp_path, database_name):
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE a (id int);\n")
    migration = tmp_path / "m" / "V1__x.sql"
    migration.parent.mkdir()
    migration.write_text("ALTER TABLE missing ADD COLUMN x int;\n")
    migrations = load_migrations([str(migration.parent)], fmt="flyway")
    report = dry_run(pg, migrations, DryRunOptions(schema_file=str(schema), database=database_name))
    (s,) = report.statements
    assert s.verdict is not None and s.verdict.reasons == (
        'failed: relation "missing" does not exist',
    )


def test_a_commit_inside_the_tool_s_transaction_ends_what_it_created(pg, tmp_path, database_name):
    # A Drizzle file with BEGIN … COMMIT of its own, inside the transaction Drizzle runs
    # every file in: after the COMMIT, what the earlier files created is no longer new
    # (34 false verdicts in one real history).
    journal = (
        '{"version":"7","dialect":"postgresql","entries":['
        + ",".join(
            f'{{"idx":{i},"version":"7","when":{i},"tag":"{tag}","breakpoints":true}}'
            for i, tag in enumerate(["0000_a", "0001_b", "0002_c"])
        )
        + "]}"
    )
    report = _history(
        pg,
        tmp_path / "drizzle",
        "drizzle",
        database_name,
        {
            "0000_a.sql": (
                'CREATE TABLE "w" ("id" int);\n--> statement-breakpoint\n'
                'CREATE INDEX "w_id" ON "w" ("id");\n'
            ),
            "0001_b.sql": (
                "BEGIN;\n--> statement-breakpoint\n"
                'ALTER TABLE "w" ADD COLUMN "n" text;\n--> statement-breakpoint\nCOMMIT;\n'
            ),
            "0002_c.sql": 'DROP INDEX "w_id";\n',
            "meta/_journal.json": journal,
        },
    )
    assert _under(report) == []
    drop = report.statements[-1]
    assert drop.prediction.blocks_reads and drop.prediction.blocks_writes
    # The tool's own row, written in its transaction, is not the next statement's lock.
    for s in report.statements:
        assert s.observation is not None
        assert not any(
            "__drizzle_migrations" in lock.relation and lock.acquired
            for lock in s.observation.locks
        )


def test_a_rename_and_a_re_created_index_name_relations_as_the_prediction_does(
    pg, tmp_path, database_name
):
    # harbor renamed a table and wrote to it in one file; a Flyway history dropped and
    # re-created a unique index under the same name (once reported "rewritten").
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": (
                "CREATE TABLE target (id int);\n"
                "CREATE TABLE q (id int PRIMARY KEY, name text);\n"
                "CREATE UNIQUE INDEX q_name ON q (name);\n"
            ),
            "V2__rename.sql": "ALTER TABLE target RENAME TO registry;\nUPDATE registry SET id = 1;\n",
            "V3__recreate.sql": "DROP INDEX q_name;\nCREATE UNIQUE INDEX q_name ON q (name);\n",
        },
    )
    assert _under(report) == []
    update = next(s for s in report.statements if s.statement.sql.startswith("UPDATE"))
    assert update.observation is not None
    assert {lock.relation for lock in update.observation.locks} == {"public.registry"}


def test_what_a_renamed_table_holds_is_found_under_its_new_name(pg, tmp_path, database_name):
    # netbox renamed a table and then renamed its constraints in the same migration: the
    # AccessExclusiveLock the RENAME TO took is what the later statements need (once
    # reported "over-predicted: took nothing").
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE old_links (id int CONSTRAINT old_links_pk PRIMARY KEY);\n",
            "V2__rename.sql": (
                "ALTER TABLE old_links RENAME TO links;\n"
                "ALTER TABLE links RENAME CONSTRAINT old_links_pk TO links_pk;\n"
            ),
        },
    )
    verdicts = {s.statement.sql: (s.verdict.kind, s.verdict.reasons) for s in report.statements}
    renamed = "ALTER TABLE links RENAME CONSTRAINT old_links_pk TO links_pk"
    assert verdicts[renamed] == (VerdictKind.CONFIRMED, ())


@pytest.mark.parametrize("major", [14, 18])
def test_alter_sequence_as_bigint_gives_the_sequence_a_new_file(
    servers, major, tmp_path, database_name
):
    # harbor (ALTER SEQUENCE … AS BIGINT, 4 times) and Django's AlterField of an integer
    # key to bigint (ALTER SEQUENCE IF EXISTS … AS bigint): once "rewritten, not predicted".
    report = _history(
        servers.get(major),
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE q (id serial PRIMARY KEY);\n",
            "V2__widen.sql": (
                "ALTER TABLE q ALTER COLUMN id TYPE bigint;\n"
                "ALTER SEQUENCE q_id_seq AS BIGINT;\n"
                "ALTER SEQUENCE IF EXISTS q_id_seq AS bigint;\n"
                "ALTER SEQUENCE q_id_seq OWNED BY q.id;\n"
            ),
        },
    )
    assert _under(report) == []
    by_sql = {s.statement.sql: s for s in report.statements}
    for sql in ("ALTER SEQUENCE q_id_seq AS BIGINT", "ALTER SEQUENCE IF EXISTS q_id_seq AS bigint"):
        assert by_sql[sql].observation is not None
        assert "public.q_id_seq" in by_sql[sql].observation.rewritten
        assert "public.q_id_seq" in by_sql[sql].prediction.rewrites
    assert by_sql["ALTER SEQUENCE q_id_seq OWNED BY q.id"].prediction.rewrites == ()


def test_a_key_dropped_and_added_again_in_one_alter_table_is_not_a_rewrite(
    pg, tmp_path, database_name
):
    # documenso (Prisma): DROP CONSTRAINT "UserProfile_pkey", …, ADD CONSTRAINT
    # "UserProfile_pkey" PRIMARY KEY in one ALTER TABLE; once "rewritten, not predicted".
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE p (user_id int CONSTRAINT p_pkey PRIMARY KEY, bio text);\n",
            "V2__rekey.sql": (
                "ALTER TABLE p DROP CONSTRAINT p_pkey, ADD COLUMN id int NOT NULL,"
                " ADD CONSTRAINT p_pkey PRIMARY KEY (id);\n"
                "ALTER TABLE p DROP CONSTRAINT p_pkey, ALTER COLUMN id SET DATA TYPE text,"
                " ADD CONSTRAINT p_pkey PRIMARY KEY (id);\n"
            ),
        },
    )
    assert _under(report) == []
    for rekey in report.statements[1:]:
        assert rekey.observation is not None and "public.p_pkey" in rekey.observation.rewritten
        assert "public.p_pkey" in rekey.prediction.rebuilds


def test_a_renamed_foreign_key_is_known_by_its_new_name(pg, tmp_path, database_name):
    # outline (Sequelize): RENAME CONSTRAINT of inline foreign keys, then DROP CONSTRAINT
    # by the new name; the referenced table's ACCESS EXCLUSIVE was once "predicted
    # nothing", and every later statement of the transaction under-predicted with it.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": (
                "CREATE TABLE owners (id int PRIMARY KEY);\n"
                "CREATE TABLE grants (owner_id int REFERENCES owners (id), n int,"
                " CONSTRAINT grants_n_key UNIQUE (n));\n"
            ),
            "V2__rename.sql": (
                "ALTER TABLE ONLY grants RENAME CONSTRAINT grants_owner_id_fkey TO perms_owner_fk;\n"
                "ALTER TABLE grants RENAME CONSTRAINT grants_n_key TO perms_n_key;\n"
                "ALTER TABLE grants DROP CONSTRAINT perms_owner_fk;\n"
                "ALTER TABLE grants ADD CONSTRAINT perms_owner_fk FOREIGN KEY (owner_id)"
                " REFERENCES owners (id) ON DELETE SET NULL;\n"
                "ALTER INDEX perms_n_key SET (fillfactor = 90);\n"
            ),
        },
    )
    assert _under(report) == []
    drop = next(s for s in report.statements if "DROP CONSTRAINT" in s.statement.sql)
    assert "public.owners" in {lock.relation for lock in drop.prediction.locks}


@pytest.mark.parametrize("major", [14, 18])
def test_changing_an_array_column_s_element_type_rewrites(servers, major, tmp_path, database_name):
    # outline: varchar(255)[] -> varchar(1024)[] once "rewritten, not predicted": each
    # element is coerced (ArrayCoerceExpr) even where the same change of a plain column
    # is free; dropping the modifier alone is a relabel.
    report = _history(
        servers.get(major),
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE c (u varchar(255)[], v varchar(10)[], w varchar[]);\n",
            "V2__widen.sql": (
                "ALTER TABLE c ALTER COLUMN u TYPE varchar(1024)[];\n"
                "ALTER TABLE c ALTER COLUMN v TYPE varchar[];\n"
                "ALTER TABLE c ALTER COLUMN w TYPE text[];\n"
            ),
        },
    )
    assert _under(report) == []
    rewrites = {
        s.statement.sql.split(" COLUMN ")[1][0]: s.prediction.rewrites
        for s in report.statements[1:]
    }
    assert rewrites == {"u": ("public.c",), "v": (), "w": ("public.c",)}


@pytest.mark.parametrize("major", [14, 18])
def test_an_identity_column_altered_to_its_own_type_alters_its_sequence(
    servers, major, tmp_path, database_name
):
    # netbox (users 0005): auth_user renamed to users_user, then RunSQL ALTER COLUMN id TYPE
    # bigint of its bigint identity column: no table rewrite, but the sequence (still
    # auth_user_id_seq) is altered: once "took ShareRowExclusiveLock, predicted nothing".
    report = _history(
        servers.get(major),
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": (
                "CREATE TABLE auth_user (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);\n"
            ),
            "V2__b.sql": (
                "ALTER TABLE auth_user RENAME TO users_user;\n"
                "ALTER TABLE users_user ALTER COLUMN id TYPE bigint;\n"
            ),
        },
    )
    assert _under(report) == []
    alter = report.statements[-1]
    assert alter.prediction.rewrites == ("public.auth_user_id_seq",)


def test_data_modifying_ctes_lock_what_they_write(pg, tmp_path, database_name):
    # dokploy (Drizzle): WITH inserted_users AS (INSERT …), inserted_orgs AS (INSERT …)
    # INSERT INTO member … JOIN inserted_orgs: the CTE was once predicted as a table read,
    # and the tables the CTEs wrote were not predicted at all.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": (
                "CREATE TABLE admin (id int PRIMARY KEY);\n"
                "CREATE TABLE org (id serial PRIMARY KEY, owner int);\n"
                "CREATE TABLE member (org int, who int);\n"
                "INSERT INTO admin VALUES (1), (2);\n"
            ),
            "V2__b.sql": (
                "WITH inserted_orgs AS (INSERT INTO org (owner) SELECT id FROM admin RETURNING *),\n"
                " owners AS (INSERT INTO member SELECT o.id, o.owner FROM inserted_orgs o"
                " RETURNING *)\n"
                "INSERT INTO member SELECT o.id, a.id FROM admin a"
                " JOIN inserted_orgs o ON o.owner = a.id;\n"
            ),
        },
    )
    assert _under(report) == []
    insert = report.statements[-1]
    assert insert.verdict is not None and insert.verdict.kind is VerdictKind.CONFIRMED
    predicted = {lock.relation: lock.mode.name for lock in insert.prediction.locks}
    assert "public.inserted_orgs" not in predicted
    assert predicted["public.org"] == "ROW_EXCLUSIVE"


def test_a_type_change_locks_only_the_tables_whose_keys_reference_the_column(
    pg, tmp_path, database_name
):
    # netbox: dcim_device.position is in a unique constraint; 13 tables reference
    # dcim_device.id. ALTER COLUMN position TYPE was predicted to lock all 13 (they took
    # nothing: over-predicted, 21 times); a key column that is referenced does lock them.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": (
                "CREATE TABLE device (id int PRIMARY KEY, code int, position smallint,"
                " CONSTRAINT device_pos UNIQUE (code, position), CONSTRAINT device_code UNIQUE (code));\n"
                "CREATE TABLE port (device_id int REFERENCES device);\n"
                "CREATE TABLE bay (code int REFERENCES device (code));\n"
            ),
            "V2__b.sql": (
                "ALTER TABLE device ALTER COLUMN position TYPE numeric(4, 1);\n"
                "ALTER TABLE device ALTER COLUMN code TYPE bigint;\n"
                "ALTER TABLE device RENAME COLUMN code TO serial;\n"
                "ALTER TABLE device ALTER COLUMN serial TYPE numeric;\n"
            ),
        },
    )
    verdicts = {s.statement.sql: s for s in report.statements}
    for s in report.statements[3:]:
        assert s.verdict is not None and s.verdict.kind is VerdictKind.CONFIRMED, s.verdict
    locked = {
        sql.split(" COLUMN ")[1].split()[0]: {
            lock.relation for lock in s.prediction.locks if lock.role == "referencing"
        }
        for sql, s in verdicts.items()
        if "TYPE" in sql
    }
    assert locked == {"position": set(), "code": {"public.bay"}, "serial": {"public.bay"}}


def test_if_exists_of_what_is_not_there_predicts_no_lock(pg, tmp_path, database_name):
    # netbox, outline, harbor: DROP SEQUENCE / VIEW / TRIGGER IF EXISTS, ALTER INDEX IF
    # EXISTS … RENAME of objects the history never made (or already dropped): no-ops
    # predicted to block reads and writes (over-predicted). What is there is still locked.
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE t (id serial PRIMARY KEY);\nCREATE VIEW v AS SELECT id FROM t;\n",
            "V2__b.sql": (
                "DROP SEQUENCE IF EXISTS admin_log_id_seq;\n"
                "DROP VIEW IF EXISTS group_permissions;\n"
                "DROP TRIGGER IF EXISTS trg ON img_scan_overview;\n"
                "ALTER INDEX IF EXISTS rackgroup_pkey RENAME TO location_pkey;\n"
                "ALTER TABLE IF EXISTS gone ADD COLUMN x int;\n"
                "ALTER SEQUENCE IF EXISTS gone_id_seq AS bigint;\n"
                "DROP VIEW IF EXISTS v;\n"
                "ALTER SEQUENCE IF EXISTS t_id_seq RESTART;\n"
            ),
        },
    )
    for s in report.statements[2:]:
        assert s.verdict is not None and s.verdict.kind is VerdictKind.CONFIRMED, (
            s.statement.sql,
            s.verdict,
        )
    locks = {
        s.statement.sql: {lock.relation for lock in s.prediction.locks} for s in report.statements
    }
    assert locks["DROP SEQUENCE IF EXISTS admin_log_id_seq"] == set()
    assert locks["ALTER INDEX IF EXISTS rackgroup_pkey RENAME TO location_pkey"] == set()
    assert locks["DROP VIEW IF EXISTS v"] == {"public.v"}
    assert locks["ALTER SEQUENCE IF EXISTS t_id_seq RESTART"] == {"public.t_id_seq"}


def test_an_owned_sequence_is_known_as_a_sequence(pg, tmp_path, database_name):
    # netbox (ALTER TABLE auth_user_id_seq RENAME TO users_user_id_seq, 16 times) and
    # documenso (DROP SEQUENCE "Webhook_id_seq"): a serial column's sequence was taken
    # for a table whose readers and writers the statement blocks (over-predicted).
    report = _history(
        pg,
        tmp_path / "flyway",
        "flyway",
        database_name,
        {
            "V1__a.sql": "CREATE TABLE w (id serial PRIMARY KEY, n serial);\n",
            "V2__b.sql": (
                "ALTER TABLE w_id_seq RENAME TO hooks_id_seq;\n"
                "ALTER TABLE w ALTER COLUMN n DROP DEFAULT;\n"
                "DROP SEQUENCE w_n_seq;\n"
            ),
        },
    )
    for s in report.statements[1:]:
        assert s.verdict is not None and s.verdict.kind is VerdictKind.CONFIRMED, s.verdict
        assert not s.prediction.reads_blocked_on or s.statement.sql.startswith("ALTER TABLE w ")


_EVERY_KIND_OF_CHANGE = (
    "CREATE TABLE p (id serial PRIMARY KEY, note varchar(20));\n"
    "CREATE INDEX p_note ON p (note);\n"
    "ALTER TABLE p ALTER COLUMN note TYPE varchar(40);\n"
    "ALTER TABLE p ALTER COLUMN id TYPE bigint;\n"
    "ALTER TABLE p RENAME TO q;\n"
    "ALTER INDEX p_note RENAME TO q_note;\n"
    "INSERT INTO q (note) VALUES ('a');\n"
    "TRUNCATE q;\n"
    "DROP INDEX q_note;\n"
    "CREATE TABLE r (id int REFERENCES q (id), body text);\n"
    "DROP TABLE r;\n"
)


# How the probe's and the change check's queries are chosen by what the transaction holds:
# as shipped (few relations, each looked up by itself), as a long transaction is observed,
# and planned each time.
_THRESHOLDS = [
    {},
    {"FEW_LOCKS": 0, "LOOKED_UP_UP_TO": 0},
    {"FEW_LOCKS": 0, "LOOKED_UP_UP_TO": 0, "PREPARED_UP_TO": 0},
]


def test_every_way_of_reading_the_transaction_observes_the_same(pg, tmp_path, database_name):
    """Whichever queries `probe.FEW_LOCKS`, `introspect.LOOKED_UP_UP_TO` and
    `introspect.PREPARED_UP_TO` choose, a statement's locks, rewrites and rebuilt indexes
    are the same."""
    from pgfence.dryrun import introspect, probe

    runs = []
    for n, thresholds in enumerate(_THRESHOLDS):
        with pytest.MonkeyPatch.context() as patch:
            for name, value in thresholds.items():
                patch.setattr(probe if name == "FEW_LOCKS" else introspect, name, value)
            report = _history(
                pg,
                tmp_path / str(n),
                "flyway",
                f"{database_name}_{n}",
                {"V1__all.sql": _EVERY_KIND_OF_CHANGE},
            )
        assert _under(report) == []
        runs.append(
            [
                (
                    s.statement.sql.split()[0:3],
                    sorted(  # by name, a transient or TOAST relation's OID aside
                        (re.sub(r"\d+", "N", lock.relation), lock.mode.name, lock.acquired)
                        for lock in s.observation.locks
                    ),
                    s.observation.rewritten,
                    s.observation.rebuilt,
                )
                for s in report.statements
            ]
        )
    seen = runs[0]
    assert seen[2][2] == () and "public.p" in seen[3][2]  # varchar(20 -> 40) is no rewrite
    assert seen[3][3]  # a bigint key: its index rebuilt
    assert runs[1] == seen and runs[2] == seen
