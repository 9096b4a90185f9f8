"""Benchmark: `pgfence analyze` as a whole process on 200 files x 6 statements.

Prints wall time (best and median of several runs) and statements per second. The
peers on a corpus of this size on a 2-core machine (from the issue): pgfence/Node
about 0.85 s, Squawk/Rust about 0.04 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES, RUNS = 200, 7
STATEMENTS = [
    "ALTER TABLE accounts_{i} ADD COLUMN note_{i} text DEFAULT 'x';",
    "CREATE INDEX accounts_{i}_email_idx ON accounts_{i} (email);",
    "ALTER TABLE orders_{i} ADD CONSTRAINT orders_{i}_fk FOREIGN KEY (account_id) "
    "REFERENCES accounts_{i} (id) NOT VALID;",
    "ALTER TABLE orders_{i} VALIDATE CONSTRAINT orders_{i}_fk;",
    "UPDATE accounts_{i} SET note_{i} = 'y' WHERE id < 100;",
    "ALTER TABLE accounts_{i} ALTER COLUMN name TYPE varchar(200);",
]


def build(root: Path) -> None:
    for i in range(FILES):
        body = "\n".join(s.format(i=i) for s in STATEMENTS)
        (root / f"V{i + 1}__migration_{i}.sql").write_text(f"-- migration {i}\n{body}\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root)
        command = [sys.executable, "-m", "pgfence.cli", "analyze", "--format", "json", str(root)]
        subprocess.run(command, capture_output=True, check=False)  # warm the page cache
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
            if result.returncode not in (0, 1):
                sys.exit(f"pgfence failed: {result.stderr.decode()}")
        startup = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pgfence.cli", "--version"], capture_output=True)
            startup.append(time.perf_counter() - start)
    total = FILES * len(STATEMENTS)
    best, median = min(times), statistics.median(times)
    print(f"corpus: {FILES} files x {len(STATEMENTS)} statements = {total} statements")
    print(
        f"pgfence analyze (whole process): best {best:.3f} s, "
        f"median {median:.3f} s over {RUNS} runs"
    )
    print(f"statements per second (best run): {total / best:,.0f}")
    print(f"process start-up alone (pgfence --version): best {min(startup):.3f} s")
    print("peers on this size (2 cores, from the issue): pgfence/Node 0.85 s, Squawk 0.04 s")


if __name__ == "__main__":
    main()
