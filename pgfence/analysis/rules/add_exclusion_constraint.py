"""add-exclusion-constraint"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ConstrType

from pgfence.analysis.rule import Hit, Rule, RuleContext, display, register
from pgfence.analysis.rules._shared import added_constraints, sql
from pgfence.model import Severity


@register
class AddExclusionConstraint(Rule):
    """Adding an EXCLUDE constraint to a table in use.

    ## What it does
    Flags `ADD CONSTRAINT … EXCLUDE USING …` on a table that existed before the
    migration.

    ## Why is this bad?
    Its index is built, and every row checked, under ACCESS EXCLUSIVE: reads and writes
    wait for the whole build. Unlike UNIQUE, there is no online path: an exclusion
    constraint cannot be added `NOT VALID` nor attached to an index built `CONCURRENTLY`.

    ## Example
    ```sql
    ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
        EXCLUDE USING gist (room_id WITH =, during WITH &&);
    ```

    ## Use instead
    Run it when the table is small or traffic is low, with a `lock_timeout` and a
    `statement_timeout`; or enforce the rule with a trigger on new rows and check the
    old ones separately.
    """

    id = "add-exclusion-constraint"
    nodes = (ast.AlterTableStmt,)
    severity = Severity.HIGH
    summary = "ADD EXCLUDE builds its index under ACCESS EXCLUSIVE and has no online path"
    example_schema = "CREATE TABLE bookings (id bigint PRIMARY KEY, room_id int, during tstzrange);"
    example_bad = (
        "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap "
        "EXCLUDE USING gist (room_id WITH =, during WITH &&);"
    )
    example_good = (
        "CREATE TABLE bookings_v2 (id bigint PRIMARY KEY, room_id int, during tstzrange, "
        "CONSTRAINT bookings_v2_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&));"
    )

    def check(self, ctx: RuleContext) -> Iterator[Hit]:
        for table, con in added_constraints(ctx, ConstrType.CONSTR_EXCLUSION):
            t = display(table)
            yield Hit(
                f"building this exclusion constraint's index holds ACCESS EXCLUSIVE on {t}: "
                "reads and writes wait for the whole build, and there is no online way to add it",
                recipe=(
                    "-- no online path: keep the lock window bounded, at a quiet time",
                    "SET lock_timeout = '2s';",
                    "SET statement_timeout = '10min';",
                    f"ALTER TABLE {t} ADD {sql(con)};",
                ),
            )
