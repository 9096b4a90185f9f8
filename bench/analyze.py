"""Benchmark: `pgfence analyze` as a whole process, side by side with its peers, one run.

Prints, whole process, wall time: 200 files x 6 statements without the cache, the npm
pgfence (`@flvmnt/pgfence`, installed with npm into .cache/bench/npm when npm is there)
and Squawk (`squawk-cli` from PyPI into .cache/bench/venv when it installs), taking turns
in each of 5 rounds, their medians and the ratio (of the medians, and the median of the
rounds' own); the cached second run, median of 5; one small file, median of 15, wall and
CPU time (with bytecode written and without, as under PYTHONDONTWRITEBYTECODE=1);
statements per second and the ratios against the issue's targets; then 5,000 files at
-j1 and at every core, with their CPU time and peak RSS.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
SMALL_RUNS = 15
ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / ".cache" / "bench"
STATEMENTS = [
    "ALTER TABLE accounts_{i} ADD COLUMN note_{i} text DEFAULT 'x';",
    "CREATE INDEX accounts_{i}_email_idx ON accounts_{i} (email);",
    "ALTER TABLE orders_{i} ADD CONSTRAINT orders_{i}_fk FOREIGN KEY (account_id) "
    "REFERENCES accounts_{i} (id) NOT VALID;",
    "ALTER TABLE orders_{i} VALIDATE CONSTRAINT orders_{i}_fk;",
    "UPDATE accounts_{i} SET note_{i} = 'y' WHERE id < 100;",
    "ALTER TABLE accounts_{i} ALTER COLUMN name TYPE varchar(200);",
]
PGFENCE = [sys.executable, "-m", "pgfence.launch", "analyze", "--format", "json"]


def build(root: Path, files: int) -> Path:
    root.mkdir(parents=True)
    for i in range(files):
        body = "\n".join(s.format(i=i) for s in STATEMENTS)
        (root / f"V{i + 1}__migration_{i}.sql").write_text(f"-- migration {i}\n{body}\n")
    return root


def timed(command: list[str], env: dict[str, str] | None = None, runs: int = RUNS) -> float:
    """Median wall time of `runs` runs (after one to warm the page cache)."""
    return measured(command, env, runs)[0]


def measured(
    command: list[str], env: dict[str, str] | None = None, runs: int = RUNS
) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, the process and its children)
    of `runs` runs, after one to warm the page cache."""
    subprocess.run(command, capture_output=True, env=env, check=False)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode not in (0, 1):
            sys.exit(f"{command[0]} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(walls), statistics.median(cpus)


def side_by_side(
    commands: dict[str, tuple[list[str], dict[str, str] | None]], runs: int = RUNS
) -> dict[str, list[float]]:
    """Wall times of each command over `runs` rounds, the commands taking turns in every
    round (after one round to warm the page cache): on a shared machine, each round's
    commands meet about the same load, so their ratio is steadier than their times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, (command, env) in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, env=env, check=False)
            if round_:
                times[name].append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                sys.exit(f"{command[0]} failed: {done.stderr.decode()[-500:]}")
    return times


def npm_pgfence() -> list[str] | None:
    """The npm pgfence's command, installed into the bench's set-up folder once."""
    prefix = SETUP / "npm"
    binary = prefix / "node_modules" / ".bin" / "pgfence"
    if not binary.exists() and shutil.which("npm"):
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "@flvmnt/pgfence"],
            capture_output=True, check=False,
        )  # fmt: skip
    return [str(binary), "analyze"] if binary.exists() else None


def squawk() -> list[str] | None:
    venv = SETUP / "venv"
    binary = venv / "bin" / "squawk"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "squawk-cli"], capture_output=True
        )
    return [str(binary)] if binary.exists() else None


def line(name: str, seconds: float | None, statements: int, note: str = "") -> None:
    if seconds is None:
        print(f"  {name:<44} not available{note}")
        return
    rate = statements / seconds
    print(f"  {name:<44} {seconds:7.3f} s  {rate:>9,.0f} statements/s{note}")


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} (shared, noisy)")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        corpus = build(base / "c200", 200)
        one = build(base / "c1", 1)
        total = 200 * len(STATEMENTS)
        cache_env = {**os.environ, "PGFENCE_CACHE_DIR": str(base / "cache")}
        bytecode = {**cache_env, "PYTHONPYCACHEPREFIX": str(base / "pycache")}
        bytecode.pop("PYTHONDONTWRITEBYTECODE", None)
        no_bytecode = {**cache_env, "PYTHONDONTWRITEBYTECODE": "1"}
        no_bytecode.pop("PYTHONPYCACHEPREFIX", None)

        files = sorted(str(p) for p in corpus.glob("*.sql"))
        node_cmd = npm_pgfence()  # takes files, not a folder
        squawk_cmd = squawk()
        turns: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "pgfence": ([*PGFENCE, "--no-cache", str(corpus)], bytecode)
        }
        if node_cmd:
            turns["npm"] = ([*node_cmd, *files], None)
        if squawk_cmd:
            turns["squawk"] = ([*squawk_cmd, *files], None)
        rounds = side_by_side(turns)
        uncached = statistics.median(rounds["pgfence"])
        node = statistics.median(rounds["npm"]) if node_cmd else None
        rust = statistics.median(rounds["squawk"]) if squawk_cmd else None
        # Each round's pgfence over the npm pgfence of the same round.
        paired = (
            [ours / theirs for ours, theirs in zip(rounds["pgfence"], rounds["npm"], strict=True)]
            if node_cmd
            else []
        )
        cached = timed([*PGFENCE, str(corpus)], bytecode)
        # CPU time, steadier than wall time on a loaded machine, over more runs.
        small, small_cpu = measured([*PGFENCE, "--no-cache", str(one)], bytecode, SMALL_RUNS)
        small_compiled, small_compiled_cpu = measured(
            [*PGFENCE, "--no-cache", str(one)], no_bytecode, SMALL_RUNS
        )
        print(
            f"200 files x {len(STATEMENTS)} statements = {total} statements, median of {RUNS} "
            "rounds (the commands taking turns):"
        )
        line("pgfence, no cache", uncached, total)
        line("pgfence, second run (cache)", cached, total)
        line("npm pgfence (Node)", node, total)
        line("Squawk (Rust)", rust, total)
        print(f"one small file ({len(STATEMENTS)} statements), median of {SMALL_RUNS}:")
        line("pgfence, bytecode cached", small, len(STATEMENTS), f"  CPU {small_cpu * 1000:.0f} ms")
        line(
            "pgfence, PYTHONDONTWRITEBYTECODE=1",
            small_compiled,
            len(STATEMENTS),
            f"  CPU {small_compiled_cpu * 1000:.0f} ms",
        )
        print("targets:")
        if node:
            each = ", ".join(f"{r:.2f}" for r in paired)
            print(
                f"  no cache / npm pgfence: {uncached / node:.2f}x of the medians, "
                f"{statistics.median(paired):.2f}x the median round ({each}) (target <= 0.5x)"
            )
        print(f"  cached 200 files: {cached:.3f} s (target <= 0.1 s)")
        print(f"  one small file: {small:.3f} s, CPU {small_cpu * 1000:.0f} ms (target <= 0.15 s)")

        big = build(base / "c5000", 5000)
        big_total = 5000 * len(STATEMENTS)
        print(f"5,000 files = {big_total:,} statements, one run each:")
        for jobs in (1, os.cpu_count() or 1):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(
                [*PGFENCE, "--no-cache", "-j", str(jobs), str(big)],
                capture_output=True, env=bytecode, check=False,
            )  # fmt: skip
            took = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU of the run and its workers: on a loaded machine, steadier than wall time.
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            # The largest process so far (the bench itself and every run are children).
            rss = after.ru_maxrss / 1024
            note = f"  CPU {cpu:.1f} s, peak RSS {rss:.0f} MB (< 500)"
            line(f"pgfence -j{jobs}", took, big_total, note)


if __name__ == "__main__":
    main()
