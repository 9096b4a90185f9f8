"""Configuration: [tool.pgfence] / pgfence.toml, found from the working directory up."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pgfence import config
from pgfence.errors import BadInput, UsageError
from pgfence.model import Severity
from tests.support import pgfence as run

RISKY = "CREATE INDEX accounts_email_idx ON accounts (email);\n"  # high
DROP = "ALTER TABLE accounts DROP COLUMN email;\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_index.sql").write_text(RISKY)
    return tmp_path


def write_pyproject(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text('[project]\nname = "app"\n\n[tool.pgfence]\n' + textwrap.dedent(body))
    return path


# ---- reading and checking ----------------------------------------------------------------


def test_every_key_is_read_and_paths_are_relative_to_the_file(tmp_path):
    path = write_pyproject(
        tmp_path,
        """
        pg = 15
        backend = "local"
        format = "markdown"
        fail-on = "medium"
        migration-format = "flyway"
        schema = "db/schema.sql"
        paths = ["db/migrations"]
        include = ["db/migrations/**/*.sql"]
        exclude = ["db/migrations/legacy/**"]
        disable = ["create-index-blocks-writes"]
        severity = { foreign-key-validation = "critical" }
        statement-timeout = "2m"
        lock-timeout = "500ms"
        max-lock-timeout = "5s"
        long-lock = 2

        [[tool.pgfence.overrides]]
        paths = ["db/migrations/legacy/**"]
        disable = ["set-not-null-scan"]
        severity = { add-column-rewrite = "low" }
        """,
    )
    cfg = config.load(str(path))
    assert cfg.file == str(path)
    assert (cfg.pg, cfg.backend, cfg.format, cfg.fail_on) == (
        15,
        "local",
        "markdown",
        Severity.MEDIUM,
    )
    assert cfg.migration_format == "flyway"
    assert cfg.schema == str(tmp_path.resolve() / "db" / "schema.sql")
    assert cfg.paths == (str(tmp_path.resolve() / "db" / "migrations"),)
    assert cfg.disable == {"create-index-blocks-writes"}
    assert cfg.severity == {"foreign-key-validation": Severity.CRITICAL}
    assert (cfg.statement_timeout, cfg.lock_timeout) == (120.0, 0.5)
    assert (cfg.max_lock_timeout, cfg.long_lock) == (5.0, 2.0)
    [override] = cfg.overrides
    assert override.disable == {"set-not-null-scan"}
    assert override.severity == {"add-column-rewrite": Severity.LOW}
    settings = cfg.rule_settings(disable=["add-column-rewrite"])
    assert settings.disabled == {"create-index-blocks-writes", "add-column-rewrite"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('fial-on = "high"', "tool.pgfence.fial-on: unknown key (did you mean 'fail-on'?)"),
        ('fail-on = "extreme"', "tool.pgfence.fail-on: unknown severity 'extreme'"),
        ('fail-on = "info"', "tool.pgfence.fail-on: info findings never fail a run"),
        ("pg = 12", "tool.pgfence.pg: 12: pgfence knows PostgreSQL 14 to 18"),
        ('pg = "16"', "tool.pgfence.pg: expected a number, got '16'"),
        ('format = "pdf"', "tool.pgfence.format: 'pdf' is not one of table, json"),
        ('backend = "dsn"', "tool.pgfence.backend: 'dsn' is not one of embedded, local, docker"),
        (
            'disable = ["create-index-block-writes"]',
            "tool.pgfence.disable: no check named 'create-index-block-writes' (did you mean 'create-index-blocks-writes'?)",
        ),
        (
            'severity = { drop-index-blocks-reads = "urgent" }',
            "tool.pgfence.severity.drop-index-blocks-reads: unknown severity 'urgent'",
        ),
        (
            'statement-timeout = "soon"',
            "tool.pgfence.statement-timeout: 'soon': expected a duration",
        ),
        (
            'lock-timeout = "0s"',
            "tool.pgfence.lock-timeout: '0s': a timeout must be longer than 0",
        ),
        ("include = 3", "tool.pgfence.include: expected a list of strings, got 3"),
        (
            '[[tool.pgfence.overrides]]\ndisable = ["parse-error"]',
            "tool.pgfence.overrides[0]: needs paths",
        ),
        (
            '[[tool.pgfence.overrides]]\npaths = ["x"]\nfail-on = "low"',
            "tool.pgfence.overrides[0].fail-on: unknown key",
        ),
    ],
    ids=lambda value: value.split("=")[0].strip() if "=" in value else None,
)
def test_an_unknown_key_or_a_bad_value_names_the_key_and_the_file(tmp_path, body, message):
    path = write_pyproject(tmp_path, body)
    with pytest.raises(UsageError) as caught:
        config.load(str(path))
    assert str(caught.value).startswith(f"{path}: {message}")


def test_the_cli_turns_a_bad_config_into_one_line_and_exit_2(project):
    write_pyproject(project, 'fail_on = "high"\n')
    result = run("analyze", "migrations", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"pgfence: error: {project.resolve() / 'pyproject.toml'}: tool.pgfence.fail_on: "
        "unknown key (did you mean 'fail-on'?)"
    ]


def test_invalid_toml_is_bad_input_with_the_file(tmp_path):
    (tmp_path / "pgfence.toml").write_text("fail-on = \n")
    with pytest.raises(BadInput) as caught:
        config.load(start=tmp_path)
    assert "pgfence.toml" in str(caught.value) and "not valid TOML" in str(caught.value)


def test_found_by_walking_up_pgfence_toml_first_pyproject_without_table_skipped(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no table
    (tmp_path / "pyproject.toml").write_text('[tool.pgfence]\nfail-on = "low"\n')
    assert config.load(start=deep).fail_on is Severity.LOW
    (tmp_path / "pgfence.toml").write_text('fail-on = "critical"\n')
    assert config.load(start=deep).fail_on is Severity.CRITICAL
    (tmp_path / "a" / "pgfence.toml").write_text('fail-on = "medium"\n')
    cfg = config.load(start=deep)
    assert cfg.fail_on is Severity.MEDIUM and cfg.root == (tmp_path / "a").resolve()


def test_no_file_means_defaults(tmp_path):
    cfg = config.load(start=tmp_path)
    assert cfg.file is None and cfg.fail_on is None and cfg.overrides == ()


def test_an_explicit_pyproject_without_the_table_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(UsageError, match=r"has no \[tool.pgfence\] table"):
        config.load(str(tmp_path / "pyproject.toml"))


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("migrations/legacy/**", "migrations/legacy/0001.sql", True),
        ("migrations/legacy/**", "migrations/legacy/old/0001.sql", True),
        ("migrations/legacy/**", "migrations/0001.sql", False),
        ("migrations/legacy", "migrations/legacy/0001.sql", True),
        ("migrations/legacy", "migrations/legacy_2/0001.sql", False),
        ("**/*.sql", "migrations/0001.sql", True),
        ("**/*.sql", "0001.sql", True),
        ("migrations/*.sql", "migrations/sub/0001.sql", False),
        ("migrations/V?__*.sql", "migrations/V2__x.sql", True),
    ],
)
def test_globs(pattern, path, expected):
    assert config.match(pattern, path) is expected


# ---- the command line over the file ------------------------------------------------------


def test_fail_on_from_the_file_and_the_command_line_overrides_it(project):
    write_pyproject(project, 'fail-on = "critical"\n')
    assert run("analyze", "migrations", cwd=project).returncode == 0
    assert run("analyze", "--fail-on", "high", "migrations", cwd=project).returncode == 1


def test_format_and_paths_from_the_file(project):
    write_pyproject(project, 'format = "json"\npaths = ["migrations"]\n')
    result = run("analyze", cwd=project)
    assert result.returncode == 1
    assert json.loads(result.stdout)["statements"][0]["sql"].startswith("CREATE INDEX")
    assert run("analyze", "--format", "table", cwd=project).stdout.startswith("pgfence analyze")


def test_no_path_and_no_paths_in_the_file_is_a_usage_error(project):
    result = run("analyze", cwd=project)
    assert result.returncode == 2 and "no PATH given" in result.stderr


def test_disabled_and_enabled_checks_and_severity_overrides(project):
    (project / "migrations" / "0002_drop.sql").write_text(DROP)
    write_pyproject(project, 'format = "json"\ndisable = ["create-index-blocks-writes"]\n')

    def rules(out: str) -> list[str]:
        return sorted(f["rule"] for s in json.loads(out)["statements"] for f in s["findings"])

    result = run("analyze", "migrations", cwd=project)
    assert "create-index-blocks-writes" not in rules(result.stdout)
    write_pyproject(project, 'format = "json"\nenable = ["create-index-blocks-writes"]\n')
    assert rules(run("analyze", "migrations", cwd=project).stdout) == ["create-index-blocks-writes"]
    write_pyproject(
        project,
        'severity = { create-index-blocks-writes = "low" }\nexclude = ["migrations/0002_drop.sql"]\n',
    )
    assert run("analyze", "migrations", cwd=project).returncode == 0


def test_include_and_exclude_select_migrations(project):
    legacy = project / "migrations" / "legacy"
    legacy.mkdir()
    (legacy / "0000_old.sql").write_text(DROP)
    write_pyproject(project, 'format = "json"\nexclude = ["migrations/legacy/**"]\n')
    files = {
        s["file"]
        for s in json.loads(run("analyze", "migrations", cwd=project).stdout)["statements"]
    }
    assert files == {"migrations/0001_index.sql"}
    write_pyproject(project, 'format = "json"\ninclude = ["**/legacy/*.sql"]\n')
    files = {
        s["file"]
        for s in json.loads(run("analyze", "migrations", cwd=project).stdout)["statements"]
    }
    assert files == {"migrations/legacy/0000_old.sql"}


def test_per_path_overrides_change_findings_of_matching_files_only(project):
    legacy = project / "migrations" / "legacy"
    legacy.mkdir()
    (legacy / "0000_old.sql").write_text(RISKY.replace("accounts_email_idx", "old_idx"))
    write_pyproject(
        project,
        """
        format = "json"
        [[tool.pgfence.overrides]]
        paths = ["migrations/legacy"]
        severity = { create-index-blocks-writes = "low" }
        """,
    )
    data = json.loads(run("analyze", "migrations", cwd=project).stdout)
    severities = {
        s["file"]: [
            f["severity"] for f in s["findings"] if f["rule"] == "create-index-blocks-writes"
        ]
        for s in data["statements"]
    }
    assert severities == {
        "migrations/legacy/0000_old.sql": ["low"],
        "migrations/0001_index.sql": ["high"],
    }


def test_an_explicit_config_file_is_used_from_anywhere(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("ci")
    (elsewhere / "strict.toml").write_text('fail-on = "critical"\n')
    result = run("analyze", "--config", str(elsewhere / "strict.toml"), "migrations", cwd=project)
    assert result.returncode == 0
    missing = run("analyze", "--config", "nope.toml", "migrations", cwd=project)
    assert missing.returncode == 2 and "nope.toml: no such configuration file" in missing.stderr


@pytest.mark.postgres
def test_dryrun_takes_its_timeout_from_the_file(project):
    (project / "migrations" / "0001_index.sql").write_text("SELECT pg_sleep(20);\n")
    write_pyproject(project, 'statement-timeout = "500ms"\nformat = "json"\n')
    result = run("dryrun", "migrations", cwd=project)
    assert result.returncode == 1, result.stderr
    [statement] = json.loads(result.stdout)["statements"]
    assert [f["rule"] for f in statement["findings"]] == ["statement-timeout"]


def test_per_path_overrides_reach_the_analysis_through_the_settings(project):
    """The file's overrides travel in the settings: the findings are judged where raised."""
    from pgfence.analysis.analyze import build_report
    from pgfence.sources.sql import read_sql_file

    path = write_pyproject(
        project,
        """
        [[tool.pgfence.overrides]]
        paths = ["migrations/**"]
        severity = { create-index-blocks-writes = "low" }
        """,
    )
    cfg = config.load(str(path))
    migration = read_sql_file(str(project / "migrations" / "0001_index.sql"))
    report = build_report([migration], version=18, settings=cfg.rule_settings())
    [statement] = report.statements
    lowered = [f for f in statement.findings if f.rule == "create-index-blocks-writes"]
    assert [f.severity for f in lowered] == [Severity.LOW]
    elsewhere = build_report([migration], version=18)
    [statement] = elsewhere.statements
    kept = [f for f in statement.findings if f.rule == "create-index-blocks-writes"]
    assert [f.severity for f in kept] == [Severity.HIGH]
