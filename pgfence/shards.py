"""`--shard K/N`: the same cut of the work on every machine, for CI job matrices to run.

The work is cut into units, in the order the migrations are applied: one migration file,
or several when a migration tool's transaction spans them (TypeORM's default runs every
pending migration in one), since a transaction cannot be cut. The units are dealt out in
N contiguous runs of about the same number of statements. The cut depends only on the
list of migrations and their statements, never on the machine, the clock or a random seed.

A shard still needs what the units before it did to the schema: `analyze` walks them for
its catalog, `dryrun` applies them without observing (pgfence/dryrun/runner.py). So a
shard reports exactly what the unsharded run reports for its units, and `pgfence report
merge` puts the shards back together (pgfence/api.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from pgfence.errors import UsageError
from pgfence.model import MatrixReport, Migration, Report, ShardInfo, Statement


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, sep, count = text.strip().partition("/")
        if not (sep and index.strip().isdigit() and count.strip().isdigit()):
            raise UsageError(f"--shard {text!r}: expected K/N, e.g. 2/4")
        shard = cls(int(index), int(count))
        if not 1 <= shard.index <= shard.count:
            raise UsageError(f"--shard {text!r}: K must be between 1 and N")
        return shard

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Split:
    """The migrations of one shard, and those of the shards before it."""

    shard: Shard
    units: int  # work units in all the shards
    before: tuple[Migration, ...]  # what earlier shards run, in order
    mine: tuple[Migration, ...]
    info: ShardInfo

    @property
    def empty(self) -> bool:
        return not self.mine


def units(migrations: Sequence[Migration]) -> list[list[Migration]]:
    """Consecutive migrations, grouped where a transaction block runs across files."""
    out: list[list[Migration]] = []
    open_blocks: set[int] = set()
    for migration in migrations:
        blocks = {s.transaction.block for s in migration.statements} - {None}
        if out and blocks & open_blocks:
            out[-1].append(migration)
            open_blocks |= {b for b in blocks if b is not None}
        else:
            out.append([migration])
            open_blocks = {b for b in blocks if b is not None}
    return out


def split(migrations: Sequence[Migration], shard: Shard) -> Split:
    groups = units(migrations)
    weights = [max(1, sum(len(m.statements) for m in group)) for group in groups]
    total = sum(weights)
    before: list[Migration] = []
    mine: list[Migration] = []
    done = 0
    for group, weight in zip(groups, weights, strict=True):
        # The shard that holds the middle of this unit: contiguous, nearly even in
        # statements, and the same wherever it is computed (integer arithmetic).
        owner = min(shard.count, (2 * done + weight) * shard.count // (2 * total) + 1)
        done += weight
        if owner < shard.index:
            before.extend(group)
        elif owner == shard.index:
            mine.extend(group)
    info = ShardInfo(
        index=shard.index, count=shard.count, units=len(groups), inputs=digest(migrations)
    )
    return Split(shard, len(groups), tuple(before), tuple(mine), info)


def digest(migrations: Sequence[Migration]) -> str:
    """What the shards of one run share: the migrations, their paths and statements. Two
    shard reports with different digests were not cut from the same work."""
    h = hashlib.sha256()
    for migration in migrations:
        h.update(f"{migration.path}\0{migration.format}\0".encode())
        for statement in migration.statements:
            h.update(f"{statement.location}\0{statement.sql}\0".encode())
    return h.hexdigest()[:16]


def statements_of(migrations: Sequence[Migration]) -> frozenset[Statement]:
    return frozenset(s for m in migrations for s in m.statements)


def restrict(report: Report, split: Split) -> Report:
    """What `report` (of the earlier shards' migrations and this one's) says about this
    shard's migrations: its statements and the findings about its files."""
    keep = statements_of(split.mine)
    files = {m.path for m in split.mine} | {s.location.file for s in keep}
    files |= {f.location.file for m in split.mine for f in m.findings}
    return dataclasses.replace(
        report,
        statements=tuple(s for s in report.statements if s.statement in keep),
        findings=tuple(f for f in report.findings if f.location.file in files),
        shard=split.info,
    )


def labelled(result: Report | MatrixReport, info: ShardInfo) -> Report | MatrixReport:
    """The report (each version's, for several) marked as this shard's."""
    if isinstance(result, MatrixReport):
        reports = tuple(dataclasses.replace(r, shard=info) for r in result.reports)
        return dataclasses.replace(result, reports=reports)
    return dataclasses.replace(result, shard=info)
