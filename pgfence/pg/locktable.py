"""The lock table: statement kind -> locks per relation, rewrite, scan, Postgres versions.

This is the one place that says what a statement locks. `predict.py` only decides which
row applies to a parsed statement and which relations fill each role; the facts live
here, as data, so that the scenarios (scenarios/<row>/) can check every row against a
real server of every version, and docs/lock-matrix.md can be generated from them.

Sources: Postgres's AlterTableGetLockLevel() and the DDL commands in src/backend/commands
(14 to 18), the "Explicit Locking" chapter, and measurements on real servers (the
scenarios). Roles name the relations a row locks:

  target             the table (or view, index, sequence) the statement names
  target-indexes     every index of the target (opened, rebuilt or scanned with it)
  target-partitions  its partitions, which ALTER TABLE recurses to with the same lock
  new                the relation the statement creates (invisible to other sessions)
  referenced         the table a new foreign key points at
  referencing        tables whose foreign keys point at the target
  index              the index the statement names
  index-table        the table of that index
  parent / partition ATTACH / DETACH / CREATE TABLE … PARTITION OF
  default-partition  the parent's DEFAULT partition, checked for rows that now belong elsewhere
  sources            relations a query reads (views, CREATE TABLE AS, INSERT … SELECT)
  sequence           a sequence the statement names or uses
  toast-index        the index of the target's TOAST table (REINDEX TABLE rebuilds it)
  partition-indexes  the indexes of the target's partitions
  rebuilt-index      an index rebuilt (a new file) while its table is not rewritten
  referenced-partitions  the partitions of a partitioned table a foreign key references
  dependents         objects a CASCADE drops with the target (views, columns, triggers, …)
  cascaded           tables whose rows ON DELETE / ON UPDATE CASCADE, SET NULL or SET
                     DEFAULT write (RI_FKey_cascade_del and friends run a DELETE / UPDATE)

A partitioned table or index has no storage: where a row rewrites the target, Postgres
rewrites its partitions (and their indexes) instead; predict.py drops the partitioned
relations themselves from the rewrite (measured on 14-18).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pgfence.pg.locks import LockMode
from pgfence.pg.rows import Row
from pgfence.pg.versions import NEWEST, OLDEST

AS = LockMode.ACCESS_SHARE
RS = LockMode.ROW_SHARE
RE = LockMode.ROW_EXCLUSIVE
SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
S = LockMode.SHARE
SRE = LockMode.SHARE_ROW_EXCLUSIVE
E = LockMode.EXCLUSIVE
AE = LockMode.ACCESS_EXCLUSIVE


ROLES = (
    "target",
    "target-indexes",
    "target-partitions",
    "new",
    "referenced",
    "referencing",
    "index",
    "index-table",
    "parent",
    "partition",
    "default-partition",
    "sources",
    "sequence",
    "toast-index",
    "partition-indexes",
    "rebuilt-index",
    "referenced-partitions",
    "dependents",
    "cascaded",
)


@dataclass(frozen=True)
class LockRow:
    key: Row  # stable id, e.g. "alter-table.add-column.volatile-default"
    title: str  # what a person would call it
    locks: tuple[tuple[str, LockMode], ...]  # (role, mode)
    rewrite: tuple[str, ...] = ()  # roles whose data files are rewritten
    scan: tuple[str, ...] = ()  # roles read in full while locked
    since: int = OLDEST
    until: int = NEWEST
    note: str = ""
    transactional: bool = True  # False: Postgres refuses it inside a transaction block

    def applies_to(self, version: int) -> bool:
        return self.since <= version <= self.until


def _row(key: Row, title: str, *locks: tuple[str, LockMode], **kw: Any) -> LockRow:
    for role, _ in locks:
        assert role in ROLES, role
    return LockRow(key, title, tuple(locks), **kw)


T = "target"
TI = "target-indexes"
TP = "target-partitions"

# fmt: off
ROWS: tuple[LockRow, ...] = (
    # ---- ALTER TABLE: columns ------------------------------------------------------------
    _row(Row.ALTER_TABLE__ADD_COLUMN, "ADD COLUMN (nullable, or with a non-volatile default)",
         (T, AE), (TP, AE),
         note="Since PG 11 a constant or stable default is stored in the catalog: no rewrite."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__VOLATILE_DEFAULT, "ADD COLUMN with a volatile default",
         (T, AE), (TI, AE), (TP, AE), rewrite=(T, TI, TP), scan=(T,),
         note="random(), gen_random_uuid(), clock_timestamp(), nextval() … are computed per row."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__SERIAL, "ADD COLUMN serial / bigserial",
         (T, AE), (TI, AE), (TP, AE), ("new", AE), rewrite=(T, TI), scan=(T,),
         note="Creates a sequence and fills every row from nextval(): a rewrite."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__IDENTITY, "ADD COLUMN … GENERATED … AS IDENTITY",
         (T, AE), (TI, AE), (TP, AE), ("new", AE), rewrite=(T, TI), scan=(T,)),
    _row(Row.ALTER_TABLE__ADD_COLUMN__STORED_GENERATED, "ADD COLUMN … GENERATED ALWAYS AS (…) STORED",
         (T, AE), (TI, AE), (TP, AE), rewrite=(T, TI), scan=(T,)),
    _row(Row.ALTER_TABLE__ADD_COLUMN__VIRTUAL_GENERATED, "ADD COLUMN … GENERATED ALWAYS AS (…) VIRTUAL",
         (T, AE), (TP, AE), since=18,
         note="PG 18 computes virtual generated columns on read: no rewrite."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__NOT_NULL_NO_DEFAULT, "ADD COLUMN … NOT NULL without a default",
         (T, AE), (TP, AE), scan=(T,),
         note="Checks every row and fails on a table that has any."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__CHECK, "ADD COLUMN with a CHECK constraint",
         (T, AE), (TP, AE), scan=(T,)),
    _row(Row.ALTER_TABLE__ADD_COLUMN__REFERENCES, "ADD COLUMN … REFERENCES other(…)",
         (T, AE), (TP, AE), ("referenced", SRE),
         note="The new column is all NULL, so nothing is checked; with a DEFAULT every row is "
              "checked against the referenced table."),
    _row(Row.ALTER_TABLE__ADD_COLUMN__UNIQUE, "ADD COLUMN … UNIQUE / PRIMARY KEY",
         (T, AE), (TP, AE), ("new", AE), scan=(T,),
         note="Builds a unique index on the new column while holding ACCESS EXCLUSIVE."),
    _row(Row.ALTER_TABLE__DROP_COLUMN, "DROP COLUMN",
         (T, AE), (TP, AE), ("index", AE), ("referenced", AE), ("sequence", AE), ("dependents", AE),
         note="Marks the column dropped; no rewrite. Indexes on the column are dropped too, and "
              "a foreign key on it, which locks the referenced table, and the sequence a "
              "serial or identity column owns."),
    _row(Row.ALTER_TABLE__ALTER_COLUMN_TYPE, "ALTER COLUMN … TYPE (needs a rewrite)",
         (T, AE), (TI, AE), (TP, AE), ("referenced", AE), ("referencing", AE), ("sequence", SRE),
         rewrite=(T, TI, TP, "sequence"), scan=(T,),
         note="A foreign key on the column (either side) is dropped and added again: the other "
              "table is locked and checked too. An identity column's sequence changes type "
              "with it (ALTER SEQUENCE: a new file)."),
    _row(Row.ALTER_TABLE__ALTER_COLUMN_TYPE__NO_REWRITE, "ALTER COLUMN … TYPE (binary-coercible)",
         (T, AE), (TP, AE), ("index", AE), ("referenced", AE), ("referencing", AE),
         ("sequence", SRE), rewrite=("sequence",),
         note="varchar(n) -> varchar(m>n), varchar -> text, numeric(p,s) -> numeric(p'>p,s): "
              "catalog only, but the ACCESS EXCLUSIVE lock is still taken. An identity "
              "column's sequence is altered even to the same type (ALTER SEQUENCE … AS: a "
              "new file; measured on 14 and 18)."),
    _row(Row.ALTER_TABLE__ALTER_COLUMN_TYPE__REBUILDS_INDEX,
         "ALTER COLUMN … TYPE (binary-coercible) with a partial or expression index on it",
         (T, AE), (TP, AE), ("index", AE), ("rebuilt-index", AE), ("referenced", AE),
         ("referencing", AE), ("sequence", SRE), rewrite=("rebuilt-index", "sequence"),
         scan=(T,),
         note="The table is not rewritten, but Postgres rebuilds every partial or expression "
              "index on the column (it does not compare predicates or expressions), reading "
              "the whole table under ACCESS EXCLUSIVE."),
    _row(Row.ALTER_TABLE__SET_DEFAULT, "ALTER COLUMN … SET DEFAULT / DROP DEFAULT", (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__SET_NOT_NULL, "ALTER COLUMN … SET NOT NULL",
         (T, AE), (TP, AE), scan=(T, TP), note="Scans the whole table under ACCESS EXCLUSIVE."),
    _row(Row.ALTER_TABLE__SET_NOT_NULL__PROVEN, "ALTER COLUMN … SET NOT NULL (a valid CHECK proves it)",
         (T, AE), (TP, AE),
         note="PG 12+ skips the scan when a validated CHECK (col IS NOT NULL) exists."),
    _row(Row.ALTER_TABLE__DROP_NOT_NULL, "ALTER COLUMN … DROP NOT NULL", (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__SET_STATISTICS, "ALTER COLUMN … SET STATISTICS", (T, SUE), (TP, SUE)),
    _row(Row.ALTER_TABLE__SET_COLUMN_OPTIONS, "ALTER COLUMN … SET (n_distinct …) / RESET",
         (T, SUE), (TP, SUE)),
    _row(Row.ALTER_TABLE__SET_STORAGE, "ALTER COLUMN … SET STORAGE", (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__SET_COMPRESSION, "ALTER COLUMN … SET COMPRESSION", (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__IDENTITY, "ALTER COLUMN … ADD / DROP IDENTITY",
         (T, AE), (TP, AE), ("sequence", AE)),
    _row(Row.ALTER_TABLE__IDENTITY__SEQUENCE_OPTIONS,
         "ALTER COLUMN … SET GENERATED / SET sequence options / RESTART",
         (T, AE), (TP, AE), ("sequence", SRE), rewrite=("sequence",),
         note="Runs ALTER SEQUENCE on the identity sequence (SHARE ROW EXCLUSIVE); RESTART, "
              "INCREMENT and the other options give it a new file (SET GENERATED alone does "
              "not: predict.py leaves the rewrite out)."),
    _row(Row.ALTER_TABLE__DROP_EXPRESSION, "ALTER COLUMN … DROP EXPRESSION", (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__SET_EXPRESSION, "ALTER COLUMN … SET EXPRESSION AS (…)",
         (T, AE), (TI, AE), (TP, AE), rewrite=(T, TI, TP), scan=(T,), since=17),
    _row(Row.ALTER_TABLE__SET_EXPRESSION__VIRTUAL, "ALTER COLUMN … SET EXPRESSION of a virtual column",
         (T, AE), (TP, AE), since=18,
         note="PG 18: a virtual column is computed on read: nothing is rewritten."),
    # ---- ALTER TABLE: constraints --------------------------------------------------------
    _row(Row.ALTER_TABLE__ADD_CHECK, "ADD CONSTRAINT … CHECK", (T, AE), (TP, AE), scan=(T, TP)),
    _row(Row.ALTER_TABLE__ADD_CHECK__NOT_VALID, "ADD CONSTRAINT … CHECK … NOT VALID",
         (T, AE), (TP, AE)),
    _row(Row.ALTER_TABLE__ADD_FOREIGN_KEY, "ADD CONSTRAINT … FOREIGN KEY",
         (T, SRE), (TP, SRE), ("referenced", SRE), ("referenced-partitions", SRE), scan=(T,),
         note="Both tables: SHARE ROW EXCLUSIVE blocks their writes during the validation scan."),
    _row(Row.ALTER_TABLE__ADD_FOREIGN_KEY__NOT_VALID,
         "ADD CONSTRAINT … FOREIGN KEY … NOT VALID / NOT ENFORCED",
         (T, SRE), (TP, SRE), ("referenced", SRE), ("referenced-partitions", SRE),
         note="PG 18's NOT ENFORCED checks nothing either, and never will."),
    _row(Row.ALTER_TABLE__ADD_UNIQUE, "ADD CONSTRAINT … UNIQUE / PRIMARY KEY",
         (T, AE), (TP, S), ("new", AE), ("rebuilt-index", AE), rewrite=("rebuilt-index",),
         scan=(T,), until=17,
         note="Builds the index under ACCESS EXCLUSIVE: reads and writes wait for the build. "
              "On a partitioned table each partition's index is built under SHARE."),
    _row(Row.ALTER_TABLE__ADD_UNIQUE, "ADD CONSTRAINT … UNIQUE / PRIMARY KEY",
         (T, AE), (TP, AE), ("new", AE), ("rebuilt-index", AE), rewrite=("rebuilt-index",),
         scan=(T,), since=18,
         note="Builds the index under ACCESS EXCLUSIVE: reads and writes wait for the build. "
              "PG 18 takes ACCESS EXCLUSIVE on the partitions too."),
    _row(Row.ALTER_TABLE__ADD_UNIQUE_USING_INDEX, "ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX",
         (T, AE), ("index", AS),
         note="Reuses an index built beforehand (CONCURRENTLY): catalog only."),
    _row(Row.ALTER_TABLE__ADD_UNIQUE_USING_INDEX__RENAMED,
         "ADD CONSTRAINT name … USING INDEX other_name (the index is renamed)",
         (T, AE), ("index", SUE)),
    _row(Row.ALTER_TABLE__ADD_EXCLUSION, "ADD CONSTRAINT … EXCLUDE",
         (T, AE), (TP, AE), ("new", AE), ("rebuilt-index", AE), rewrite=("rebuilt-index",),
         scan=(T,)),
    _row(Row.ALTER_TABLE__ADD_NOT_NULL_CONSTRAINT, "ADD CONSTRAINT … NOT NULL col",
         (T, AE), (TP, AE), scan=(T,), since=18),
    _row(Row.ALTER_TABLE__ADD_NOT_NULL_CONSTRAINT__NOT_VALID, "ADD CONSTRAINT … NOT NULL col NOT VALID",
         (T, AE), (TP, AE), since=18),
    _row(Row.ALTER_TABLE__VALIDATE_CONSTRAINT, "VALIDATE CONSTRAINT (check)",
         (T, SUE), (TP, SUE), scan=(T,),
         note="SHARE UPDATE EXCLUSIVE: reads and writes go on during the scan."),
    _row(Row.ALTER_TABLE__VALIDATE_FOREIGN_KEY, "VALIDATE CONSTRAINT (foreign key)",
         (T, SUE), (TP, SUE), ("referenced", RS), scan=(T,)),
    _row(Row.ALTER_TABLE__DROP_CONSTRAINT, "DROP CONSTRAINT", (T, AE), (TP, AE), ("dependents", AE),
         note="… CASCADE of a primary key or unique constraint drops the foreign keys that "
              "reference it: their tables are locked too."),
    _row(Row.ALTER_TABLE__DROP_FOREIGN_KEY, "DROP CONSTRAINT (foreign key)",
         (T, AE), (TP, AE), ("referenced", AE),
         note="Removing the foreign key's triggers locks the referenced table too."),
    _row(Row.ALTER_TABLE__ALTER_CONSTRAINT, "ALTER CONSTRAINT … [NOT] DEFERRABLE", (T, AE)),
    _row(Row.ALTER_TABLE__ALTER_CONSTRAINT__NOT_ENFORCED, "ALTER CONSTRAINT … NOT ENFORCED (foreign key)",
         (T, AE), ("referenced", AE), since=18,
         note="Drops the foreign key's triggers, on the referenced table too."),
    _row(Row.ALTER_TABLE__ALTER_CONSTRAINT__ENFORCED, "ALTER CONSTRAINT … ENFORCED (foreign key)",
         (T, AE), ("referenced", SRE), scan=(T,), since=18,
         note="Creates the triggers again and checks every row against the referenced table."),
    # ---- ALTER TABLE: table-wide ----------------------------------------------------------
    _row(Row.ALTER_TABLE__SET_LOGGED, "SET LOGGED / SET UNLOGGED",
         (T, AE), (TI, AE), rewrite=(T, TI), scan=(T,)),
    _row(Row.ALTER_TABLE__SET_TABLESPACE, "SET TABLESPACE",
         (T, AE), (TI, AE), rewrite=(T,), note="Copies the table's files."),
    _row(Row.ALTER_TABLE__SET_TABLESPACE__UNCHANGED, "SET TABLESPACE to the one it is in",
         (T, AE), note="Nothing to copy, but the lock is still taken."),
    _row(Row.ALTER_TABLE__SET_ACCESS_METHOD, "SET ACCESS METHOD",
         (T, AE), (TI, AE), rewrite=(T, TI), scan=(T,), since=15),
    _row(Row.ALTER_TABLE__SET_ACCESS_METHOD__UNCHANGED, "SET ACCESS METHOD to the one it has",
         (T, AE), since=15, note="Nothing to rewrite, but the lock is still taken."),
    _row(Row.ALTER_TABLE__SET_RELOPTIONS, "SET / RESET (storage parameters)", (T, SUE),
         note="fillfactor, autovacuum_*, parallel_workers … take SHARE UPDATE EXCLUSIVE."),
    _row(Row.ALTER_TABLE__SET_RELOPTIONS__EXCLUSIVE, "SET / RESET (view options, user_catalog_table)",
         (T, AE)),
    _row(Row.ALTER_TABLE__CLUSTER_ON, "CLUSTER ON / SET WITHOUT CLUSTER", (T, SUE), ("index", SUE)),
    _row(Row.ALTER_TABLE__OWNER, "OWNER TO", (T, AE), (TI, AE), ("sequence", AE)),
    _row(Row.ALTER_TABLE__TRIGGER_TOGGLE, "ENABLE / DISABLE TRIGGER", (T, SRE), (TP, SRE),
         note="On a partitioned table the partitions' clones are switched too."),
    _row(Row.ALTER_TABLE__RULE_TOGGLE, "ENABLE / DISABLE RULE", (T, AE)),
    _row(Row.ALTER_TABLE__ROW_SECURITY, "ENABLE / DISABLE / FORCE ROW LEVEL SECURITY", (T, AE)),
    _row(Row.ALTER_TABLE__REPLICA_IDENTITY, "REPLICA IDENTITY", (T, AE), ("index", S)),
    _row(Row.ALTER_TABLE__INHERIT, "INHERIT parent", (T, AE), ("parent", SUE)),
    _row(Row.ALTER_TABLE__NO_INHERIT, "NO INHERIT parent", (T, AE), ("parent", AS)),
    _row(Row.ALTER_TABLE__OF_TYPE, "OF type / NOT OF", (T, AE)),
    _row(Row.ALTER_TABLE__ATTACH_PARTITION, "ATTACH PARTITION",
         (T, SUE), ("partition", AE), scan=("partition",),
         note="PG 12+: SHARE UPDATE EXCLUSIVE on the parent; the partition is scanned unless "
              "a valid CHECK constraint already implies the bound."),
    _row(Row.ALTER_TABLE__ATTACH_PARTITION__DEFAULT, "ATTACH PARTITION with a DEFAULT partition",
         (T, SUE), ("partition", AE), ("default-partition", AE),
         scan=("partition", "default-partition"),
         note="The DEFAULT partition is scanned under ACCESS EXCLUSIVE for rows of the new bound."),
    _row(Row.ALTER_TABLE__DETACH_PARTITION, "DETACH PARTITION", (T, AE), ("partition", AE),
         ("default-partition", AE), ("referencing", AE), scan=("referencing",),
         note="A DEFAULT partition is locked too (its implicit constraint changes), and so is "
              "a table whose foreign key references the parent: it is checked again."),
    _row(Row.ALTER_TABLE__DETACH_PARTITION__CONCURRENTLY, "DETACH PARTITION … CONCURRENTLY",
         (T, SUE), ("partition", AE), transactional=False,
         note="Two transactions: SHARE UPDATE EXCLUSIVE on both, then, after waiting for every "
              "older transaction, ACCESS EXCLUSIVE on the partition."),
    _row(Row.ALTER_TABLE__SET_SCHEMA, "SET SCHEMA", (T, AE), ("sequence", AE),
         note="Its owned sequences move with it."),
    _row(Row.ALTER_TABLE__GENERIC_OPTIONS, "OPTIONS (…) of a foreign table", (T, AE)),
    # ---- renames --------------------------------------------------------------------------
    _row(Row.RENAME__TABLE, "ALTER TABLE … RENAME TO", (T, AE)),
    _row(Row.RENAME__COLUMN, "ALTER TABLE … RENAME COLUMN", (T, AE), (TP, AE)),
    _row(Row.RENAME__CONSTRAINT, "ALTER TABLE … RENAME CONSTRAINT", (T, AE), ("index", SUE)),
    _row(Row.RENAME__INDEX, "ALTER INDEX … RENAME TO", ("index", SUE),
         note="PG 12+ renames an index under SHARE UPDATE EXCLUSIVE."),
    _row(Row.RENAME__VIEW, "ALTER VIEW / MATERIALIZED VIEW … RENAME", (T, AE)),
    _row(Row.RENAME__SEQUENCE, "ALTER SEQUENCE … RENAME", (T, AE)),
    _row(Row.RENAME__TRIGGER, "ALTER TRIGGER … RENAME", (T, AE), until=14),
    _row(Row.RENAME__TRIGGER, "ALTER TRIGGER … RENAME", (T, AE), (TP, AE), since=15,
         note="PG 15+ renames the clones on the partitions too."),
    # ---- tables ---------------------------------------------------------------------------
    _row(Row.CREATE_TABLE, "CREATE TABLE", ("new", AE)),
    _row(Row.CREATE_TABLE__REFERENCES, "CREATE TABLE with foreign keys",
         ("new", AE), ("referenced", SRE)),
    _row(Row.CREATE_TABLE__PARTITION_OF, "CREATE TABLE … PARTITION OF",
         ("new", AE), ("parent", AE), ("default-partition", AE), scan=("default-partition",)),
    _row(Row.CREATE_TABLE__INHERITS, "CREATE TABLE … INHERITS (parent)", ("new", AE), ("parent", SUE)),
    _row(Row.CREATE_TABLE__LIKE, "CREATE TABLE … (LIKE other)", ("new", AE), ("sources", AS)),
    _row(Row.CREATE_TABLE_AS, "CREATE TABLE … AS / SELECT INTO / CREATE MATERIALIZED VIEW",
         ("new", AE), ("sources", AS), scan=("sources",)),
    _row(Row.DROP_TABLE, "DROP TABLE",
         (T, AE), (TI, AE), (TP, AE), ("referenced", AE), ("referencing", AE), ("parent", AE),
         ("default-partition", AE), ("sequence", AE), ("dependents", AE),
         note="Dropping its foreign keys' triggers locks the tables on the other side too; "
              "dropping a partition locks its parent."),
    _row(Row.TRUNCATE, "TRUNCATE", (T, AE), (TI, AE), (TP, AE), ("sequence", AE),
         rewrite=(T, TI, TP, "sequence"),
         note="New, empty files for the table and its indexes; RESTART IDENTITY gives its "
              "sequences new files too."),
    _row(Row.TRUNCATE__CASCADE, "TRUNCATE … CASCADE",
         (T, AE), (TI, AE), (TP, AE), ("referencing", AE), ("sequence", AE),
         rewrite=(T, TI, TP, "referencing", "sequence")),
    _row(Row.DROP_OBJECT__CASCADE, "DROP FUNCTION / TYPE / DOMAIN / SEQUENCE / SCHEMA … CASCADE",
         ("target", AE), ("dependents", AE),
         note="Every relation whose trigger, default, constraint, column or view the object "
              "takes with it is locked ACCESS EXCLUSIVE (dependency.c locks each object it "
              "drops)."),
    # ---- indexes --------------------------------------------------------------------------
    _row(Row.CREATE_INDEX, "CREATE INDEX", (T, S), (TP, S), ("new", AE), scan=(T, TP),
         note="SHARE blocks writes (not reads) for the whole build."),
    _row(Row.CREATE_INDEX__CONCURRENTLY, "CREATE INDEX CONCURRENTLY", (T, SUE), scan=(T,),
         transactional=False,
         note="Two scans and waits for older transactions; reads and writes go on."),
    _row(Row.DROP_INDEX, "DROP INDEX", ("index", AE), ("index-table", AE)),
    _row(Row.DROP_INDEX__CONCURRENTLY, "DROP INDEX CONCURRENTLY",
         ("index", AE), ("index-table", SUE), transactional=False,
         note="SHARE UPDATE EXCLUSIVE on the table; at the very end ACCESS EXCLUSIVE on the "
              "index, which a query being planned waits for, briefly (measured)."),
    _row(Row.REINDEX__INDEX, "REINDEX INDEX", ("index", AE), ("index-table", S),
         rewrite=("index",), scan=("index-table",),
         note="ACCESS EXCLUSIVE on the index blocks every query the planner considers it for."),
    _row(Row.REINDEX__TABLE, "REINDEX TABLE", (T, S), (TI, AE), ("toast-index", AE),
         rewrite=(TI, "toast-index"), scan=(T,)),
    _row(Row.REINDEX__CONCURRENTLY, "REINDEX … CONCURRENTLY", (T, SUE), (TI, SUE), (TI, AE),
         rewrite=(TI,), transactional=False,
         note="Builds a new copy of each index and swaps it in; at the very end it drops the "
              "old copy as DROP INDEX CONCURRENTLY does, with ACCESS EXCLUSIVE on it, briefly "
              "(measured: a sample catches it now and then)."),
    _row(Row.REINDEX__SCHEMA, "REINDEX SCHEMA / DATABASE",
         (T, S), (TI, AE), ("toast-index", AE), rewrite=(TI, "toast-index"), scan=(T,),
         transactional=False,
         note="Each table in a transaction of its own: SHARE on it, ACCESS EXCLUSIVE on its "
              "indexes, rebuilt one table after the other."),
    _row(Row.REINDEX__SCHEMA__CONCURRENTLY, "REINDEX SCHEMA / DATABASE … CONCURRENTLY",
         (T, SUE), (TI, SUE), (TI, AE), ("toast-index", AE), rewrite=(TI, "toast-index"),
         transactional=False,
         note="Each table as REINDEX TABLE CONCURRENTLY does it, the index of its TOAST table "
              "too (sampled on 14 and 15: seen now and then, it is brief)."),
    _row(Row.REINDEX__PARTITIONED, "REINDEX TABLE of a partitioned table",
         (T, S), (TP, S), ("partition-indexes", AE), ("toast-index", AE),
         rewrite=("partition-indexes", "toast-index"), transactional=False,
         note="Each partition in its own transaction: SHARE on it, ACCESS EXCLUSIVE on its "
              "indexes."),
    _row(Row.REINDEX__PARTITIONED_INDEX, "REINDEX INDEX of a partitioned index",
         ("index", AE), ("index-table", S), (TP, S), ("partition-indexes", AE),
         rewrite=("partition-indexes",), scan=(TP,), transactional=False,
         note="Each partition's index in its own transaction: SHARE on the partition, "
              "ACCESS EXCLUSIVE on its index."),
    _row(Row.ALTER_INDEX__SET_TABLESPACE, "ALTER INDEX … SET TABLESPACE", ("index", AE),
         rewrite=("index",)),
    _row(Row.ALTER_INDEX__SET_TABLESPACE__UNCHANGED, "ALTER INDEX … SET TABLESPACE to the one it is in",
         ("index", AE)),
    _row(Row.ALTER_INDEX__SET_OPTIONS, "ALTER INDEX … SET / RESET (…)", ("index", SUE)),
    _row(Row.ALTER_INDEX__ATTACH_PARTITION, "ALTER INDEX … ATTACH PARTITION",
         ("index", SUE), ("partition", AE), ("index-table", AS)),
    _row(Row.ALTER_INDEX__SET_STATISTICS, "ALTER INDEX … ALTER COLUMN … SET STATISTICS",
         ("index", SUE)),
    # ---- views and materialized views ------------------------------------------------------
    _row(Row.CREATE_VIEW, "CREATE VIEW", ("new", AE), ("sources", AS)),
    _row(Row.CREATE_VIEW__REPLACE, "CREATE OR REPLACE VIEW", (T, AE), ("sources", AS)),
    _row(Row.DROP_VIEW, "DROP VIEW / MATERIALIZED VIEW / SEQUENCE", (T, AE), ("dependents", AE),
         note="… CASCADE drops the views built on it and the defaults that use the sequence: "
              "their relations are locked too."),
    _row(Row.REFRESH_MATVIEW, "REFRESH MATERIALIZED VIEW", (T, AE), (TI, AE), ("sources", AS),
         rewrite=(T, TI), scan=("sources",)),
    _row(Row.REFRESH_MATVIEW__CONCURRENTLY, "REFRESH MATERIALIZED VIEW CONCURRENTLY",
         (T, E), (TI, RE), ("sources", AS), scan=("sources",),
         note="EXCLUSIVE: reads go on; other refreshes wait."),
    # ---- maintenance ----------------------------------------------------------------------
    _row(Row.VACUUM__TRUNCATE, "VACUUM that may truncate the table's end",
         (T, SUE), (T, AE), (TP, SUE), scan=(T,), transactional=False,
         note="vacuumlazy.c: when the last pages are empty, lazy_truncate_heap() tries "
              "ConditionalLockRelation(AccessExclusiveLock) for up to 5 s and truncates "
              "them; too brief to sample reliably (a sample catches it now and then), so "
              "no scenario records it; VACUUM (TRUNCATE false) never takes it."),
    _row(Row.VACUUM, "VACUUM (TRUNCATE false)", (T, SUE), (TP, SUE), scan=(T,), transactional=False,
         note="May briefly take ACCESS EXCLUSIVE to truncate empty pages at the end of the table "
              "(VACUUM (TRUNCATE false) never does)."),
    _row(Row.VACUUM__FULL, "VACUUM FULL", (T, AE), (TI, AE), rewrite=(T, TI), scan=(T,),
         transactional=False),
    _row(Row.ANALYZE, "ANALYZE", (T, SUE), (TI, AS), (TP, SUE),
         note="A partitioned table's partitions are sampled and analyzed with it."),
    _row(Row.CLUSTER, "CLUSTER", (T, AE), (TI, AE), rewrite=(T, TI), scan=(T,)),
    _row(Row.CLUSTER__PARTITIONED, "CLUSTER of a partitioned table",
         (T, AE), (TP, AE), ("partition-indexes", AE), rewrite=(TP, "partition-indexes"),
         scan=(TP,), since=15, transactional=False,
         note="PG 15+: ACCESS EXCLUSIVE on the parent, then each partition in a transaction "
              "of its own, rewritten under ACCESS EXCLUSIVE."),
    _row(Row.LOCK_TABLE, "LOCK TABLE", (T, AE),
         note="The mode the statement names (ACCESS EXCLUSIVE by default)."),
    # ---- data -----------------------------------------------------------------------------
    _row(Row.SELECT, "SELECT", (T, AS), (TI, AS)),
    _row(Row.SELECT__FOR_UPDATE, "SELECT … FOR UPDATE / SHARE", (T, RS), (TI, RS)),
    _row(Row.INSERT, "INSERT", (T, RE), ("referenced", RS), ("sources", AS), ("sequence", RE)),
    _row(Row.INSERT__ON_CONFLICT, "INSERT … ON CONFLICT", (T, RE), (TI, RE), ("referenced", RS),
         ("sources", AS), ("sequence", RE)),
    _row(Row.UPDATE, "UPDATE", (T, RE), (TI, RE), (TP, RE), ("referenced", RS),
         ("referencing", RS), ("cascaded", RE), ("sources", AS), scan=(T,)),
    _row(Row.DELETE, "DELETE", (T, RE), (TI, RE), (TP, RE), ("referencing", RS), ("cascaded", RE),
         ("sources", AS), scan=(T,),
         note="ON DELETE CASCADE / SET NULL take ROW EXCLUSIVE on the referencing tables."),
    _row(Row.MERGE, "MERGE", (T, RE), (TI, RE), ("sources", AS), scan=(T,)),
    _row(Row.COPY_FROM, "COPY … FROM", (T, RE), ("referenced", RS), ("sequence", RE)),
    _row(Row.COPY_TO, "COPY … TO", (T, AS)),
    # ---- other objects --------------------------------------------------------------------
    _row(Row.CREATE_TRIGGER, "CREATE TRIGGER", (T, SRE), (TP, SRE),
         note="A row-level trigger on a partitioned table is cloned on every partition."),
    _row(Row.DROP_TRIGGER, "DROP TRIGGER", (T, AE), (TP, AE),
         note="Its clones on the partitions are dropped with it."),
    _row(Row.CREATE_POLICY, "CREATE / ALTER / DROP POLICY", (T, AE)),
    _row(Row.CREATE_RULE, "CREATE RULE", (T, AE)),
    _row(Row.COMMENT, "COMMENT ON TABLE / COLUMN / INDEX …", (T, SUE)),
    _row(Row.GRANT, "GRANT / REVOKE on a table", until=17,
         note="Privileges change without a lock on the table."),
    _row(Row.GRANT, "GRANT / REVOKE on a table", (T, AS), since=18,
         note="PG 18 takes ACCESS SHARE on the table."),
    _row(Row.CREATE_SEQUENCE, "CREATE SEQUENCE", ("new", AE)),
    _row(Row.ALTER_SEQUENCE, "ALTER SEQUENCE", ("sequence", SRE), rewrite=("sequence",),
         note="The sequence gets a new file; nextval() in other sessions waits meanwhile."),
    _row(Row.ALTER_SEQUENCE__NO_REWRITE, "ALTER SEQUENCE … OWNED BY / OWNER TO / SET LOGGED",
         ("sequence", SRE), ("sources", AS),
         note="Catalog only (OWNED BY reads the owning table); SET [UN]LOGGED gives a new "
              "file (predict.py says so)."),
    _row(Row.PUBLICATION, "CREATE / ALTER PUBLICATION … TABLE", ("target", SUE),
         note="publicationcmds.c opens each table added or dropped with SHARE UPDATE "
              "EXCLUSIVE; FOR ALL TABLES and TABLES IN SCHEMA lock none."),
    _row(Row.SEQUENCE_USE, "nextval() / setval()", ("sequence", RE)),
    _row(Row.CREATE_STATISTICS, "CREATE STATISTICS", (T, SUE)),
    _row(Row.ALTER_DOMAIN__ADD_CONSTRAINT, "ALTER DOMAIN … ADD CONSTRAINT / VALIDATE / SET NOT NULL",
         ("sources", S), scan=("sources",),
         note="Every column of the domain is checked under SHARE on its table."),
    _row(Row.NO_RELATION_LOCK, "Statements that lock no table",
         note="CREATE FUNCTION / TYPE / SCHEMA / EXTENSION, SET, ALTER TYPE … ADD VALUE, …"),
    _row(Row.TRANSACTION_CONTROL, "BEGIN / COMMIT / ROLLBACK / SAVEPOINT"),
)
# fmt: on

BY_KEY: dict[str, tuple[LockRow, ...]] = {}
for _r in ROWS:
    BY_KEY[_r.key] = (*BY_KEY.get(_r.key, ()), _r)

# Every row has a name in `Row`, and every name a row: checked as the table is imported.
if set(BY_KEY) != set(Row):
    raise ImportError(
        "the lock table and pgfence.pg.rows.Row disagree: "
        + ", ".join(sorted(set(BY_KEY) ^ set(Row)))
    )


def row_for(key: str, version: int) -> LockRow | None:
    """The row of `key` that applies to Postgres `version`, or None if it does not exist there."""
    for candidate in BY_KEY.get(key, ()):
        if candidate.applies_to(version):
            return candidate
    return None
