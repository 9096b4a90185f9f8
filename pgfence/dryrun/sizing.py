"""The sizing options of a dry-run (--stats, --stats-from, --seed…), checked and resolved.

Shared by the command line and the Python API. Checking never reads anything; only
`request()` reads the stats (a file, or a server, read-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pgfence.errors import UsageError

if TYPE_CHECKING:
    from pgfence.dryrun.seed import SeedRequest


@dataclass(frozen=True)
class Sizing:
    """The sizing options, as given."""

    stats: str | None = None
    stats_from: str | None = None
    seed: bool = False
    rows: int | None = None
    scale: float | None = None
    max_rows: int | None = None

    @property
    def wanted(self) -> bool:
        """Is the dry-run seeded?"""
        return self.seed or self.rows is not None or self.scale is not None

    def check(self) -> None:
        """The options fit together (checked before anything is read or started)."""
        if self.stats and self.stats_from:
            raise UsageError("--stats and --stats-from are alternatives: give one")
        if self.rows is not None and self.scale is not None:
            raise UsageError("--seed-rows and --seed-scale are alternatives: give one")
        if self.scale is not None and not 0 < self.scale <= 1:
            raise UsageError(f"--seed-scale {self.scale:g}: expected a fraction such as 0.01")
        if self.rows is not None and self.max_rows is not None and self.rows > self.max_rows:
            raise UsageError(
                f"--seed-rows {self.rows} is over --seed-max-rows {self.max_rows}: give one"
            )
        has_stats = bool(self.stats or self.stats_from)
        if not self.wanted:
            if has_stats or self.max_rows is not None:
                raise UsageError(
                    "--stats, --stats-from and --seed-max-rows are for seeded runs: add --seed, "
                    "--seed-scale F or --seed-rows N"
                )
            return
        if self.scale is not None and not has_stats:
            raise UsageError(
                "--seed-scale is a fraction of the recorded sizes: give --stats FILE "
                "or --stats-from DSN (or use --seed-rows N)"
            )

    def request(self) -> SeedRequest | None:
        """What to seed, with the stats read; None for an unseeded dry-run."""
        self.check()
        if not self.wanted:
            return None
        from pgfence.dryrun import seed, stats

        recorded = None
        if self.stats:
            recorded = stats.load(self.stats)
        elif self.stats_from:
            recorded = stats.read_from(self.stats_from)
        scale = self.scale
        if scale is None and self.rows is None and recorded is not None:
            scale = seed.DEFAULT_SCALE
        return seed.SeedRequest(
            rows=self.rows,
            scale=scale,
            max_rows=self.max_rows or seed.DEFAULT_MAX_ROWS,
            stats=recorded,
        )
