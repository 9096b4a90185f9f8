"""What a Postgres major can do, as data: each fact names the first major that has it.

Code that depends on a version asks a fact (`VIRTUAL_GENERATED_COLUMNS.on(version)`),
never compares version numbers itself, so that what changed in which release is said
once, here, with its reason, and the lock table's `since=` rows say the rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Since:
    """Something Postgres does from major `since` on."""

    since: int
    what: str

    def on(self, version: int) -> bool:
        return version >= self.since


CLIENT_CONNECTION_CHECK_INTERVAL = Since(
    14, "client_connection_check_interval: a backend notices its client has gone"
)
PLANNER_LOCKS_PARTITIONED_INDEXES = Since(
    16,
    "the planner opens a partitioned table's own indexes (measured: 14 and 15 lock only "
    "the partitions' indexes)",
)
VIRTUAL_GENERATED_COLUMNS = Since(18, "virtual generated columns, computed when read")
NOT_NULL_NOT_VALID = Since(
    18,
    "a NOT NULL constraint added NOT VALID and validated online, named "
    "<table>_<column>_not_null as SET NOT NULL names it",
)
