"""The CI examples of docs/ci/, run here as their CI would run them: every job of the
matrix (majors this machine has × shards), then the job that merges and reports once.

GitHub: each matrix job is the action's own script (action/run.sh) with the job's `with:`
inputs, its `json` output copied where download-artifact would put it; the report job
merges with the action and writes its one comment through action/comment.py (to a local
stand-in for GitHub's comments API, tests/test_action_comment.py). GitLab: each job's
`script:` lines in bash, as a runner runs them. Either way the merged report must be the
unsharded `dryrun --pg A,B`'s, and the run's verdict the same.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import MAJORS
from tests.reporting.conftest import errors
from tests.support import pgfence
from tests.test_action_comment import comment
from tests.test_action_comment import github as github
from tests.test_merge import untimed
from tests.test_workflow_files import vendored_schema

ROOT_DIR = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None, timeout: float = 120):
    """pgfence ARGS in `cwd`, this checkout's code whatever the directory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    return pgfence(*args, cwd=cwd, env=env, timeout=timeout)


ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "docs" / "ci"
HISTORY = {
    "0001_create.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n",
    "0002_index.sql": "CREATE INDEX accounts_email_idx ON accounts (email);\n",
    "0003_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n",
    "0004_fk.sql": "ALTER TABLE orders ADD CONSTRAINT orders_account_fk "
    "FOREIGN KEY (account_id) REFERENCES accounts (id);\n",
    "0005_not_null.sql": "ALTER TABLE orders ALTER COLUMN account_id SET NOT NULL;\n",
}
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(len(MAJORS) < 2, reason="needs two PostgreSQL majors"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project" / "db" / "migrations"
    folder.mkdir(parents=True)
    for name, sql in HISTORY.items():
        (folder / name).write_text(sql)
    return folder.parent.parent


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """`pgfence` on PATH: this checkout's, as `pip install` would give it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "pgfence"
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m pgfence.cli "$@"\n'
    )
    script.chmod(0o755)
    return folder


def two_majors() -> list[str]:
    return [str(m) for m in sorted(MAJORS)[-2:]]


def whole_run(project: Path, majors: list[str]) -> subprocess.CompletedProcess[str]:
    return run(
        "dryrun", "-f", "json", "--pg", ",".join(majors), "db/migrations", cwd=project, timeout=600
    )


def expand(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: values[m.group(1)], text)


def action_script(
    tmp_path: Path, job: str, cwd: Path, bin_dir: Path, inputs: dict[str, str]
) -> dict[str, str]:
    runner = tmp_path / "runner" / job
    runner.mkdir(parents=True)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(runner / "output"),
        "BASE_REF": "main",  # a pull request: changed-since decides
        **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in inputs.items()},
    }
    done = subprocess.run(
        ["bash", str(ROOT / "action" / "run.sh")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in (runner / "output").read_text().splitlines())


def test_the_github_matrix_workflow_comments_once_with_the_unsharded_report(
    tmp_path, project, bin_dir, github
):
    workflow = yaml.safe_load((CI / "github-matrix.yml").read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    assert errors(jsonschema.Draft7Validator(vendored_schema("github-workflows")), workflow) == []
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    shard_job, report_job = workflow["jobs"]["pgfence"], workflow["jobs"]["report"]
    assert report_job["needs"] == "pgfence" and report_job["if"] == "always()"
    matrix = shard_job["strategy"]["matrix"]
    assert {str(p) for p in matrix["pg"]} >= set(two_majors())
    [step] = [s for s in shard_job["steps"] if s.get("id") == "pgfence"]
    assert set(step["with"]) <= set(action["inputs"])
    [upload] = [s for s in shard_job["steps"] if "upload-artifact" in s.get("uses", "")]
    for pg in two_majors():
        for shard in matrix["shard"]:
            values = {"matrix.pg": pg, "matrix.shard": str(shard)}
            inputs = {k: expand(str(v), values) for k, v in step["with"].items()}
            outputs = action_script(tmp_path, f"pg{pg}-{shard}", project, bin_dir, inputs)
            # upload-artifact, then download-artifact into reports/<artifact name>/
            name = expand(upload["with"]["name"], values)
            assert upload["with"]["path"] == "${{ steps.pgfence.outputs.json }}"
            (project / "reports" / name).mkdir(parents=True)
            shutil.copy(outputs["json"], project / "reports" / name / "pgfence.json")
    [merge] = [s for s in report_job["steps"] if "merge" in s.get("with", {})]
    assert set(merge["with"]) <= set(action["inputs"])
    outputs = action_script(tmp_path, "report", project, bin_dir, dict(merge["with"]))
    whole = whole_run(project, two_majors())
    assert outputs["exit-code"] == str(whole.returncode)
    merged = json.loads(Path(outputs["json"]).read_text())
    assert untimed(merged) == untimed(json.loads(whole.stdout))
    # The comment step, with what the action would give it: one comment, for all versions.
    store, api = github
    assert merge["with"]["comment"] == "true"
    markdown = Path(outputs["markdown"]).read_text()
    comment(tmp_path, api, markdown)
    comment(tmp_path, api, markdown)  # the next push edits it
    [text] = store.by_id.values()
    assert all(f"PostgreSQL {v}" in text or f"PG {v}" in text for v in two_majors()), text[:500]


def test_the_gitlab_pipeline_merges_the_matrix_into_the_unsharded_report(
    tmp_path, project, bin_dir
):
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    shard_job, report_job = pipeline["pgfence"], pipeline["pgfence-report"]
    assert report_job["needs"] == ["pgfence"] and report_job["when"] == "always"
    [matrix] = shard_job["parallel"]["matrix"]
    assert set(matrix["PG"]) >= set(two_majors())
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def job(lines: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
        # pgfence is on PATH already (bin_dir): the job's own install is not repeated.
        script = "\n".join(["set -eo pipefail", *(s for s in lines if not s.startswith("pip "))])
        return subprocess.run(
            ["bash", "-c", script],
            cwd=project,
            env={**env, **variables},
            capture_output=True,
            text=True,
            timeout=600,
        )

    for pg in two_majors():
        for shard in matrix["SHARD"]:
            done = job(shard_job["script"], PG=pg, SHARD=shard)
            assert done.returncode == 0, done.stderr
    done = job(report_job["script"])
    whole = whole_run(project, two_majors())
    assert done.returncode == whole.returncode, done.stderr
    assert untimed(json.loads((project / "pgfence.json").read_text())) == untimed(
        json.loads(whole.stdout)
    )
    assert (project / "pgfence.xml").read_text().startswith("<?xml")
    assert "PG " in done.stdout  # the version matrix's table, on the job's log
