"""The files that fit pgfence into a team's workflow: the GitHub Action (and the README's
workflow example), the pre-commit hook, the Dockerfile, shell completion."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.reporting.conftest import SARIF_SCHEMA, errors

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def vendored_schema(name: str) -> dict:
    """A schema from check-jsonschema's copies of the SchemaStore ones (a dev dependency)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath(f"{name}.json").read_text())


def readme_yaml_blocks() -> list[dict]:
    text = (ROOT / "README.md").read_text()
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


# ---- the GitHub Action ---------------------------------------------------------------------


def test_action_yml_is_a_valid_composite_action():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    validator = jsonschema.Draft7Validator(vendored_schema("github-actions"))
    assert errors(validator, action) == []
    assert action["runs"]["using"] == "composite"
    uses = [step.get("uses", "") for step in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    # Every input the script reads is passed to it, and every input is used.
    run_step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    script = (ROOT / "action" / "run.sh").read_text()
    for name in re.findall(r"\$\{?(INPUT_[A-Z_]+)", script):
        assert name in run_step["env"], name
    used = (ROOT / "action.yml").read_text()
    for name in action["inputs"]:
        assert f"inputs.{name}" in used, name


def action_step(name: str) -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return next(s for s in action["runs"]["steps"] if s["name"] == name)


def test_the_sarif_upload_never_fails_the_job_and_skips_pull_requests_from_forks():
    step = action_step("Upload SARIF to code scanning")
    assert step["continue-on-error"] is True
    condition = " ".join(step["if"].split())
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.event.pull_request == null ||" in condition  # pushes still upload
    # The verdict comes last, after every report was written or uploaded.
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    names = [s["name"] for s in action["runs"]["steps"]]
    assert names[-1] == "Fail on findings"
    assert names.index("Comment on the pull request") < names.index("Fail on findings")


def test_the_comment_step_runs_the_upsert_only_on_pull_requests_when_asked():
    step = action_step("Comment on the pull request")
    assert step["continue-on-error"] is True
    condition = " ".join(step["if"].split())
    assert "inputs.comment == 'true'" in condition
    assert "github.event.pull_request != null" in condition
    assert step["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
    assert step["run"] == 'python "$GITHUB_ACTION_PATH/action/comment.py"'


def test_the_readme_workflow_is_a_valid_workflow_using_the_action():
    [workflow] = [b for b in readme_yaml_blocks() if isinstance(b, dict) and "jobs" in b]
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    validator = jsonschema.Draft7Validator(vendored_schema("github-workflows"))
    assert errors(validator, workflow) == []
    steps = workflow["jobs"]["pgfence"]["steps"]
    ours = next(s for s in steps if s.get("uses", "").split("@")[0].endswith("/pgfence"))
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(ours["with"]) <= set(action["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
    assert steps[0]["with"]["fetch-depth"] == 0


def run_action_script(tmp_path: Path, cwd: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "BASE_REF": "",
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    (tmp_path / "runner").mkdir(exist_ok=True)
    return subprocess.run(
        ["bash", str(ROOT / "action" / "run.sh")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def step_outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "db" / "migrations").mkdir(parents=True)
    (project / "db" / "migrations" / "0001_index.sql").write_text(
        "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    )
    return project


def test_the_action_script_annotates_writes_reports_and_records_the_exit_code(tmp_path, repo):
    sarif_validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    done = run_action_script(tmp_path, repo, paths="db/migrations", fail_on="high")
    assert done.returncode == 0, done.stderr  # a verdict, not an error: the last step fails
    assert done.stdout.startswith("::error file=db/migrations/0001_index.sql,line=1,col=1,")
    out = step_outputs(tmp_path)
    assert out["exit-code"] == "1"
    assert errors(sarif_validator, json.loads(Path(out["sarif"]).read_text())) == []
    assert Path(out["markdown"]).read_text().startswith("### pgfence analyze")
    assert "<svg" in Path(out["html"]).read_text()
    assert "pgfence analyze --format github" in done.stderr  # the command, in the log


def test_the_action_script_leaves_globs_to_pgfence(tmp_path, repo):
    """bash without globstar would read `**` as `*` and miss db/migrations/2024/…."""
    nested = repo / "db" / "migrations" / "2024"
    nested.mkdir()
    (nested / "0002_drop.sql").write_text("ALTER TABLE accounts DROP COLUMN email;\n")
    done = run_action_script(tmp_path, repo, paths="db/**/*.sql", fail_on="critical")
    assert done.returncode == 0, done.stderr
    assert "file=db/migrations/2024/0002_drop.sql" in done.stdout
    assert "file=db/migrations/0001_index.sql" in done.stdout


def test_the_action_script_fails_itself_on_bad_input(tmp_path, repo):
    done = run_action_script(tmp_path, repo, paths="db/nothing-here")
    assert done.returncode == 2
    assert step_outputs(tmp_path)["exit-code"] == "2"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_action_script_checks_only_what_the_pull_request_changed(tmp_path, repo):
    git_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=git_env)

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    (repo / "db" / "migrations" / "0002_safe.sql").write_text("CREATE TABLE t (id bigint);\n")
    done = run_action_script(tmp_path, repo, paths="db/migrations", changed_since="main")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the risky 0001 is not part of this change
    assert step_outputs(tmp_path)["exit-code"] == "0"


# ---- pre-commit ------------------------------------------------------------------------------


def test_pre_commit_accepts_the_hook_manifest():
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "pgfence" and hook["entry"] == "pgfence analyze"
    assert hook["require_serial"] is True and hook["language"] == "python"
    [config] = [b for b in readme_yaml_blocks() if isinstance(b, dict) and "repos" in b]
    assert config["repos"][0]["hooks"][0]["id"] == "pgfence"


MIGRATION_PATHS = [
    "db/migrations/0001_x.sql",
    "app/migrations/0001_initial.py",  # Django
    "app/migrations/__init__.py",  # passed, then skipped as not a migration
    "alembic/versions/3f2a_add_email.py",
    "migrations/versions/3f2a_add_email.py",  # Flask-Migrate's Alembic
    "prisma/migrations/20240101000000_init/migration.sql",
    "drizzle/0000_init.sql",
    "db/migrate/20240101_x.sql",
    "src/main/resources/db/migration/V1__init.sql",  # Flyway's default folder
    "sql/V2_1__add_column.sql",  # Flyway anywhere
    "sql/R__views.sql",
    "deploy/add_users.sql",  # Sqitch
    "src/migrations/1700000000000-AddIndex.ts",  # TypeORM
    "migrations/20240101_add.js",  # Knex, Sequelize
]
OTHER_PATHS = [
    "app/models.py",
    "src/db.sql",
    "README.md",
    "migrations/README.md",
    "drizzle/meta/_journal.json",
    "db/migrate/20240101_add_users.rb",  # Rails: Ruby, not for pgfence
    "src/migrations/types.d.ts",
    "sql/Vendor__notes.sql",
]


def test_the_hook_matches_migration_folders_by_default():
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])

    def picked(path: str) -> bool:  # how pre-commit filters: search, files then exclude
        return bool(files.search(path)) and not exclude.search(path)

    assert [p for p in MIGRATION_PATHS if not picked(p)] == []
    assert [p for p in OTHER_PATHS if picked(p)] == []
    assert hook["types"] == ["file"] and hook["types_or"] == []  # .py and .ts too


@pytest.mark.registry
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_hook_runs_through_pre_commit(tmp_path):
    """pre-commit try-repo installs pgfence from this repository into its own environment
    (from PyPI or pip's cache) and runs the hook on a user's staged migrations."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    user = tmp_path / "user"
    (user / "db" / "migrations").mkdir(parents=True)
    (user / "db" / "migrations" / "0001_index.sql").write_text(
        "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    )
    (user / "db" / "migrations" / "0002_table.sql").write_text("CREATE TABLE t (id bigint);\n")
    # With the hook's default `files:`: a Django app's migrations folder, its __init__.py
    # and a helper (skipped, not read as SQL); files outside the folders are not passed.
    app = user / "app" / "migrations"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "helpers.py").write_text("import os\n\ndef main():\n    print(os.getcwd())\n")
    django = ROOT / "tests" / "sources" / "fixtures" / "django" / "shop" / "migrations"
    (app / "0001_initial.py").write_text((django / "0001_initial.py").read_text())
    (user / "app" / "models.py").write_text("import os\n")
    (user / "notes.sql").write_text("this is no SQL\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run(["git", "init", "-q"], cwd=user, check=True)
    subprocess.run(["git", "add", "."], cwd=user, check=True)
    done = subprocess.run(
        [str(BIN / "pre-commit"), "try-repo", str(ROOT), "pgfence", "--all-files"],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if "pgfence analyze" not in done.stdout and "CalledProcessError" in done.stdout:
        pytest.skip("pre-commit could not install pgfence here: " + done.stdout[-500:])
    assert done.returncode == 1, done.stdout[-3000:]
    assert re.search(r"pgfence analyze\.+Failed", done.stdout)
    assert "db/migrations/0001_index.sql:1:1  high  create-index-blocks-writes" in done.stdout
    assert "app/migrations/__init__.py:1:1  info  not-a-migration" in done.stdout
    assert "… and 1 more: app/migrations/helpers.py:1:1" in done.stdout  # the same note
    assert "parse-error" not in done.stdout and "models.py" not in done.stdout
    assert "notes.sql" not in done.stdout
    assert "7 statements in 3 file(s)" in done.stdout  # 2 SQL files, the Django migration


# ---- Docker, completion ------------------------------------------------------------------------


def test_the_dockerfile_installs_pgfence_and_runs_it_as_a_non_root_user():
    text = (ROOT / "docker" / "Dockerfile").read_text()
    instructions = [
        line.split()[0] for line in text.splitlines() if line and not line.startswith("#")
    ]
    assert instructions[0] == "FROM"
    user = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert user == ["pgfence"]
    assert 'ENTRYPOINT ["pgfence"]' in text
    # The image's Python satisfies pgfence's requires-python.
    base = re.search(r"^FROM python:(\d+)\.(\d+)", text, re.M)
    assert base and (int(base[1]), int(base[2])) >= (3, 11)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".cache" in ignored


def test_shell_completion_completes_formats():
    env = {
        **os.environ,
        "_PGFENCE_COMPLETE": "complete_bash",
        "COMP_WORDS": "pgfence analyze --format ",
        "COMP_CWORD": "3",
    }
    done = subprocess.run(
        [str(BIN / "pgfence")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["table", "json", "sarif", "github", "markdown", "junit", "html"]


def test_the_action_script_says_when_no_report_matches_the_merge_glob(tmp_path, repo):
    done = run_action_script(tmp_path, repo, merge="reports/*/*.json")
    assert done.returncode == 2
    assert "merge: no report matches reports/*/*.json" in done.stderr
    assert step_outputs(tmp_path)["exit-code"] == "2"


# ---- the README's "Adopt it in ten minutes" -----------------------------------------------


@pytest.mark.postgres
def test_the_ten_minute_adoption_commands_work_as_the_readme_says(tmp_path):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Adopt it in ten minutes", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [line.split("#", 1)[0].split() for line in block.splitlines()]
    steps = [c for c in commands if c and c[0] == "pgfence"]
    assert [c[1] for c in steps] == ["analyze", "analyze", "analyze", "dryrun"]
    assert 'comment: "true"' in section and "[pre-commit](#pre-commit)" in section
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "schema.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
    )
    migration = tmp_path / "db" / "migrations" / "0001_index.sql"
    migration.write_text("CREATE INDEX accounts_email_idx ON accounts (email);\n")
    codes = []
    for step in steps:
        done = subprocess.run(
            [str(BIN / "pgfence"), *step[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in done.stderr
        codes.append(done.returncode)
    # risky, then the diff of the fix (still risky until written), fixed, and observed clean
    assert codes == [1, 1, 0, 0]
    assert migration.read_text() == (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
    )
