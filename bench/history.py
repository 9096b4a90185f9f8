"""Benchmark: a whole migration history, as the nightly dry-run meets it (issue 14).

A generated Flyway history of 300 files and 3,000 statements over a schema that grows to
500 tables: files of 4 to 12 statements that create, alter, index, fill and comment on
tables, fifty files of one 10-statement "group" (four tables created, indexed and joined
by foreign keys, as an ORM's first migration writes them), and one file that holds fifty
such groups: a 500-statement transaction. Flyway wraps every file in a transaction.

From one run, side by side, over 3 rounds in which the two take turns (medians,
and each round's figure):
- `pgfence dryrun -f json DIR`, the whole process (its server's start included);
- the same SQL applied with psql, every file in a transaction, on a fresh server of the
  same binaries (server start and stop included);
- their ratio and what observing adds per statement;
- the 500-statement transaction against the fifty 10-statement files (the same
  statements in other transactions), timed from the dry-run's progress lines;
- the dry-run's peak RSS and its JSON report's bytes per statement.
Targets (issue 14, a 2-core machine): ratio <= 5, <= 2 ms per statement, the big
transaction <= 2x the fifty small files, RSS < 200 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pgfence.dryrun.servers.embedded import embedded_server

FILES, STATEMENTS, TABLES = 300, 3000, 500
GROUPS_IN_BIG, SMALL_FILES = 50, 50  # the 500-statement transaction; fifty 10-statement files
BIG_FILE = 100  # its place in the history (the fifty small files follow it)

# One group: four tables as an ORM creates them, their indexes and foreign keys.
GROUP = [
    "CREATE TABLE g{n}_account (id bigserial PRIMARY KEY, name text NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now());",
    "CREATE TABLE g{n}_order (id bigserial PRIMARY KEY, account_id bigint NOT NULL,"
    " amount numeric(12,2));",
    "CREATE TABLE g{n}_line (id bigserial PRIMARY KEY, order_id bigint, note text);",
    "CREATE TABLE g{n}_tag (id integer PRIMARY KEY, label varchar(50));",
    "CREATE INDEX g{n}_order_account_idx ON g{n}_order (account_id);",
    "ALTER TABLE g{n}_order ADD CONSTRAINT g{n}_order_account_fk FOREIGN KEY (account_id)"
    " REFERENCES g{n}_account (id);",
    "CREATE UNIQUE INDEX g{n}_account_name_key ON g{n}_account (name);",
    "ALTER TABLE g{n}_line ADD CONSTRAINT g{n}_line_order_fk FOREIGN KEY (order_id)"
    " REFERENCES g{n}_order (id);",
    "CREATE INDEX g{n}_line_order_idx ON g{n}_line (order_id);",
    "ALTER TABLE g{n}_tag ADD COLUMN extra jsonb;",
]

# The rest of the history: a cycle of 20 statements per table h{c}, created by the first
# and altered by the others; each works on the table of an earlier cycle, h{c // 2}.
CYCLE = [
    "CREATE TABLE h{c} (id bigserial PRIMARY KEY, name text, qty integer DEFAULT 0,"
    " created_at timestamptz NOT NULL DEFAULT now());",
    "ALTER TABLE {t} ADD COLUMN c{c} text;",
    "CREATE INDEX {t}_qty_{c} ON {t} (qty);",
    "INSERT INTO {t} (name, qty) VALUES ('a{c}', 1), ('b{c}', 2), ('c{c}', 3);",
    "UPDATE {t} SET qty = qty + 1 WHERE id < 10;",
    "COMMENT ON TABLE {t} IS 'cycle {c}';",
    "ALTER TABLE {t} ALTER COLUMN qty SET DEFAULT 1;",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_qty_check_{c} CHECK (qty >= 0) NOT VALID;",
    "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_qty_check_{c};",
    "DROP INDEX {t}_qty_{c};",
    "CREATE VIEW v{c} AS SELECT id, name FROM {t};",
    "ALTER TABLE {t} ADD COLUMN flag{c} boolean DEFAULT false;",
    "INSERT INTO {t} (name) SELECT 'g' || g FROM generate_series(1, 20) g;",
    "DELETE FROM {t} WHERE qty > 1000;",
    "ALTER TABLE {t} RENAME COLUMN c{c} TO d{c};",
    "CREATE INDEX {t}_name_{c} ON {t} (name);",
    "ALTER TABLE {t} ALTER COLUMN created_at SET DEFAULT clock_timestamp();",
    "COMMENT ON COLUMN {t}.d{c} IS 'renamed';",
    "ALTER TABLE {t} ADD COLUMN note{c} varchar(100);",
    "DROP VIEW v{c};",
]


@dataclass(frozen=True)
class History:
    files: list[Path]
    big: Path
    small: list[Path]


def generate(root: Path) -> History:
    """Write the history into `root`: FILES Flyway files holding STATEMENTS statements."""
    big_statements = GROUPS_IN_BIG * len(GROUP)
    other_files = FILES - 1 - SMALL_FILES
    other_statements = STATEMENTS - big_statements - SMALL_FILES * len(GROUP)
    sizes = [4 + 2 * (i % 5) for i in range(other_files)]  # 4, 6, 8, 10, 12, ...
    for i in range(other_statements - sum(sizes)):
        sizes[i % other_files] += 1
    cycle_statements = iter(_cycles())
    groups = iter(range(1, GROUPS_IN_BIG + SMALL_FILES + 1))
    files, small = [], []
    big = root / "missing"
    others = iter(sizes)
    for number in range(1, FILES + 1):
        path = root / f"V{number}__migration_{number}.sql"
        if number == BIG_FILE:
            body = [s for _ in range(GROUPS_IN_BIG) for s in _group(next(groups))]
            big = path
        elif BIG_FILE < number <= BIG_FILE + SMALL_FILES:
            body = _group(next(groups))
            small.append(path)
        else:
            body = [next(cycle_statements) for _ in range(next(others))]
        path.write_text(f"-- migration {number}\n" + "\n".join(body) + "\n")
        files.append(path)
    return History(files, big, small)


def _group(n: int) -> list[str]:
    return [s.format(n=n) for s in GROUP]


def _cycles() -> list[str]:
    out = []
    cycles = (TABLES - 4 * (GROUPS_IN_BIG + SMALL_FILES)) or 1
    for c in range(cycles):
        out.extend(s.format(c=c, t=f"h{c // 2}") for s in CYCLE)
    return out


@dataclass(frozen=True)
class DryRun:
    seconds: float
    file_seconds: dict[str, float]  # from its progress lines: file name -> seconds
    peak_rss_kb: int
    json_bytes: int
    exit_code: int


# Runs the CLI in this child process and writes its own peak RSS (not its servers') when
# it exits (the CLI ends with os._exit, which skips atexit).
_CHILD = """
import os, resource, sys
leave, path = os._exit, sys.argv[1]
def peak(code):
    with open(path, "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    leave(code)
os._exit = peak
sys.argv = ["pgfence"] + sys.argv[2:]
from pgfence.cli import entry
entry()
"""


def dry_run(history: History, root: Path) -> DryRun:
    """The whole `pgfence dryrun` process; each file's time from the progress lines."""
    report, rss = root / "report.json", root / "rss"
    command = [sys.executable, "-c", _CHILD, str(rss), "dryrun", "-v", "-f", "json"]
    command.append(str(history.files[0].parent))
    marks: list[tuple[float, str]] = []
    start = time.perf_counter()
    with report.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        for line in process.stderr:
            marks.append((time.perf_counter(), line.strip()))
        code = process.wait()
    seconds = time.perf_counter() - start
    if code not in (0, 1):
        sys.exit("pgfence dryrun failed:\n" + "\n".join(m for _, m in marks[-20:]))
    file_seconds: dict[str, float] = {}
    ends = [t for t, _ in marks[1:]] + [time.perf_counter()]
    for (at, message), end in zip(marks, ends, strict=True):
        if message.startswith("pgfence: dry-running "):
            file_seconds[Path(message.removeprefix("pgfence: dry-running ")).name] = end - at
    return DryRun(seconds, file_seconds, int(rss.read_text()), report.stat().st_size, code)


def with_psql(history: History, root: Path) -> float:
    """A fresh server of the same binaries, every file applied by psql in a transaction."""
    driver = root / "apply.sql"
    driver.write_text("".join(f"BEGIN;\n\\i {f}\nCOMMIT;\n" for f in history.files))
    start = time.perf_counter()
    with embedded_server() as server:
        psql = Path(server.bin_dir or "") / "psql"
        subprocess.run(
            [str(psql), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", server.dsn(), "-f", str(driver)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def failures(report: Path) -> list[str]:
    import json

    data = json.loads(report.read_text())
    out = []
    for s in data["statements"]:
        observed = s.get("observed") or {}
        if not observed.get("ran") or observed.get("error"):
            out.append(f"{Path(s['file']).name}:{s['line']}: {observed}")
    return out


ROUNDS = 3  # psql and the dry-run take turns: each round's two meet about the same load


def main() -> None:
    import statistics

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        migrations = root / "migrations"
        migrations.mkdir()
        history = generate(migrations)
        count = sum(f.read_text().count(";\n") for f in history.files)
        rounds: list[tuple[float, DryRun]] = []
        for _ in range(ROUNDS):
            psql = with_psql(history, root)
            dry = dry_run(history, root)
            broken = failures(root / "report.json")
            if broken:
                sys.exit(f"{len(broken)} statements did not run:\n" + "\n".join(broken[:10]))
            rounds.append((psql, dry))

        def median(figure: Callable[[float, DryRun], float]) -> float:
            return statistics.median(figure(psql, dry) for psql, dry in rounds)

        def each(figure: Callable[[float, DryRun], float], form: str) -> str:
            return ", ".join(format(figure(psql, dry), form) for psql, dry in rounds)

        def big_over_small(_psql: float, dry: DryRun) -> float:
            small = sum(dry.file_seconds[f.name] for f in history.small)
            return dry.file_seconds[history.big.name] / small

        dry = sorted(rounds, key=lambda r: r[1].seconds)[len(rounds) // 2][1]  # the median
        big = dry.file_seconds[history.big.name]
        small = sum(dry.file_seconds[f.name] for f in history.small)
        rss_mb = max(d.peak_rss_kb for _, d in rounds) / 1024
        per_statement = dry.json_bytes / count
        print(f"history: {len(history.files)} files, {count} statements, {TABLES} tables")
        print(f"{ROUNDS} rounds, psql and the dry-run taking turns; medians, then each round:")
        print(
            f"  psql (fresh server, start included):   {median(lambda p, d: p):7.2f} s  "
            f"({each(lambda p, d: p, '.2f')})"
        )
        print(
            f"  pgfence dryrun (whole process):        {median(lambda p, d: d.seconds):7.2f} s  "
            f"({each(lambda p, d: d.seconds, '.2f')}; exit {dry.exit_code})"
        )
        print(
            f"  ratio dry-run / psql:                  {median(lambda p, d: d.seconds / p):7.2f}"
            f"   ({each(lambda p, d: d.seconds / p, '.2f')}) (target <= 5)"
        )

        def overhead(p: float, d: DryRun) -> float:
            return (d.seconds - p) / count * 1000

        print(
            f"  observation overhead per statement:    {median(overhead):7.2f} ms "
            f"({each(overhead, '.2f')}) (target <= 2)"
        )
        print(
            f"  500-statement transaction:             {median(big_over_small):7.2f}x "
            f"the fifty 10-statement files ({each(big_over_small, '.2f')}; median round "
            f"{big:.2f} s against {small:.2f} s) (target <= 2)"
        )
        print(f"  peak RSS of the dry-run:               {rss_mb:7.1f} MB (largest; target < 200)")
        print(
            f"  JSON report:                           {dry.json_bytes / 1e6:7.2f} MB, "
            f"{per_statement:.0f} bytes per statement"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
