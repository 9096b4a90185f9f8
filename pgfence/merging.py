"""`pgfence report merge`: the reports of a CI matrix's jobs (shards, Postgres majors) made
into the one report the unsharded run gives.

Shards of one major are put back in shard order: each holds a contiguous part of the
migrations (pgfence/shards.py), so their statements and file findings, concatenated, are
the unsharded run's. Several majors make a version matrix, whose differences are found as
`dryrun --pg 15,16` finds them. What cannot be one run is refused, with the files named:
another pgfence version, other migrations (the shards' digests differ), another server
version of the same major, a shard missing or given twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pgfence.errors import BadInput
from pgfence.model import MatrixReport, Report, ServerInfo, ShardInfo


@dataclass(frozen=True)
class SavedReport:
    source: str  # the file it was read from, for the messages
    report: Report


def flatten(source: str, result: Report | MatrixReport) -> list[SavedReport]:
    reports = result.reports if isinstance(result, MatrixReport) else (result,)
    return [SavedReport(source, r) for r in reports]


def merge(saved: Sequence[SavedReport]) -> Report | MatrixReport:
    if not saved:
        raise BadInput("nothing to merge: no report given")
    _same(saved, "pgfence version", lambda r: r.pgfence_version)
    _same(saved, "command", lambda r: r.command)
    _same(saved, "project", lambda r: r.project or "(none)")
    _same(saved, "fail-on severity", lambda r: str(r.fail_on))
    sharded = [s for s in saved if s.report.shard is not None]
    _same(sharded, "migrations (shard digest)", lambda r: r.shard.inputs if r.shard else "")
    by_major: dict[int, list[SavedReport]] = {}
    for s in saved:
        by_major.setdefault(s.report.pg_version, []).append(s)
    merged = [_one_major(major, parts) for major, parts in sorted(by_major.items())]
    if len(merged) == 1:
        return merged[0]
    if merged[0].command != "dryrun":
        raise BadInput(
            f"analyze reports for PostgreSQL {', '.join(str(r.pg_version) for r in merged)}: "
            "merge each major's shards on its own (only dry-runs make a version matrix)"
        )
    sizes = {len(r.statements) for r in merged}
    if len(sizes) > 1:
        raise BadInput("the majors' reports hold different numbers of statements")
    from pgfence.dryrun.matrix import differences

    return MatrixReport(tuple(merged), tuple(differences(merged)))


def _one_major(major: int, parts: list[SavedReport]) -> Report:
    shards = [p for p in parts if p.report.shard is not None]
    if len(parts) > 1 and len(shards) < len(parts):
        whole = next(p for p in parts if p.report.shard is None)
        raise BadInput(
            f"{whole.source}: a whole run's report for PostgreSQL {major}, and other "
            "reports for the same major: only shards (--shard K/N) are merged"
        )
    ordered = sorted(parts, key=lambda p: p.report.shard.index if p.report.shard else 1)
    if shards:
        _check_shards(major, ordered)
    servers = {p.report.server for p in parts if p.report.server is not None}
    if len(servers) > 1:
        raise BadInput(
            f"the shards for PostgreSQL {major} ran on different servers: "
            + ", ".join(sorted(_server(s) for s in servers))
        )
    first = ordered[0].report
    return replace(
        first,
        statements=tuple(s for p in ordered for s in p.report.statements),
        findings=tuple(f for p in ordered for f in p.report.findings),
        server=next(iter(servers), None),
        shard=None,
    )


def _check_shards(major: int, ordered: list[SavedReport]) -> None:
    infos: list[tuple[str, ShardInfo]] = [
        (p.source, p.report.shard) for p in ordered if p.report.shard is not None
    ]
    counts = {info.count for _, info in infos}
    if len(counts) > 1:
        listed = ", ".join(f"{source} ({info.index}/{info.count})" for source, info in infos)
        raise BadInput(f"shards of different cuts for PostgreSQL {major}: {listed}")
    count = counts.pop()
    seen: dict[int, str] = {}
    for source, info in infos:
        if info.index in seen:
            raise BadInput(
                f"shard {info.index}/{count} for PostgreSQL {major} given twice: "
                f"{seen[info.index]} and {source}"
            )
        seen[info.index] = source
    missing = [str(k) for k in range(1, count + 1) if k not in seen]
    if missing:
        raise BadInput(
            f"shard(s) {', '.join(missing)} of {count} for PostgreSQL {major} missing: "
            "the merged report would not be the whole run"
        )


def _server(server: ServerInfo) -> str:
    return f"{server.version} ({server.backend})"


def _same(saved: Sequence[SavedReport], what: str, key: Callable[[Report], object]) -> None:
    values: dict[str, str] = {}
    for s in saved:
        values.setdefault(str(key(s.report)), s.source)
    if len(values) > 1:
        listed = "; ".join(f"{source}: {value}" for value, source in values.items())
        raise BadInput(f"the reports do not come from one run: different {what} ({listed})")
