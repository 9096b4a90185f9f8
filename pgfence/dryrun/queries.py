"""Every catalog query the dry-run sends, as named constants in one place."""

from __future__ import annotations

SERVER_VERSION = (
    "SELECT current_setting('server_version'), current_setting('server_version_num')::int"
)

# A relation, its data file, and the table it belongs to (for an index or a TOAST table,
# and for the index of a TOAST table: the user's table). Scalar subqueries run only for
# the rows asked for; pg_class has no index on reltoastrelid.
_OWNER = """(SELECT on_.nspname || '.' || o.relname FROM pg_class o
            JOIN pg_namespace on_ ON on_.oid = o.relnamespace WHERE o.reltoastrelid = {toast})"""
_RELATION_FILE = f"""c.oid::bigint AS oid, c.relfilenode::bigint AS filenode,
       n.nspname || '.' || c.relname AS name, c.relkind::text AS relkind,
       CASE WHEN c.relkind = 't' THEN {_OWNER.format(toast="c.oid")}
            WHEN c.relkind IN ('i', 'I') THEN (
                SELECT CASE WHEN t.relkind = 't' THEN {_OWNER.format(toast="t.oid")}
                            ELSE tn.nspname || '.' || t.relname END
                FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace tn ON tn.oid = t.relnamespace
                WHERE x.indexrelid = c.oid) END AS owner"""

# OIDs below 16384 (FirstNormalObjectId) are Postgres's own catalogs and their TOAST.
_USER_RELATIONS = """c.oid >= 16384
  AND c.relkind IN ('r', 'p', 'i', 'I', 'S', 't', 'm', 'v', 'f')
  AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%'"""

# Every user relation with its file node, as the asking session sees it: run before and
# after a statement that cannot be observed inside a transaction, to see what got new files.
RELATION_FILES = f"""
SELECT {_RELATION_FILE}
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_RELATIONS}
"""

# The same for a few relations. The migration's own session sees its uncommitted changes;
# every other session still sees the relations as they were before that transaction.
RELATION_FILES_BY_OID = RELATION_FILES + "  AND c.oid = ANY(%s)\n"

# Relations as the migration's own session sees them, after each statement inside a
# transaction. Asked for each OID with the file node and name it had when last seen (-1
# and '': not seen yet); answers, for one that is new or whose file or name changed, its
# file, name and kind, with the table an index is on and the TOAST table a table has;
# nothing for one that did not change; NULLs for one that is gone. So the rows are what
# changed, not everything the transaction holds; the plan is quick to make.
CHANGED_RELATION_FILENODES = """
SELECT d.oid, d.filenode, d.name, d.relkind, x.indrelid::bigint, d.toast
FROM (
    SELECT k.oid::bigint AS oid, c.relfilenode::bigint AS filenode,
           n.nspname || '.' || c.relname AS name, c.relkind::text AS relkind,
           c.reltoastrelid::bigint AS toast
    FROM unnest(%s::pg_catalog.oid[], %s::bigint[], %s::text[]) AS k(oid, filenode, name)
    LEFT JOIN pg_catalog.pg_class c ON c.oid = k.oid
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE k.filenode = -1 OR c.oid IS NULL OR c.relfilenode <> k.filenode
       OR n.nspname || '.' || c.relname <> k.name
    OFFSET 0) d
LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = d.oid::pg_catalog.oid
"""

# The same for a transaction that has seen few relations (`introspect.LOOKED_UP_UP_TO`),
# prepared, with those not seen yet (-1, '') taken from the session's own locks rather than
# asked for (the fourth parameter: the OIDs seen, again): it needs no other session's answer
# first, so the probe reads the locks while the server runs this
# (`introspect.changed_files_meanwhile`). Each OID is looked up by itself (OFFSET 0 keeps
# the LATERAL subquery a subquery, run per OID by index): the generic plan of the join
# above is made while the schema is small, a hash join over a scan of all pg_class and
# pg_index, and kept as the schema grows (0.16 ms for 2 relations at 440 relations in
# pg_class, 0.6 ms for 2 at 2,900; bench/history.py).
CHANGED_OR_NEWLY_LOCKED_BY_OID = """
SELECT k.oid::bigint, d.filenode, d.name, d.relkind,
       CASE WHEN d.relkind IN ('i', 'I') THEN (
           SELECT x.indrelid::bigint FROM pg_catalog.pg_index x
           WHERE x.indexrelid = k.oid) END,
       d.toast
FROM (
    SELECT * FROM unnest(%s::pg_catalog.oid[], %s::bigint[], %s::text[])
    UNION ALL
    SELECT DISTINCT l.relation, -1, ''
    FROM pg_catalog.pg_locks l
    WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'
      AND l.relation >= 16384 AND l.relation <> ALL (%s::pg_catalog.oid[])
      AND l.database = (SELECT oid FROM pg_catalog.pg_database
                        WHERE datname = pg_catalog.current_database())
    ) AS k(oid, filenode, name)
LEFT JOIN LATERAL (
    SELECT c.relfilenode::bigint AS filenode, n.nspname || '.' || c.relname AS name,
           c.relkind::text AS relkind, c.reltoastrelid::bigint AS toast
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = k.oid OFFSET 0) d ON true
WHERE k.filenode = -1 OR d.name IS NULL OR d.filenode <> k.filenode OR d.name <> k.name
"""

# The relation locks one backend holds or waits for.
BACKEND_RELATION_LOCKS = """
SELECT l.relation::bigint, l.mode, l.granted
FROM pg_locks l
WHERE l.pid = %s AND l.locktype = 'relation' AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
"""

# The same as one text, "OID mode" (" waiting" added when not granted) for each lock,
# comma-separated: after every statement of a transaction the read is compared with the
# one before, and splitting a text costs a fraction of making a row of each lock.
BACKEND_RELATION_LOCK_KEYS = """
SELECT coalesce(string_agg(l.relation::bigint || ' ' || l.mode
                           || CASE WHEN l.granted THEN '' ELSE ' waiting' END, ','), '')
FROM pg_locks l
WHERE l.pid = %s AND l.locktype = 'relation' AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
"""

# The same, with each relation as the asking (probe) session sees it: one round trip.
# OFFSET 0 keeps the LATERAL subquery a subquery, looked up by each lock's OID: pulled up
# into a join, the generic plan of this prepared query (made while the schema was small)
# scanned every user relation per lock, owners computed, before matching the OID: 0.24 s a
# call at 100 locks in documenso's history (23 s of its 29), under 1 ms now.
BACKEND_RELATION_LOCKS_WITH_FILES = f"""
SELECT l.relation::bigint, l.mode, l.granted, f.filenode, f.name, f.relkind, f.owner
FROM pg_locks l
LEFT JOIN LATERAL (
    SELECT {_RELATION_FILE}
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = l.relation AND {_USER_RELATIONS} OFFSET 0) f ON true
WHERE l.pid = %s AND l.locktype = 'relation' AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
"""

# Is the backend waiting for a lock right now (any lock type)?
BACKEND_WAITING = "SELECT count(*) > 0 FROM pg_locks WHERE pid = %s AND NOT granted"
# The sessions a waiting backend waits for (a concurrent build: every older transaction).
BLOCKING_PIDS = "SELECT pg_blocking_pids(%s)"

# ---- the schema, for the static prediction ------------------------------------------------

# No function that opens a relation (pg_get_expr, pg_get_constraintdef, pg_get_indexdef,
# pg_get_partkeydef take ACCESS SHARE on it, if only for a moment; measured on 15 and 18):
# preflight reads these next to a migration holding, or queued for, ACCESS EXCLUSIVE.
CATALOG_RELATIONS = """
SELECT n.nspname || '.' || c.relname, c.relkind::text,
       CASE WHEN c.relispartition THEN
            (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i
             JOIN pg_class p ON p.oid = i.inhparent
             JOIN pg_namespace pn ON pn.oid = p.relnamespace
             WHERE i.inhrelid = c.oid LIMIT 1) END,
       c.oid IN (SELECT partdefid FROM pg_partitioned_table),
       CASE WHEN c.reltoastrelid <> 0 THEN 'pg_toast.' || t.relname END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%'
"""

CATALOG_COLUMNS = """
SELECT n.nspname || '.' || c.relname, a.attname, t.typname, a.atttypmod, a.attnotnull,
       t0.typcategory = 'A', tn.nspname, a.attidentity <> '', a.attgenerated::text
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t0 ON t0.oid = a.atttypid
JOIN pg_type t ON t.oid = CASE WHEN t0.typcategory = 'A' AND t0.typelem <> 0
                              THEN t0.typelem ELSE t0.oid END
JOIN pg_namespace tn ON tn.oid = t.typnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1, a.attnum
"""

CATALOG_INDEXES = """
SELECT n.nspname || '.' || i.relname, tn.nspname || '.' || t.relname,
       ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             ORDER BY k.ord)::text[],
       x.indisunique, x.indisprimary,
       -- every column it depends on: key columns, and those its expressions or WHERE use
       ARRAY(SELECT a.attname FROM pg_depend d
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid
               AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0)::text[],
       -- (not pg_get_indexdef: it locks the index, and preflight must take no lock)
       x.indexprs IS NOT NULL OR x.indpred IS NOT NULL
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE tn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND tn.nspname NOT LIKE 'pg_temp%'
"""

CATALOG_CONSTRAINTS = """
SELECT n.nspname || '.' || c.relname, k.conname, k.contype::text,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum
             ORDER BY u.ord)::text[],
       k.convalidated,
       -- CHECK (col IS NOT NULL), from the stored expression: a NullTest (IS NOT NULL is 1)
       -- of a plain column reference
       k.contype = 'c' AND k.conbin::text ~ '^[{]NULLTEST :arg [{]VAR [^{}]*[}] :nulltesttype 1 ',
       CASE WHEN k.contype = 'f' THEN fn.nspname || '.' || f.relname END,
       k.confdeltype::text, k.confupdtype::text
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class f ON f.oid = k.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%'
"""

OWNED_SEQUENCES = """
SELECT tn.nspname || '.' || t.relname, sn.nspname || '.' || s.relname, a.attname
FROM pg_depend d
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i')
  AND tn.nspname NOT IN ('pg_catalog', 'information_schema')
"""

# What DROP … CASCADE takes along (dependency.c follows pg_depend's normal entries): for
# each object a relation, a column, a function or a type, the relations whose view rule,
# trigger, default, constraint or column depends on it.
CATALOG_DEPENDENTS = """
SELECT CASE d.refclassid
         WHEN 'pg_class'::regclass THEN
           rn.nspname || '.' || rc.relname
           || CASE WHEN d.refobjsubid > 0 THEN '.' || ra.attname ELSE '' END
         WHEN 'pg_proc'::regclass THEN pn.nspname || '.' || p.proname
         ELSE tn.nspname || '.' || t.typname END,
       CASE d.refclassid WHEN 'pg_class'::regclass THEN
            CASE WHEN d.refobjsubid > 0 THEN 'column' ELSE 'relation' END
         WHEN 'pg_proc'::regclass THEN 'function' ELSE 'type' END,
       dn.nspname || '.' || dc.relname
FROM pg_depend d
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_trigger g ON d.classid = 'pg_trigger'::regclass AND g.oid = d.objid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
JOIN pg_class dc ON dc.oid = CASE d.classid
       WHEN 'pg_rewrite'::regclass THEN r.ev_class
       WHEN 'pg_trigger'::regclass THEN g.tgrelid
       WHEN 'pg_attrdef'::regclass THEN ad.adrelid
       WHEN 'pg_constraint'::regclass THEN k.conrelid
       WHEN 'pg_class'::regclass THEN d.objid END
JOIN pg_namespace dn ON dn.oid = dc.relnamespace
LEFT JOIN pg_class rc ON d.refclassid = 'pg_class'::regclass AND rc.oid = d.refobjid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_attribute ra ON ra.attrelid = rc.oid AND ra.attnum = d.refobjsubid
LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
LEFT JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_type t ON d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.typnamespace
WHERE d.deptype = 'n'
  AND d.classid IN ('pg_rewrite'::regclass, 'pg_trigger'::regclass, 'pg_attrdef'::regclass,
                    'pg_constraint'::regclass, 'pg_class'::regclass)
  AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
  AND dn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND coalesce(rn.nspname, pn.nspname, tn.nspname) NOT IN ('pg_catalog', 'information_schema')
"""

CATALOG_DOMAINS = """
SELECT n.nspname || '.' || t.typname, b.typname, t.typtypmod,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contypid = t.oid) OR t.typnotnull
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type b ON b.oid = t.typbasetype
WHERE t.typtype = 'd' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""

CATALOG_PUBLICATIONS = """
SELECT p.pubname, n.nspname || '.' || c.relname
FROM pg_publication_rel pr
JOIN pg_publication p ON p.oid = pr.prpubid
JOIN pg_class c ON c.oid = pr.prrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
"""

SEARCH_PATH = "SELECT current_schemas(false)::text[], current_setting('TimeZone')"

# ---- blocking probes (run in the probe session, always rolled back) -------------------------

# A relation's name, quoted for SQL, from its OID or from pgfence's "schema.name" (which a
# schema or table name holding a dot makes ambiguous: "a.b"."t.c" is a.b.t.c).
RELATION_IDENTIFIER_BY_OID = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = %s
"""
RELATION_IDENTIFIER_BY_NAME = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = %s
ORDER BY length(n.nspname)
LIMIT 1
"""

TRY_LOCK = "BEGIN; LOCK TABLE {relation} IN {mode} MODE NOWAIT; ROLLBACK"
# Both questions in one round trip, with nothing left to roll back (a DO block's implicit
# transaction ends with it): can a writer get ROW EXCLUSIVE, and if not, a reader ACCESS
# SHARE? It succeeds if a writer gets in; otherwise it fails with lock_not_available and
# the message `reads` (neither gets in) or `writes` (only readers do).
TRY_READ_WRITE_TAG = "$pgfence$"
TRY_READ_WRITE = """DO $pgfence$ BEGIN
  BEGIN
    LOCK TABLE {relation} IN ROW EXCLUSIVE MODE NOWAIT;
  EXCEPTION WHEN lock_not_available THEN
    BEGIN
      LOCK TABLE {relation} IN ACCESS SHARE MODE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
      RAISE EXCEPTION 'reads' USING ERRCODE = 'lock_not_available';
    END;
    RAISE EXCEPTION 'writes' USING ERRCODE = 'lock_not_available';
  END;
END $pgfence$"""
TRY_SELECT = (
    "BEGIN; SET LOCAL lock_timeout = '{timeout_ms}ms'; SELECT 1 FROM {relation} LIMIT 1; ROLLBACK"
)
# Planning a DELETE opens every index of the table for writing; EXPLAIN executes nothing.
TRY_PLAN_WRITE = (
    "BEGIN; SET LOCAL lock_timeout = '{timeout_ms}ms'; "
    "EXPLAIN (COSTS OFF) DELETE FROM {relation}; ROLLBACK"
)

# ---- databases -----------------------------------------------------------------------------

CREATE_DATABASE = "CREATE DATABASE {name} TEMPLATE {template}"
DROP_DATABASE = "DROP DATABASE IF EXISTS {name}"
CREATE_ROLE = "CREATE ROLE {name} NOLOGIN"
TERMINATE_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = %s AND pid <> pg_backend_pid()"
)

# Indexes of a table that a failed CREATE INDEX / REINDEX … CONCURRENTLY left INVALID.
INVALID_INDEXES = """
SELECT n.nspname || '.' || c.relname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND i.indrelid = %s::regclass
ORDER BY 1
"""

# ---- sizes of a server's tables (--stats-from, `pgfence stats`): read-only ---------------------

# Row counts are the planner's (reltuples, -1 when never vacuumed or analysed, PG 14+);
# sizes are the files' real sizes. pg_relation_size takes ACCESS SHARE on each relation,
# so the session sets a lock_timeout: it never queues behind a migration for long.
STATS_TABLES = """
SELECT n.nspname || '.' || c.relname, c.relkind::text, c.reltuples::float8,
       pg_relation_size(c.oid), pg_total_relation_size(c.oid),
       CASE WHEN c.relispartition THEN
            (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i
             JOIN pg_class p ON p.oid = i.inhparent
             JOIN pg_namespace pn ON pn.oid = p.relnamespace
             WHERE i.inhrelid = c.oid LIMIT 1) END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%'
ORDER BY 1
"""

STATS_INDEXES = """
SELECT tn.nspname || '.' || t.relname, n.nspname || '.' || i.relname, pg_relation_size(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE t.relkind IN ('r', 'p', 'm')
  AND tn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND tn.nspname NOT LIKE 'pg_temp%%' AND tn.nspname NOT LIKE 'pg_toast_temp%%'
ORDER BY 1, 2
"""

STATS_SERVER = "SELECT current_setting('server_version'), current_database()"

READ_ONLY_SESSION = "SET default_transaction_read_only = on"
SESSION_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', %s, false)"

# ---- seeding synthetic rows (--seed), on throwaway servers only -----------------------------

# Tables that can be filled: plain tables that are not partitions (rows reach partitions
# through their partitioned parent) and partitioned tables at the top of their tree.
SEED_TABLES = """
SELECT n.nspname || '.' || c.relname, c.relkind::text,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'x')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1
"""

# Each column with its type resolved through domains to the base type (and, for an
# array, its element type), the enum labels of that type, and the domains' CHECKs.
SEED_COLUMNS = """
WITH RECURSIVE cols AS (
    SELECT c.oid AS relid, n.nspname || '.' || c.relname AS relation, a.attnum, a.attname,
           a.atttypid, a.atttypmod, a.attnotnull, a.attgenerated::text AS generated,
           a.attidentity::text AS identity, pg_get_expr(d.adbin, d.adrelid) AS default_expr
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg_temp%%'
), base AS (
    SELECT relid, attnum, atttypid AS type_oid, atttypmod AS typmod, 0 AS depth,
           ARRAY[]::text[] AS domain_checks
    FROM cols
    UNION ALL
    SELECT b.relid, b.attnum, t.typbasetype,
           CASE WHEN b.typmod <> -1 THEN b.typmod ELSE t.typtypmod END, b.depth + 1,
           b.domain_checks || ARRAY(SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
                                    WHERE k.contypid = t.oid AND k.contype = 'c')
    FROM base b JOIN pg_type t ON t.oid = b.type_oid
    WHERE t.typtype = 'd'
), resolved AS (
    SELECT DISTINCT ON (relid, attnum) relid, attnum, type_oid, typmod, domain_checks
    FROM base ORDER BY relid, attnum, depth DESC
)
SELECT cols.relation, cols.attname, format_type(cols.atttypid, cols.atttypmod),
       bt.typname, bt.typtype::text, r.typmod, et.typname, et.typtype::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e
             WHERE e.enumtypid = CASE WHEN bt.typtype = 'e' THEN bt.oid ELSE et.oid END
             ORDER BY e.enumsortorder),
       cols.attnotnull, cols.generated, cols.identity, cols.default_expr, r.domain_checks
FROM cols
JOIN resolved r ON r.relid = cols.relid AND r.attnum = cols.attnum
JOIN pg_type bt ON bt.oid = r.type_oid
LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
ORDER BY cols.relation, cols.attnum
"""

# Unique indexes (primary keys, UNIQUE constraints, unique indexes, partial or on
# expressions) with every column they depend on (pg_depend records expression and
# predicate columns too).
SEED_UNIQUE_KEYS = """
SELECT tn.nspname || '.' || t.relname, i.relname,
       ARRAY(SELECT DISTINCT a.attname::text FROM pg_depend d
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid
               AND d.refobjid = t.oid AND d.refobjsubid > 0
             UNION
             SELECT a.attname::text FROM unnest(x.indkey) k(attnum)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE k.attnum > 0)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE x.indisunique AND t.relkind IN ('r', 'p') AND NOT t.relispartition
  AND tn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""

SEED_CHECKS = """
SELECT n.nspname || '.' || c.relname, k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'c' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""

# Foreign keys declared on a table (not the clones Postgres makes on its partitions).
SEED_FOREIGN_KEYS = """
SELECT n.nspname || '.' || c.relname, k.conname,
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum
             ORDER BY u.ord),
       fn.nspname || '.' || f.relname,
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = f.oid AND a.attnum = u.attnum
             ORDER BY u.ord)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class f ON f.oid = k.confrelid
JOIN pg_namespace fn ON fn.oid = f.relnamespace
WHERE k.contype = 'f' AND k.conparentid = 0 AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""

# Tables with user triggers: seeding runs with session_replication_role = replica, which
# keeps them (and the foreign-key triggers, checked afterwards in bulk) from firing.
SEED_HAS_ROWS = "SELECT EXISTS (SELECT 1 FROM {table})"
SEED_ROW_COUNT = "SELECT count(*) FROM {table}"
SEED_KEY_SAMPLE = "SELECT DISTINCT {columns} FROM {table} WHERE {not_null} LIMIT %s"
SEED_COPY = "COPY {table} ({columns}) FROM STDIN"
SEED_REPLICA_ROLE = "SET session_replication_role = replica"
SEED_ORIGIN_ROLE = "SET session_replication_role = origin"
# Rows whose foreign key finds no referenced row (NULL keys are never checked: MATCH SIMPLE).
SEED_FK_VIOLATIONS = (
    "SELECT count(*) FROM {child} c WHERE {not_null} AND NOT EXISTS "
    "(SELECT 1 FROM {parent} p WHERE {join})"
)
SEED_TRUNCATE = "TRUNCATE {table} CASCADE"
SEED_VACUUM = "VACUUM (ANALYZE) {table}"
# Owned sequences continue after the seeded values, so a migration's INSERT does not collide.
SEED_SETVAL = (
    "SELECT setval(%s::regclass, coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
)
# Heap bytes of each seeded table (partitioned: the sum over its partitions).
SEED_TABLE_BYTES = """
SELECT n.nspname || '.' || c.relname,
       CASE WHEN c.relkind = 'p' THEN
            (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t
             WHERE t.isleaf)
            ELSE pg_relation_size(c.oid) END::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = ANY(%s::text[]) AND c.relkind IN ('r', 'p')
"""

# ---- preflight: a live server right before a migration (read-only) ----------------------------
# None of these reads a user table, so the session locks nothing but catalogs (ACCESS
# SHARE); pg_locks and pg_stat_activity take no heavyweight lock at all.

PREFLIGHT_SETTINGS = "SELECT current_setting('lock_timeout'), pg_backend_pid(), current_user"

SESSION_STATEMENT_TIMEOUT = "SELECT set_config('statement_timeout', %s, false)"

# Does pg_stat_activity hide this session's state, query and times from us? It does for
# another role's sessions (and background workers) unless we have pg_read_all_stats; its
# pid, user and application stay visible, and pg_locks shows its locks to everyone.
_HIDDEN = (
    "(a.pid IS NOT NULL AND NOT coalesce(pg_has_role(a.usesysid, 'USAGE') "
    "OR pg_has_role('pg_read_all_stats', 'USAGE'), false))"
)

# The relations a migration needs, by name, without locking them (no regclass cast).
PREFLIGHT_RELATIONS = """
SELECT n.nspname || '.' || c.relname, c.oid::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = ANY(%s::text[])
"""

# Every relation lock other sessions hold or wait for on those relations, with the
# session behind it. Locks of a prepared transaction have no pid: its gid is found
# through the transaction id the same virtual transaction holds.
PREFLIGHT_LOCKS = f"""
SELECT l.relation::bigint, l.mode, l.granted, l.pid, a.usename::text, a.application_name,
       a.state, a.backend_type,
       extract(epoch FROM now() - a.xact_start)::float8,
       extract(epoch FROM now() - a.query_start)::float8,
       left(a.query, 2000), px.gid, extract(epoch FROM now() - px.prepared)::float8,
       {_HIDDEN}
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
LEFT JOIN LATERAL (
    SELECT p.gid, p.prepared FROM pg_locks x
    JOIN pg_prepared_xacts p ON p.transaction = x.transactionid
    WHERE l.pid IS NULL AND x.virtualtransaction = l.virtualtransaction
      AND x.locktype = 'transactionid'
    LIMIT 1) px ON true
WHERE l.locktype = 'relation' AND l.relation = ANY(%s::oid[])
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid IS DISTINCT FROM pg_backend_pid()
ORDER BY l.granted DESC, a.xact_start NULLS FIRST
"""

# Other sessions of this database, as preflight describes a session (see _session).
_OTHER_SESSIONS = f"""
SELECT a.pid, a.usename::text, a.application_name, a.state, a.backend_type,
       extract(epoch FROM now() - a.xact_start)::float8,
       extract(epoch FROM now() - a.query_start)::float8,
       left(a.query, 2000), NULL::text, NULL::float8, {_HIDDEN}
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
"""

# Transactions open longer than a threshold, in this database (and prepared ones).
PREFLIGHT_LONG_TRANSACTIONS = (
    _OTHER_SESSIONS
    + """\
  AND a.xact_start < now() - make_interval(secs => %s)
UNION ALL
SELECT NULL, p.owner::text, NULL, 'prepared', NULL,
       extract(epoch FROM now() - p.prepared)::float8, NULL, NULL, p.gid,
       extract(epoch FROM now() - p.prepared)::float8, false
FROM pg_prepared_xacts p
WHERE p.database = current_database() AND p.prepared < now() - make_interval(secs => %s)
ORDER BY 6 DESC
"""
)

# Sessions of this database holding a snapshot (REPEATABLE READ, or a statement running):
# a concurrent index build waits for each of them before it ends (a READ COMMITTED
# transaction between statements holds none, and is not waited for).
PREFLIGHT_SNAPSHOT_HOLDERS = (
    _OTHER_SESSIONS
    + """\
  AND a.backend_xmin IS NOT NULL AND a.backend_type = 'client backend'
ORDER BY 6 DESC NULLS LAST
"""
)

# Other sessions of this database whose state and transaction are hidden from us.
PREFLIGHT_HIDDEN_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity a "
    "WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND " + _HIDDEN
)

# Statistics counters of the needed tables, read twice to see how busy each is.
PREFLIGHT_TABLE_ACTIVITY = """
SELECT relid::bigint, coalesce(seq_scan, 0) + coalesce(idx_scan, 0),
       coalesce(n_tup_ins, 0) + coalesce(n_tup_upd, 0) + coalesce(n_tup_del, 0)
FROM pg_stat_all_tables WHERE relid = ANY(%s::oid[])
"""

# ---- what a statement on an existing server would leave behind (lasting.py) ------------------

_ROUTINE = """p.proname::text, l.lanname::text,
       CASE WHEN p.prosqlbody IS NOT NULL OR l.lanname = 'plpgsql'
            THEN pg_get_functiondef(p.oid) ELSE p.prosrc END,
       n.nspname = 'pg_catalog'
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
JOIN pg_namespace n ON n.oid = p.pronamespace"""

# Every function or procedure a call by this name may reach: all overloads, in the named
# schema, or visible on the search path.
ROUTINES_BY_NAME = f"""
SELECT {_ROUTINE}
WHERE p.proname = %(name)s
  AND CASE WHEN %(schema)s::text IS NULL THEN pg_function_is_visible(p.oid)
           ELSE n.nspname = %(schema)s END
"""

# The columns of a table in order, and whether a row inserted without a value for one
# takes it from a sequence (an identity column, or a default that depends on a sequence:
# read from pg_depend, so that no expression is deparsed and the table is not opened).
TABLE_COLUMNS = """
SELECT a.attname::text,
       a.attidentity <> '' OR EXISTS (
           SELECT 1 FROM pg_attrdef d
           JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid
           JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
           WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum)
FROM pg_attribute a
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# The functions of the enabled user triggers that rows written to a table fire (on the
# table and, for a partitioned table, on its partitions).
TRIGGER_ROUTINES = f"""
SELECT {_ROUTINE}
JOIN pg_trigger t ON t.tgfoid = p.oid
WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND t.tgrelid IN (SELECT to_regclass(%(table)s)
                    UNION ALL SELECT relid FROM pg_partition_tree(to_regclass(%(table)s)))
"""

EVENT_TRIGGER_ROUTINES = f"""
SELECT {_ROUTINE}
JOIN pg_event_trigger e ON e.evtfoid = p.oid
WHERE e.evtenabled <> 'D'
"""


# dryrun --runner: the sessions a runner left on the server when it stopped.
TERMINATE_BACKENDS = """
SELECT pg_terminate_backend(a.pid)
FROM pg_stat_activity a
WHERE a.pid = ANY(%s::int[]) AND a.pid <> pg_backend_pid()
"""
