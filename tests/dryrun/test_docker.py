"""--backend docker: a real container through testcontainers (the image built from Debian
packages by docker/build-postgres-image.sh; tools/with_docker.sh sets it up for the suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.postgres]

IMAGE = os.environ.get("PGFENCE_TEST_DOCKER_IMAGE")
REPO = Path(__file__).resolve().parents[2]


def _engine() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


if not IMAGE or not _engine():
    pytest.skip(
        "no Docker engine with a Postgres image (run the suite through tools/with_docker.sh, "
        "as `make test` does)",
        allow_module_level=True,
    )


def containers() -> set[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"ancestor={IMAGE}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def pgfence(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TESTCONTAINERS_RYUK_DISABLED="true")
    return subprocess.run(
        [sys.executable, "-m", "pgfence.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_dryrun_in_a_container_confirms_the_prediction_and_removes_the_container():
    before = containers()
    result = pgfence(
        "dryrun",
        "--backend",
        "docker",
        "--image",
        IMAGE,
        "--format",
        "json",
        "--schema",
        str(REPO / "scenarios/demo/schema.sql"),
        str(REPO / "scenarios/demo/migration.sql"),
    )
    assert result.returncode == 1, result.stderr  # the demo is risky by design
    data = json.loads(result.stdout)
    assert data["server"]["backend"] == "docker"
    assert data["summary"]["verdicts"] == {"confirmed": 4}
    assert containers() == before


def test_scenarios_in_a_container_agree_with_the_recorded_behaviour():
    result = pgfence(
        "verify",
        "--backend",
        "docker",
        "--pg",
        "15",
        "add-foreign-key",
        "create-index-concurrently",
        "reindex-index",
        "grant",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all scenarios agree" in result.stdout


def test_an_image_that_does_not_exist_is_one_clear_error(tmp_path):
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    result = pgfence(
        "dryrun", "--backend", "docker", "--image", "pgfence/no-such-image:0", str(migration)
    )
    assert result.returncode == 3
    assert (
        len(result.stderr.strip().splitlines()) == 1 and "Docker could not start" in result.stderr
    )


def test_in_a_container_the_migration_is_no_superuser(tmp_path):
    """With the host's network, a superuser's COPY … TO PROGRAM could reach anything."""
    (tmp_path / "program.sql").write_text("COPY (SELECT 1) TO PROGRAM 'true';\n")
    (tmp_path / "system.sql").write_text("ALTER SYSTEM SET work_mem = '1GB';\n")
    result = pgfence(
        "dryrun", "--backend", "docker", "--image", IMAGE, "--format", "json",
        str(tmp_path / "program.sql"), str(tmp_path / "system.sql"),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    errors = [s["observed"]["error"] for s in json.loads(result.stdout)["statements"]]
    assert [e["sqlstate"] for e in errors] == ["42501", "42501"]
