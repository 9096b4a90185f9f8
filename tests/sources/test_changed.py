"""--changed-since REF: only the migrations a pull request adds or changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pgfence.errors import UsageError
from pgfence.sources.changed import changed_since
from tests.support import PGFENCE

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: 0001, 0002; branch `feature`: 0002 changed, 0003 added, 0004 untracked."""
    m = tmp_path / "db" / "migrations"
    m.mkdir(parents=True)
    git(tmp_path, "init", "-q", "-b", "main")
    (m / "0001_accounts.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
    )
    (m / "0002_orders.sql").write_text("CREATE TABLE orders (id bigint PRIMARY KEY);\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (m / "0002_orders.sql").write_text("CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n")
    (m / "0003_index.sql").write_text("CREATE INDEX accounts_email_idx ON accounts (email);\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "feature")
    (m / "0004_drop.sql").write_text("ALTER TABLE accounts DROP COLUMN email;\n")
    return tmp_path


def test_changed_files_are_the_branch_the_work_tree_and_untracked_ones(repo):
    found = changed_since("main", cwd=str(repo))
    names = sorted(Path(p).name for p in found)
    assert names == ["0002_orders.sql", "0003_index.sql", "0004_drop.sql"]


def test_the_merge_base_is_used_not_the_tip_of_the_ref(repo):
    # main moves on after the branch was made: its new file is not the branch's change.
    git(repo, "checkout", "-q", "main")
    (repo / "db" / "migrations" / "0005_main_only.sql").write_text("SELECT 1;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main moves")
    git(repo, "checkout", "-q", "feature")
    names = sorted(Path(p).name for p in changed_since("main", cwd=str(repo)))
    assert "0005_main_only.sql" not in names and "0003_index.sql" in names


def test_analyze_changed_since_checks_only_changed_migrations(repo):
    # Run from a subdirectory: git's paths are the repository's, PATHs the cwd's.
    result = subprocess.run(
        [*PGFENCE, "analyze", "--changed-since", "main", "--format", "json", "migrations"],
        capture_output=True,
        text=True,
        cwd=repo / "db",
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    files = [s["file"] for s in json.loads(result.stdout)["statements"]]
    assert files == [
        "migrations/0002_orders.sql",
        "migrations/0003_index.sql",
        "migrations/0004_drop.sql",
    ]


def test_nothing_changed_is_a_clean_run_with_a_note(repo):
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "all in")
    result = subprocess.run(
        [*PGFENCE, "analyze", "--changed-since", "HEAD", "--format", "sarif", "db/migrations"],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=120,
    )
    assert result.returncode == 0
    assert "no migration changed since HEAD" in result.stderr
    assert json.loads(result.stdout)["runs"][0]["results"] == []


def test_dryrun_changed_since_nothing_starts_no_server(repo):
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "all in")
    result = subprocess.run(
        [*PGFENCE, "dryrun", "--changed-since", "HEAD", "db/migrations"],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "0 statements" in result.stdout


def test_an_unknown_ref_or_no_repository_is_a_usage_error(repo, tmp_path_factory):
    with pytest.raises(UsageError, match="--changed-since no-such-branch"):
        changed_since("no-such-branch", cwd=str(repo))
    outside = tmp_path_factory.mktemp("plain")
    (outside / "m.sql").write_text("SELECT 1;\n")
    result = subprocess.run(
        [*PGFENCE, "analyze", "--changed-since", "main", "m.sql"],
        capture_output=True,
        text=True,
        cwd=outside,
        timeout=60,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(outside.parent)},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("pgfence: error: --changed-since main: not a git repository")


def test_a_shallow_clone_says_to_fetch_the_history(repo, tmp_path_factory):
    import pgfence

    clone = tmp_path_factory.mktemp("shallow") / "clone"
    # The pgfence under test, whatever the working directory (it is the clone's).
    source = str(Path(pgfence.__file__).resolve().parent.parent)
    env = {**os.environ, **GIT_ENV, "PYTHONPATH": source}
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone)],
        check=True,
        env=env,
    )
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    result = subprocess.run(
        [*PGFENCE, "analyze", "--changed-since", "origin/main", "db/migrations"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "pgfence: error: --changed-since origin/main: this is a shallow clone, without the "
        "history that joins it to HEAD: fetch it (actions/checkout with `fetch-depth: 0`, or "
        "`git fetch --unshallow`)\n"
    )
