"""Several databases in one repository: `[[tool.pgfence.project]]`, `--project NAME`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pgfence.config import load
from pgfence.errors import UsageError
from tests.support import pgfence

ROOT_DIR = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None, timeout: float = 120):
    """pgfence ARGS in `cwd`, this checkout's code whatever the directory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    return pgfence(*args, cwd=cwd, env=env, timeout=timeout)


CONFIG = """\
[tool.pgfence]
fail-on = "critical"
pg = 16

[[tool.pgfence.project]]
name = "billing"
paths = ["billing/migrations"]
schema = "billing/schema.sql"
pg = 15

[[tool.pgfence.project]]
name = "search"
paths = ["search/migrations"]
fail-on = "medium"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    billing = tmp_path / "billing"
    (billing / "migrations").mkdir(parents=True)
    (billing / "schema.sql").write_text(
        "CREATE TABLE invoices (id bigint PRIMARY KEY, total int);\n"
    )
    (billing / "migrations" / "0001_total.sql").write_text(
        "ALTER TABLE invoices ALTER COLUMN total TYPE bigint;\n"
    )
    search = tmp_path / "search"
    (search / "migrations").mkdir(parents=True)
    (search / "migrations" / "0001_index.sql").write_text(
        "CREATE INDEX docs_body_idx ON docs (body);\n"
    )
    return tmp_path


def test_each_project_inherits_the_top_level_and_sets_its_own(repo):
    cfg = load(str(repo / "pyproject.toml"))
    billing, search = (cfg.for_project(n) for n in ("billing", "search"))
    assert (billing.project, billing.pg, str(billing.fail_on)) == ("billing", 15, "critical")
    assert billing.paths == (str(repo / "billing/migrations"),)
    assert billing.schema == str(repo / "billing/schema.sql")
    assert (search.pg, str(search.fail_on), search.schema) == (16, "medium", None)
    assert cfg.for_project(None) is cfg and cfg.project is None


@pytest.mark.parametrize(
    ("projects", "message"),
    [
        ('[[tool.pgfence.project]]\npaths = ["a"]\n', 'project[0]: needs name = "…"'),
        ('[[tool.pgfence.project]]\nname = "a"\n', 'project[0]: needs paths = ["…"] (project a)'),
        (
            '[[tool.pgfence.project]]\nname = "a"\npaths = ["a"]\n'
            '[[tool.pgfence.project]]\nname = "a"\npaths = ["b"]\n',
            "project[1]: a second project named 'a'",
        ),
        (
            '[[tool.pgfence.project]]\nname = "a"\npaths = ["a"]\nshema = "s.sql"\n',
            "project[0].shema: unknown key (did you mean 'schema'?)",
        ),
        ("[tool.pgfence]\nproject = 3\n", "tool.pgfence.project: expected [[project]] tables"),
        ('[[tool.pgfence.project]]\nname = "a"\npaths = ["a"]\npg = 9\n', "pg: 9: pgfence knows"),
    ],
)
def test_a_bad_project_table_is_one_line_naming_the_key(tmp_path, projects, message):
    (tmp_path / "pyproject.toml").write_text(projects)
    with pytest.raises(UsageError) as caught:
        load(str(tmp_path / "pyproject.toml"))
    assert message in str(caught.value) and "pyproject.toml" in str(caught.value)


def test_analyze_project_checks_its_paths_under_its_name(repo):
    done = run("analyze", "--project", "search", "-f", "json", cwd=repo)
    assert done.returncode == 1, done.stderr  # fail-on medium: the index build is high
    report = json.loads(done.stdout)
    assert report["project"] == "search" and report["pg_version"] == 16
    assert {s["file"] for s in report["statements"]} == {
        str(repo / "search/migrations/0001_index.sql")
    }
    table = run("analyze", "--project", "search", cwd=repo)
    assert table.stdout.startswith(
        "pgfence analyze · project search · prediction for PostgreSQL 16"
    )


def test_a_configuration_with_projects_asks_which_one(repo):
    done = run("analyze", cwd=repo)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "pgfence: error: the configuration has several projects (billing, search): choose one "
        "with --project NAME (a CI matrix runs one job per project)"
    )
    done = run("analyze", "--project", "serch", cwd=repo)
    assert done.returncode == 2 and "no such project; did you mean search?" in done.stderr
    # A PATH given names the migrations: the top-level configuration applies.
    done = run("analyze", "-f", "json", "search/migrations", cwd=repo)
    assert done.returncode == 0 and "project" not in json.loads(done.stdout)


def test_merge_refuses_reports_of_two_projects(repo, tmp_path):
    for name in ("billing", "search"):
        run(
            "analyze",
            "--project",
            name,
            "--pg",
            "16",
            "-o",
            f"json={tmp_path / name}.json",
            cwd=repo,
        )
    done = run("report", "merge", str(tmp_path / "billing.json"), str(tmp_path / "search.json"))
    assert done.returncode == 2 and "different project" in done.stderr


@pytest.mark.postgres
def test_dryrun_project_starts_from_its_schema_on_its_major(repo):
    from tests.conftest import MAJORS

    if 15 not in MAJORS:
        pytest.skip("no PostgreSQL 15 here")
    done = run("dryrun", "--project", "billing", "-f", "json", cwd=repo, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["project"] == "billing" and report["server"]["major"] == 15
    [statement] = report["statements"]
    assert statement["observed"]["error"] is None  # invoices came from billing/schema.sql
    assert statement["verdict"]["kind"] == "confirmed"
