"""The rules' index: each rule's id, its module and the names of the parse-tree types it
looks at (its `nodes`; None: any statement), in id order, the order of the findings.

A run imports only the modules of the rules its statements' types admit
(`rules_admitting`): most statements are of two or three types, and importing all fifty
modules was a sixteenth of a small file's run. `pgfence rules`, `explain`, SARIF and the
documentation import them all (`all_rules`). tests/analysis/test_rule_index.py keeps the
index true to the modules, and prints the line a new rule needs.
"""

from __future__ import annotations

INDEX: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("add-column-foreign-key", "add_column_foreign_key", ("AlterTableStmt",)),
    ("add-column-not-null-no-default", "add_column_not_null_no_default", ("AlterTableStmt",)),
    ("add-column-rewrite", "add_column_rewrite", ("AlterTableStmt",)),
    ("add-exclusion-constraint", "add_exclusion_constraint", ("AlterTableStmt",)),
    ("alter-column-type-rebuilds-index", "alter_column_type_rebuilds_index", ("AlterTableStmt",)),
    ("alter-column-type-rewrite", "alter_column_type_rewrite", ("AlterTableStmt",)),
    ("alter-sequence", "alter_sequence", ("AlterSeqStmt",)),
    ("alter-table-rewrite", "alter_table_rewrite", ("AlterTableStmt",)),
    (
        "attach-partition-default-scan",
        "attach_partition_default_scan",
        ("CreateStmt", "AlterTableStmt"),
    ),
    ("attach-partition-scan", "attach_partition_scan", ("AlterTableStmt",)),
    ("ban-char", "ban_char", ("CreateStmt", "AlterTableStmt")),
    ("check-constraint-validation", "check_constraint_validation", ("AlterTableStmt",)),
    ("cluster-table", "cluster_table", ("ClusterStmt",)),
    (
        "concurrent-index-on-partitioned-table",
        "concurrent_index_on_partitioned_table",
        ("IndexStmt",),
    ),
    ("concurrently-without-if-exists", "concurrently_without_if_exists", ("IndexStmt", "DropStmt")),
    ("create-index-blocks-writes", "create_index_blocks_writes", ("IndexStmt",)),
    ("create-trigger", "create_trigger", ("CreateTrigStmt",)),
    ("detach-partition-blocking", "detach_partition_blocking", ("AlterTableStmt",)),
    ("disable-trigger", "disable_trigger", ("AlterTableStmt",)),
    ("domain-constraint-validation", "domain_constraint_validation", ("AlterDomainStmt",)),
    ("drop-column", "drop_column", ("AlterTableStmt",)),
    ("drop-database", "drop_database", ("DropdbStmt",)),
    ("drop-index-blocks-reads", "drop_index_blocks_reads", ("DropStmt",)),
    ("drop-not-null", "drop_not_null", ("AlterTableStmt",)),
    ("drop-schema", "drop_schema", ("DropStmt",)),
    ("drop-table", "drop_table", ("DropStmt",)),
    ("drop-trigger", "drop_trigger", ("DropStmt",)),
    (
        "duplicate-column",
        "duplicate_column",
        ("UpdateStmt", "InsertStmt", "CreateStmt", "AlterTableStmt"),
    ),
    ("enum-value-used-in-transaction", "enum_value_used_in_transaction", None),
    ("foreign-key-validation", "foreign_key_validation", ("AlterTableStmt",)),
    ("foreign-key-without-index", "foreign_key_without_index", ("CreateStmt", "AlterTableStmt")),
    ("identifier-too-long", "identifier_too_long", None),
    ("lock-table", "lock_table", ("LockStmt",)),
    ("prefer-bigint", "prefer_bigint", ("CreateStmt", "AlterTableStmt")),
    ("prefer-identity", "prefer_identity", ("CreateStmt", "AlterTableStmt")),
    ("prefer-jsonb", "prefer_jsonb", ("CreateStmt", "AlterTableStmt")),
    ("prefer-text", "prefer_text", ("CreateStmt", "AlterTableStmt")),
    ("prefer-timestamptz", "prefer_timestamptz", ("CreateStmt", "AlterTableStmt")),
    ("refresh-matview-blocks-reads", "refresh_matview_blocks_reads", ("RefreshMatViewStmt",)),
    ("reindex-blocks", "reindex_blocks", ("ReindexStmt",)),
    ("rename-column", "rename_column", ("RenameStmt",)),
    ("rename-table", "rename_table", ("RenameStmt",)),
    ("requires-newer-postgres", "requires_newer_postgres", None),
    ("set-logged-unlogged", "set_logged_unlogged", ("AlterTableStmt",)),
    ("set-not-null-scan", "set_not_null_scan", ("AlterTableStmt",)),
    ("truncate-table", "truncate_table", ("TruncateStmt",)),
    (
        "unbatched-data-change",
        "unbatched_data_change",
        ("UpdateStmt", "DeleteStmt", "MergeStmt", "InsertStmt"),
    ),
    ("unique-constraint-builds-index", "unique_constraint_builds_index", ("AlterTableStmt",)),
    ("vacuum-full", "vacuum_full", ("VacuumStmt",)),
    ("validate-in-same-transaction", "validate_in_same_transaction", ("AlterTableStmt",)),
)
