"""tools/corpus.py, the runner of real projects' histories, on a history of our own."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "corpus.py"


def _corpus_module():
    spec = importlib.util.spec_from_file_location("corpus_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_tool"] = module
    spec.loader.exec_module(module)
    return module


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _project(tmp_path: Path) -> tuple[Path, str]:
    """A checkout acme/shop with a golang-migrate history whose second file fails."""
    repo = tmp_path / "corpus" / "acme" / "shop"
    migrations = repo / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "000001_init.up.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n"
        "CREATE INDEX orders_note ON orders (note);\n"
    )
    (migrations / "000001_init.down.sql").write_text("DROP TABLE orders;\n")
    (migrations / "000002_more.up.sql").write_text(
        "ALTER TABLE orders ADD COLUMN total numeric;\nALTER TABLE missing ADD COLUMN x int;\n"
    )
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init", cwd=repo)
    return tmp_path / "corpus", _git("rev-parse", "HEAD", cwd=repo)


@pytest.mark.postgres
def test_the_corpus_tool_runs_a_pinned_history_and_compares_it_with_psql(tmp_path, capsys):
    corpus, commit = _project(tmp_path)
    pinned = tmp_path / "corpus.toml"
    pinned.write_text(
        "[[project]]\n"
        'name = "shop"\nrepo = "acme/shop"\n'
        f'commit = "{commit}"\npath = "db/migrations"\nformat = "golang-migrate"\n'
        "[[project]]\n"
        'name = "absent"\nrepo = "acme/absent"\n'
        f'commit = "{commit}"\npath = "db"\nformat = "sql"\n'
    )
    out = tmp_path / "figures.json"
    code = _corpus_module().main(
        ["--corpus", str(corpus), "--pinned", str(pinned), "--json", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "absent: not in the corpus folder, skipped" in printed
    (figures,) = json.loads(out.read_text())
    assert figures["files"] == 2 and figures["statements"] == 4
    assert figures["files_run"] == 1  # the second stops on the missing table
    assert figures["failures"] == ['1× 42P01 relation "missing" does not exist']
    assert figures["psql_errors"] == ['1× relation "missing" does not exist']
    assert figures["dryrun_exit"] is not None and figures["dryrun_rss_mb"] > 0
    assert figures["ratio"] and figures["ratio"] > 0
    assert "dryrun ÷ psql" in printed


def test_the_corpus_tool_wants_its_folder_and_known_names(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PGFENCE_CORPUS", raising=False)
    tool = _corpus_module()
    assert tool.main([]) == 2
    assert "PGFENCE_CORPUS" in capsys.readouterr().err
    assert tool.main(["--corpus", str(tmp_path), "nosuch"]) == 2
    assert "not in corpus.toml: nosuch" in capsys.readouterr().err
