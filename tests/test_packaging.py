"""The wheel, as a user installs it: built from this tree, installed into a fresh venv
outside the repository, with its built-in scenarios, docs and JSON schema inside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)

# Building the wheel installs setuptools into pip's isolated build environment.
pytestmark = [pytest.mark.registry, pytest.mark.postgres]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [str(PYTHON), "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [built] = out.glob("pgfence-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel alone; pgfence's dependencies are those of this venv,
    reached through a .pth, all but pgfence itself and the `docker` extra's."""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    subprocess.run([str(PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    target = venv / "bin" / "python"
    done = subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "--python",
            str(target),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ours = Path(sysconfig.get_paths()["purelib"])
    deps = home / "deps"
    deps.mkdir()
    left_out = ("pgfence", "__editable__", "testcontainers", "docker")
    for entry in ours.iterdir():
        if not entry.name.startswith(left_out) and not entry.name.endswith(".pth"):
            (deps / entry.name).symlink_to(entry)
    site = subprocess.run(
        [str(target), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "pgfence-test-deps.pth").write_text(f"{deps}\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(venv / "bin" / "pgfence"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_wheel_carries_scenarios_docs_schema_and_licence(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("pgfence-0.1.0.dist-info/METADATA").decode()
        schema = archive.read("pgfence/_data/docs/report.schema.json")
    scenarios = {n.split("/")[3] for n in names if n.startswith("pgfence/_data/scenarios/")}
    assert scenarios == {p.name for p in (ROOT / "scenarios").iterdir() if p.is_dir()}
    for doc in ("rules.md", "json-report.md", "stats-file.md", "lock-matrix.md"):
        assert f"pgfence/_data/docs/{doc}" in names
    assert "pgfence/_data/scenarios/create-index/expected/pg18.json" in names
    assert json.loads(schema) == json.loads((ROOT / "docs" / "report.schema.json").read_text())
    assert "pgfence-0.1.0.dist-info/licenses/LICENSE" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    assert "Version 2.0" in (ROOT / "LICENSE").read_text()[:200]
    requires = [r for r in metadata.splitlines() if r.startswith("Requires-Dist: testcontainers")]
    assert requires and all('extra == "docker"' in r or 'extra == "dev"' in r for r in requires)
    assert "Provides-Extra: docker" in metadata


def test_verify_and_explain_work_from_the_installed_wheel_without_the_repository(
    installed, tmp_path
):
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import pgfence.shipped as s; print(s.SCENARIOS_DIR); print(s.REPORT_SCHEMA)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(path.startswith(str(installed)) and Path(path).exists() for path in where)
    verified = run(
        installed, "verify", "--pg", "18", "create-index", "add-column-nullable", cwd=tmp_path
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "create-index" in verified.stdout and "add-column-nullable" in verified.stdout
    explained = run(installed, "explain", "create-index-blocks-writes", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "CONCURRENTLY" in explained.stdout


def test_the_docker_backend_without_its_extra_says_how_to_install_it(installed, tmp_path):
    (tmp_path / "0001.sql").write_text("CREATE TABLE t (id bigint);\n")
    done = run(installed, "dryrun", "--backend", "docker", "--pg", "18", "0001.sql", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "pgfence: error: --backend docker needs the docker extra: pip install 'pgfence[docker]'\n"
    )
