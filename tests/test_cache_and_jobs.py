"""`pgfence analyze` fast: the whole-run cache (pgfence/cache.py), --jobs, --changed-since."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgfence import cache

LAUNCH = [sys.executable, "-m", "pgfence.launch"]
MIGRATION = (
    "ALTER TABLE accounts ADD COLUMN note text;\n"
    "CREATE INDEX accounts_email ON accounts (email);\n"
    "ALTER TABLE accounts ALTER COLUMN email TYPE text;\n"
)


def analyze(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*LAUNCH, "analyze", *args], capture_output=True, cwd=cwd, env=env, timeout=120
    )


def entries() -> list[str]:
    folder = Path(os.environ["PGFENCE_ANALYZE_CACHE_DIR"])
    return sorted(p.name for p in folder.glob("*.entry")) if folder.exists() else []


def imported_pglast(result: subprocess.CompletedProcess[bytes]) -> bool:
    return any(b"| pglast" in line for line in result.stderr.splitlines())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "V1__add_note.sql").write_text(MIGRATION)
    return tmp_path


def rewrite(path: Path, text: str) -> None:
    """A new content, with a modification time that differs even on a coarse clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_second_run_is_replayed_byte_for_byte_without_importing_the_analysis(project):
    first = subprocess.run(
        [sys.executable, "-X", "importtime", *LAUNCH[1:], "analyze", "migrations"],
        capture_output=True,
        cwd=project,
    )
    second = subprocess.run(
        [sys.executable, "-X", "importtime", *LAUNCH[1:], "analyze", "migrations"],
        capture_output=True,
        cwd=project,
    )
    assert first.returncode == second.returncode == 1  # CREATE INDEX blocks writes
    assert first.stdout == second.stdout and b"accounts_email" in first.stdout
    assert imported_pglast(first) and not imported_pglast(second)
    assert len(entries()) == 1


def test_json_with_and_without_the_cache_is_the_same(project):
    uncached = analyze("--no-cache", "-f", "json", "migrations", cwd=project)
    assert entries() == []
    recorded = analyze("-f", "json", "migrations", cwd=project)
    replayed = analyze("-f", "json", "migrations", cwd=project)
    assert uncached.stdout == recorded.stdout == replayed.stdout
    assert uncached.returncode == recorded.returncode == replayed.returncode == 1


@pytest.mark.parametrize("change", ["migration", "new migration", "config", "schema"])
def test_a_changed_input_is_analysed_again(project, change):
    (project / "schema.sql").write_text("CREATE TABLE accounts (id bigint, email varchar(99));\n")
    args = ("-f", "json", "--schema", "schema.sql", "migrations")
    before = analyze(*args, cwd=project)
    if change == "migration":
        rewrite(project / "migrations" / "V1__add_note.sql", MIGRATION.replace("note", "memo"))
        expected = b"memo"
    elif change == "new migration":
        rewrite(project / "migrations" / "V2__more.sql", "DROP TABLE accounts;\n")
        expected = b"DROP TABLE accounts"
    elif change == "config":
        rewrite(project / "pgfence.toml", 'disable = ["create-index-blocks-writes"]\n')
        expected = b"create-index-blocks-writes"
    else:
        rewrite(project / "schema.sql", "CREATE TABLE accounts (id bigint, email integer);\n")
        expected = b'"rewrite": true'

    after = analyze(*args, cwd=project)
    assert before.stdout != after.stdout
    if change == "config":
        assert expected in before.stdout and expected not in after.stdout
    else:
        assert expected not in before.stdout and expected in after.stdout
    assert after.stdout == analyze("--no-cache", *args, cwd=project).stdout


def test_an_option_or_the_environment_is_part_of_the_key(project):
    json_out = analyze("-f", "json", "migrations", cwd=project)
    on_14 = analyze("-f", "json", "--pg", "14", "migrations", cwd=project)
    assert b'"pg_version": 14' in on_14.stdout and b'"pg_version": 18' in json_out.stdout
    table = analyze("--color", "auto", "migrations", cwd=project)
    forced = analyze(
        "--color", "auto", "migrations", cwd=project, env={**os.environ, "FORCE_COLOR": "1"}
    )
    assert b"\x1b[" not in table.stdout and b"\x1b[" in forced.stdout
    assert len(entries()) == 4


def test_a_changed_module_of_pgfence_changes_the_key():
    module = Path(cache.__file__).parent / "version.py"
    argv = ["analyze", "migrations"]
    before, stat = cache.key(argv), module.stat()
    try:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert cache.key(argv) != before
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache.key(argv) == before


def test_two_runs_at_once_share_the_cache(project):
    command = [*LAUNCH, "analyze", "-f", "json", "migrations"]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    replayed = analyze("-f", "json", "migrations", cwd=project)
    assert outputs[0] == outputs[1] == replayed.stdout
    assert len(entries()) == 1
    assert not list(Path(os.environ["PGFENCE_ANALYZE_CACHE_DIR"]).glob("*.tmp"))


def test_a_cache_folder_that_cannot_be_written_is_one_note(project, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**os.environ, "PGFENCE_ANALYZE_CACHE_DIR": str(blocker / "cache")}
    result = analyze("-f", "json", "migrations", cwd=project, env=env)
    assert result.returncode == 1
    notes = result.stderr.decode().splitlines()
    assert len(notes) == 1 and notes[0].startswith("pgfence: note: results not cached: ")
    assert result.stdout == analyze("--no-cache", "-f", "json", "migrations", cwd=project).stdout


def test_fix_bad_input_and_no_cache_are_never_recorded(project):
    analyze("--no-cache", "migrations", cwd=project)
    analyze("--diff", "migrations", cwd=project)
    bad = analyze("--pg", "9", "migrations", cwd=project)
    assert bad.returncode == 2 and entries() == []


def test_the_cache_looks_for_the_configuration_files_the_configuration_reads():
    from pgfence import config

    assert cache.CONFIG_NAMES == config.FILE_NAMES


def test_jobs_give_the_same_json_on_the_whole_scenarios_corpus(tmp_path):
    root = Path(__file__).resolve().parent.parent
    migrations = sorted(str(p) for p in (root / "scenarios").glob("*/migration.sql"))
    assert len(migrations) > 200

    def run(*args: str) -> bytes:
        result = analyze("-f", "json", "--migration-format", "sql", *args, *migrations, cwd=root)
        assert result.returncode in (0, 1), result.stderr
        return result.stdout

    one = run("--no-cache", "-j", "1")
    assert one.count(b'"sql": ') > 300
    assert run("--no-cache", "-j", "3") == one  # more parts than cores: a walk before each
    assert run("-j", "2") == run("-j", "2") == one  # recorded, then replayed


def test_changed_since_analyses_the_changed_files_with_the_schema_of_the_earlier_ones(project):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    folder = project / "migrations"
    (folder / "V1__add_note.sql").write_text("CREATE TABLE accounts (id bigint, email int);\n")
    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    (folder / "V2__retype.sql").write_text("ALTER TABLE accounts ALTER COLUMN email TYPE text;\n")
    result = analyze("-f", "json", "--changed-since", "main", "migrations", cwd=project)
    assert result.stderr.decode().splitlines() == [
        "pgfence: analysed 1 changed file(s); 1 earlier file(s) read for their schema only"
    ]
    assert b"V1__add_note" not in result.stdout and b"V2__retype" in result.stdout
    # The earlier file's table is known: its column's type, so the rewrite is certain.
    assert b"is not in the known schema" not in result.stdout
    assert b"the current type of" not in result.stdout


def _two_files() -> list:
    from pgfence.model import Migration
    from pgfence.sources.sql import split_script

    out = []
    for name in ("V1__a.sql", "V2__b.sql"):
        statements, _ = split_script(f"CREATE TABLE t_{name[1]} (id int);\n", name)
        out.append(Migration(name, "sql", tuple(statements), ()))
    return out


def test_a_worker_that_fails_fails_the_run_with_its_own_error(monkeypatch):
    from pgfence.analysis import analyze as analysis

    walk = analysis._walk

    def failing(migrations, part, *args, **kwargs):
        if 0 not in part:  # the forked worker's part
            raise ValueError("the worker's own error")
        return walk(migrations, part, *args, **kwargs)

    forked = []
    fork = os.fork

    def recording_fork() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(analysis, "_walk", failing)
    monkeypatch.setattr(os, "fork", recording_fork)
    with pytest.raises(ValueError, match="the worker's own error"):
        analysis.analyse(_two_files(), version=18, jobs=2)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # waited for: no worker left behind


def test_a_worker_that_dies_fails_the_run_with_its_status(monkeypatch):
    from pgfence.analysis import analyze as analysis

    walk = analysis._walk

    def dying(migrations, part, *args, **kwargs):
        if 0 not in part:
            os._exit(7)
        return walk(migrations, part, *args, **kwargs)

    monkeypatch.setattr(analysis, "_walk", dying)
    with pytest.raises(RuntimeError, match="worker ended with status"):
        analysis.analyse(_two_files(), version=18, jobs=2)
    assert analysis.analyse(_two_files(), version=18, jobs=1)[0]
