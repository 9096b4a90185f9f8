"""Run pgfence on real projects' migration histories: the pinned list in tools/corpus.toml.

    PGFENCE_CORPUS=/path/to/mirrors python tools/corpus.py [NAME...] [--no-dryrun]

The folder PGFENCE_CORPUS holds each project as OWNER+NAME/repo (a bare git directory, as
a mirror is fetched) or OWNER/NAME (a checkout). A project that is not there is skipped,
and says so. For each project present, its migration folder at the pinned commit is
extracted into a temporary directory (nothing is written into the mirror), then:

- `pgfence analyze -f json`: files, statements, findings by severity, time;
- `pgfence dryrun -f json` from an empty database: files fully run / total, the first
  failure of each file that did not run through (by SQLSTATE and message), verdicts,
  exit code, time and peak RSS of the process;
- psql applying the SQL pgfence sent, in the same order, on a fresh server of the same
  binaries (server start included on both sides): its time, its errors, and the ratio.

It prints one block per project and a summary table; `--json FILE` also writes the figures.
Nothing here is a test: the suite's fixtures reproduce what these histories taught us.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINNED = HERE / "corpus.toml"


@dataclass
class Figures:
    name: str
    format: str
    files: int = 0
    statements: int = 0
    analyze_s: float = 0.0
    analyze_exit: int | None = None
    findings: dict[str, int] = field(default_factory=dict)
    dryrun_s: float | None = None
    dryrun_exit: int | None = None
    dryrun_rss_mb: float | None = None
    files_run: int | None = None
    failures: list[str] = field(default_factory=list)
    # Statements pgfence chose not to send (a value known only at run time, a `${}`
    # template, an ORM call's SQL that does not parse): by reason.
    not_sent: list[str] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    psql_s: float | None = None
    psql_errors: list[str] = field(default_factory=list)
    error: str | None = None
    calls: int = 0  # ORM migration calls read, and those turned into SQL (extraction coverage)
    calls_extracted: int = 0

    @property
    def coverage(self) -> float | None:
        return self.calls_extracted / self.calls if self.calls else None

    @property
    def ratio(self) -> float | None:
        if self.dryrun_s is None or not self.psql_s:
            return None
        return self.dryrun_s / self.psql_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects to run (default: all present)")
    parser.add_argument("--corpus", default=os.environ.get("PGFENCE_CORPUS"))
    parser.add_argument("--pinned", type=Path, default=PINNED)
    parser.add_argument("--no-dryrun", action="store_true", help="analyze only")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    parser.add_argument(
        "--pgfence", default=None, help="the pgfence command (default: this Python's)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.corpus:
        print(
            "corpus.py: set PGFENCE_CORPUS (or --corpus) to the folder of the mirrors",
            file=sys.stderr,
        )
        return 2
    projects = tomllib.loads(args.pinned.read_text())["project"]
    unknown = set(args.names) - {p["name"] for p in projects}
    if unknown:
        print(
            f"corpus.py: not in {args.pinned.name}: {', '.join(sorted(unknown))}", file=sys.stderr
        )
        return 2
    pgfence = (
        args.pgfence.split() if args.pgfence else [str(Path(sys.executable).parent / "pgfence")]
    )
    results = []
    for project in projects:
        if args.names and project["name"] not in args.names:
            continue
        git_dir = _git_dir(Path(args.corpus), project["repo"])
        if git_dir is None:
            print(f"{project['name']}: not in the corpus folder, skipped")
            continue
        figures = run_project(project, git_dir, pgfence, not args.no_dryrun, args.timeout)
        _print(figures)
        results.append(figures)
    _summary(results)
    if args.json:
        args.json.write_text(
            json.dumps(
                [asdict(f) | {"ratio": f.ratio, "coverage": f.coverage} for f in results],
                indent=2,
            ) + "\n"
        )
    return 0


def _git_dir(corpus: Path, repo: str) -> Path | None:
    owner, name = repo.split("/")
    checkout = corpus / owner / name
    for candidate in (corpus / f"{owner}+{name}" / "repo", checkout / ".git", checkout):
        if candidate.is_dir():
            return candidate
    return None


def run_project(
    project: dict, git_dir: Path, pgfence: list[str], dryrun: bool, timeout: float
) -> Figures:
    figures = Figures(project["name"], project["format"])
    with tempfile.TemporaryDirectory(prefix="pgfence-corpus-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        try:
            pathspecs = project.get("extract", [project["path"]])
            _extract(git_dir, project["commit"], pathspecs, root)
        except subprocess.CalledProcessError as e:
            figures.error = f"cannot extract {project['path']}@{project['commit'][:12]}: {e.stderr.decode(errors='replace').strip()}"
            return figures
        target = root / project["path"]
        _coverage(target, project["format"], figures)
        common = [str(target), "--migration-format", project["format"], "-f", "json"]
        start = time.perf_counter()
        analyzed = _run([*pgfence, "analyze", *common], timeout)
        figures.analyze_s = time.perf_counter() - start
        figures.analyze_exit = analyzed.returncode
        report = _report(analyzed, figures)
        if report is None:
            return figures
        files = _files_in_order(report)
        figures.files = len(files)
        figures.statements = len(report["statements"])
        every = [*report.get("findings", [])]
        every += [f for s in report["statements"] for f in s.get("findings", [])]
        figures.findings = dict(collections.Counter(f["severity"] for f in every))
        if not dryrun:
            return figures
        start = time.perf_counter()
        ran = _run([*pgfence, "dryrun", *common], timeout, measure_rss=True)
        figures.dryrun_s = time.perf_counter() - start
        figures.dryrun_exit = ran.returncode
        figures.dryrun_rss_mb = ran.rss_mb
        report = _report(ran, figures)
        if report is None:
            return figures
        _dryrun_figures(report, figures)
        _psql_figures(report, Path(tmp), figures, timeout, target, project["format"])
    return figures


def _coverage(target: Path, fmt: str, figures: Figures) -> None:
    """How many of the history's ORM migration calls pgfence turned into SQL."""
    sys.path.insert(0, str(HERE.parent))
    from pgfence.sources import load_migrations

    for migration in load_migrations([str(target)], fmt=fmt):
        figures.calls += migration.calls_seen
        figures.calls_extracted += migration.calls_extracted


def _extract(git_dir: Path, commit: str, pathspecs: list[str], into: Path) -> None:
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, "--", *pathspecs],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


@dataclass
class _Ran:
    returncode: int
    stdout: str
    stderr: str
    rss_mb: float | None = None


def _run(cmd: list[str], timeout: float, measure_rss: bool = False) -> _Ran:
    # Peak RSS of the child alone: run it under a fresh Python that reports its children.
    if measure_rss:
        wrapper = (
            "import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
            "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "sys.stderr.write(f'\\n@@rss_kb={kb}\\n'); sys.exit(p.returncode)\n"
        )
        cmd = [sys.executable, "-c", wrapper, *cmd]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return _Ran(-1, "", f"timed out after {timeout:.0f} s")
    rss = None
    stderr = p.stderr
    if measure_rss and "@@rss_kb=" in stderr:
        stderr, _, tail = stderr.rpartition("@@rss_kb=")
        rss = int(tail.strip()) / 1024
    return _Ran(p.returncode, p.stdout, stderr, rss)


def _report(ran: _Ran, figures: Figures) -> dict | None:
    try:
        return json.loads(ran.stdout)
    except json.JSONDecodeError:
        last = (ran.stderr.strip().splitlines() or ["no output"])[-1]
        figures.error = f"exit {ran.returncode}: {last}"
        return None


def _files_in_order(report: dict) -> list[str]:
    return list(dict.fromkeys(s["file"] for s in report["statements"]))


def _dryrun_figures(report: dict, figures: Figures) -> None:
    by_file: dict[str, list[dict]] = collections.defaultdict(list)
    for s in report["statements"]:
        by_file[s["file"]].append(s)
    run_through = 0
    failures: collections.Counter[str] = collections.Counter()
    not_sent: collections.Counter[str] = collections.Counter()
    for statements in by_file.values():
        failed = None
        for s in statements:
            observed = s.get("observed") or {}
            error = observed.get("error")
            if error:
                failed = f"{error['sqlstate']} {error['message'].splitlines()[0][:90]}"
                break
            if not observed.get("ran", False):
                reason = observed.get("not_run_reason") or "no observation"
                if not reason.startswith(_AFTER_A_FAILURE):
                    not_sent[reason[:90]] += 1  # pgfence's choice: the file runs on
                    continue
                failed = f"not run: {reason[:90]}"
                break
        if failed is None:
            run_through += 1
        else:
            failures[failed] += 1
    figures.files_run = run_through
    figures.failures = [f"{n}× {why}" for why, n in failures.most_common(8)]
    figures.not_sent = [f"{n}× {why}" for why, n in not_sent.most_common(8)]

    figures.verdicts = dict(
        collections.Counter(
            (s.get("verdict") or {}).get("kind", "none") for s in report["statements"]
        )
    )


# The reasons a statement is not run because something before it failed (execute.py): the
# others are pgfence's own choice not to send that statement.
_AFTER_A_FAILURE = (
    "an earlier statement",
    "the migration tool's transaction failed",
    "not applied: the migration tool stops",
    "may be a consequence",
)


def _same_server(report: dict):  # type: ignore[no-untyped-def]
    """A fresh server of the binaries the dry-run used (the one with the extensions a
    history creates is not always the default one)."""
    from pgfence.dryrun.servers import candidate_bin_dirs
    from pgfence.dryrun.servers.embedded import embedded_server
    from pgfence.dryrun.servers.install import installed_bin_dirs
    from pgfence.dryrun.servers.local import LocalServer, binary_version

    wanted = (report.get("server") or {}).get("version")
    if (report.get("server") or {}).get("backend") != "embedded":
        dirs = [d for d, _ in candidate_bin_dirs()] + [d for _, d in installed_bin_dirs()]
        for bin_dir in dirs:
            if binary_version(bin_dir) == wanted:
                return LocalServer(bin_dir)
    return embedded_server()


def _psql_figures(
    report: dict, tmp: Path, figures: Figures, timeout: float, target: Path, fmt: str
) -> None:
    """psql applying the statements pgfence sent, in its order, on a fresh server of the
    same binaries, after the tool's own tables are created as the dry-run creates them."""
    from pgfence.dryrun import bookkeeping
    from pgfence.sources import load_migrations

    script = tmp / "history.sql"
    sent = [  # what the server got: run, or failed there
        s
        for s in report["statements"]
        if (s.get("observed") or {}).get("ran") or (s.get("observed") or {}).get("error")
    ]
    script.write_text("".join(s["sql"].rstrip().rstrip(";") + ";\n" for s in sent))
    migrations = load_migrations([str(target)], fmt=fmt)
    start = time.perf_counter()
    with _same_server(report) as server:
        bookkeeping.create(server.dsn(), migrations)
        psql = Path(server.bin_dir) / "psql"
        if not psql.exists():  # a server-only build (`pgfence servers install`): any client
            from pgfence.dryrun.servers.embedded import embedded_bin_dir

            psql = Path(embedded_bin_dir() or "") / "psql"
        p = subprocess.run(
            [str(psql), "-q", "-X", "-d", server.dsn(), "-f", str(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    figures.psql_s = time.perf_counter() - start
    errors = collections.Counter(
        line.split("ERROR:", 1)[1].strip()[:90]
        for line in p.stderr.splitlines()
        if "ERROR:" in line
    )
    figures.psql_errors = [f"{n}× {why}" for why, n in errors.most_common(5)]


def _print(f: Figures) -> None:
    print(f"\n== {f.name} ({f.format})")
    if f.error:
        print(f"   error: {f.error}")
    print(
        f"   analyze: {f.files} files, {f.statements} statements, {f.analyze_s:.2f} s, "
        f"exit {f.analyze_exit}, findings {f.findings or 'none'}"
    )
    if f.coverage is not None:
        print(
            f"   extraction: {f.calls_extracted}/{f.calls} migration calls turned into SQL "
            f"({100 * f.coverage:.1f}%)"
        )
    if f.dryrun_s is None:
        return
    print(
        f"   dryrun: {f.files_run}/{f.files} files run through, {f.dryrun_s:.1f} s, "
        f"exit {f.dryrun_exit}, peak RSS {f.dryrun_rss_mb or 0:.0f} MB, verdicts {f.verdicts}"
    )
    for why in f.failures:
        print(f"     stopped: {why}")
    for why in f.not_sent:
        print(f"     not sent: {why}")
    if f.psql_s is not None:
        ratio = f"{f.ratio:.1f}×" if f.ratio else "-"
        print(f"   psql: {f.psql_s:.1f} s (server start included); dryrun ÷ psql = {ratio}")
        for why in f.psql_errors:
            print(f"     psql error: {why}")


def _summary(results: list[Figures]) -> None:
    if not results:
        return
    print("\nproject     format          files  run   stmts  dryrun s  psql s  ratio  RSS MB  exit")
    for f in results:
        ratio = f"{f.ratio:.1f}" if f.ratio else "-"
        print(
            f"{f.name:<11} {f.format:<15} {f.files:>5}  {f.files_run if f.files_run is not None else '-':>4}"
            f"  {f.statements:>5}  {f.dryrun_s or 0:>8.1f}  {f.psql_s or 0:>6.1f}  {ratio:>5}"
            f"  {f.dryrun_rss_mb or 0:>6.0f}  {f.dryrun_exit if f.dryrun_exit is not None else '-'}"
        )


if __name__ == "__main__":
    sys.exit(main())
