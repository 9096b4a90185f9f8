"""Shards on real histories: is `--shard K/N` then `report merge` the unsharded report, and
what does each shard cost?

    PGFENCE_CORPUS=/path/to/mirrors python bench/shards.py [NAME...] [--shards 4] [--pg N]
        [--no-dryrun]

For each project of tools/corpus.toml that is in the corpus folder, its migrations at the
pinned commit are extracted, then `analyze` and `dryrun` (from an empty database) are run
whole and as N shards, the shards merged with `pgfence report merge`. Printed per project
and command: whether the merged JSON equals the whole run's (analyze: byte for byte;
dryrun: apart from `duration_ms` and `held_ms`), the whole run's wall time, each shard's,
and the slowest shard over the whole. A shard that stops (exit 2: an earlier shard's file
did not apply) is printed with its one-line reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import corpus  # noqa: E402  (tools/corpus.py: the pinned list and its extraction)

PGFENCE = [sys.executable, "-m", "pgfence.cli"]


def timed(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [*PGFENCE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=3600
    )
    return done, time.perf_counter() - start


def untimed(text: str) -> object:
    report = json.loads(text)
    for version in report.get("versions", [report]):
        for statement in version["statements"]:
            observed = statement.get("observed")
            if observed:
                observed["duration_ms"] = observed["held_ms"] = None
    return report


def compare(command: str, common: list[str], cwd: Path, count: int) -> str:
    whole, whole_s = timed([command, *common, "-f", "json"], cwd)
    if whole.returncode not in (0, 1):
        return f"{command}: whole run exit {whole.returncode}: {whole.stderr.strip()[-200:]}"
    parts, times = [], []
    for k in range(1, count + 1):
        path = cwd / f"{command}-shard-{k}.json"
        done, seconds = timed(
            [command, *common, "-f", "json", "--shard", f"{k}/{count}", "-o", f"json={path}"], cwd
        )
        times.append(seconds)
        if done.returncode not in (0, 1):
            line = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            return f"{command}: shard {k}/{count} exit {done.returncode}: {line[:300]}"
        parts.append(str(path))
    merged, _ = timed(["report", "merge", *parts], cwd)
    if merged.returncode not in (0, 1):
        return f"{command}: merge exit {merged.returncode}: {merged.stderr.strip()}"
    if command == "analyze":
        same = merged.stdout == whole.stdout
    else:
        same = untimed(merged.stdout) == untimed(whole.stdout)
    statements = len(json.loads(whole.stdout).get("statements", []))
    shards = " ".join(f"{s:.1f}" for s in times)
    return (
        f"{command}: {statements} statements · merged == whole: {same} · exit "
        f"{merged.returncode}/{whole.returncode} · whole {whole_s:.1f} s · shards {shards} s "
        f"· slowest/whole {max(times) / whole_s:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--corpus", default=os.environ.get("PGFENCE_CORPUS"))
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--no-dryrun", action="store_true")
    parser.add_argument("--pg", help="the Postgres major of both commands (default pgfence's)")
    args = parser.parse_args()
    if not args.corpus:
        print("shards.py: set PGFENCE_CORPUS to the folder of the mirrors", file=sys.stderr)
        return 2
    projects = tomllib.loads(corpus.PINNED.read_text())["project"]
    for project in projects:
        if args.names and project["name"] not in args.names:
            continue
        git_dir = corpus._git_dir(Path(args.corpus), project["repo"])
        if git_dir is None:
            print(f"{project['name']}: not in the corpus folder, skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="pgfence-shards-") as tmp:
            root = Path(tmp)
            corpus._extract(
                git_dir, project["commit"], project.get("extract", [project["path"]]), root
            )
            common = [project["path"], "--migration-format", project["format"]]
            common += ["--pg", args.pg] if args.pg else []
            print(f"{project['name']} ({project['format']}), {args.shards} shards")
            commands = ["analyze"] if args.no_dryrun else ["analyze", "dryrun"]
            for command in commands:
                print("  " + compare(command, common, root, args.shards), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
