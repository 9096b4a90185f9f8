"""Benchmark: how fast --seed writes rows, and how right the production-size estimates are.

1. A "production" database is seeded at full size (default: 2 000 000 orders, 400 000
   accounts): rows per second written by COPY, as seed.py does it.
2. Its sizes are read as a stats file would record them (stats.read), and the migration
   below is dry-run with --seed-scale (default 0.01): measured at 1/16, 1/4 and 1 of that
   seed size, and estimated at the production size.
3. The same migration runs on the production database itself. For each statement that
   got an estimate, the ratio estimate / actual is printed (1.00: exact), with the range
   and confidence pgfence gave; then the geometric mean of the ratios and the worst one.

Run with `make bench` or `.venv/bin/python bench/seed.py [--orders N] [--scale F]`.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import psycopg

from pgfence.dryrun import replay, stats
from pgfence.dryrun.runner import DryRunOptions, dry_run, run_in_database
from pgfence.dryrun.seed import SeedRequest, seed
from pgfence.dryrun.servers.embedded import embedded_server
from pgfence.dryrun.stats import Stats, TableSize
from pgfence.durations import format_ms
from pgfence.model import RelKind
from pgfence.sources.sql import read_sql_file

SCHEMA = """
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(80) NOT NULL,
    plan text NOT NULL CHECK (plan IN ('free', 'pro', 'team')),
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
    total numeric(12, 2) NOT NULL CHECK (total >= 0),
    note text,
    placed_at timestamptz NOT NULL
);
CREATE INDEX orders_account_idx ON orders (account_id);
"""

MIGRATION = """\
CREATE INDEX orders_placed_idx ON orders (placed_at);
ALTER TABLE orders ADD COLUMN flag boolean DEFAULT random() > 0.5;
ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 10000000000);
UPDATE accounts SET plan = 'team' WHERE id % 10 = 0;
ALTER TABLE accounts ADD CONSTRAINT accounts_name_key UNIQUE (name);
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000_000, help="production orders")
    parser.add_argument("--scale", type=float, default=0.01, help="--seed-scale of the dry-run")
    args = parser.parse_args()
    accounts = args.orders // 5
    with tempfile.TemporaryDirectory() as tmp, embedded_server() as server:
        root = Path(tmp)
        schema = root / "schema.sql"
        schema.write_text(SCHEMA)
        migration = root / "0001_migration.sql"
        migration.write_text(MIGRATION)
        migrations = [read_sql_file(str(migration))]

        production = server.dsn(replay.create_database(server, "bench_production"))
        replay.replay_dump(production, str(schema))
        wanted = Stats(
            (
                TableSize("public.accounts", RelKind.TABLE, accounts, 0, 0),
                TableSize("public.orders", RelKind.TABLE, args.orders, 0, 0),
            )
        )
        request = SeedRequest(scale=1.0, stats=wanted, max_rows=args.orders)
        seeded = seed(production, request)
        print(
            f"seeded {seeded.rows:,} rows ({accounts:,} accounts, {args.orders:,} orders) in "
            f"{seeded.seconds:.1f} s: {seeded.rows_per_second:,.0f} rows/s "
            "(COPY; foreign keys checked afterwards, then VACUUM ANALYZE, not counted)"
        )
        with psycopg.connect(production) as conn:
            recorded = stats.read(conn)

        start = time.perf_counter()
        options = DryRunOptions(
            schema_file=str(schema),
            database="bench_estimate",
            seed=SeedRequest(scale=args.scale, stats=recorded),
        )
        report = dry_run(server, migrations, options)
        print(
            f"dry-run at --seed-scale {args.scale:g} (3 sizes, seeded and run): "
            f"{time.perf_counter() - start:.1f} s"
        )

        actual, _ = run_in_database(server, production, migrations, DryRunOptions())
        print(f"\n{'statement':58} {'estimate':>10} {'range':>19} {'actual':>9}  ratio")
        ratios = []
        for estimated, real in zip(report.statements, actual, strict=True):
            e = estimated.estimate
            if e is None or e.expected_ms is None or real.observation is None:
                continue
            truth = real.observation.duration_ms
            ratio = e.expected_ms / truth
            ratios.append(ratio)
            span = f"{format_ms(e.low_ms or 0)}–{format_ms(e.high_ms or 0)}"
            inside = "in range" if (e.low_ms or 0) <= truth <= (e.high_ms or 0) else "OUTSIDE"
            print(
                f"{estimated.statement.sql[:58]:58} {format_ms(e.expected_ms):>10} {span:>19} "
                f"{format_ms(truth):>9}  {ratio:.2f} ({e.confidence}, {inside})"
            )
        geometric = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        worst = max(ratios, key=lambda r: abs(math.log(r)))
        print(
            f"\nestimate / actual at {args.orders:,} orders ({1 / args.scale:.0f}× the seed): "
            f"geometric mean {geometric:.2f}, worst {worst:.2f}"
        )


if __name__ == "__main__":
    main()
