"""What Django really sends for each call of the differential corpus (tests/sources/differential).

    python tools/django_differential.py          # `make differential`

Installs the pinned Django from PyPI into the user cache (once), writes the corpus's apps into
a temporary folder, starts pgfence's embedded PostgreSQL (Django's PostgreSQL schema editor
quotes values through a real connection), and runs Django's own `sqlmigrate` on every
migration. The SQL is stored, with the Django version, in
tests/sources/differential/django_expected.json, which the suite compares pgfence's static
reading with. Run it again when the pinned version changes; nothing here runs in the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgfence.dryrun.servers.embedded import embedded_server  # noqa: E402
from pgfence.dryrun.servers.local import LocalServer, cache_dir  # noqa: E402
from tests.sources.differential import django_cases  # noqa: E402

DJANGO = "5.2.19"
EXPECTED = ROOT / "tests" / "sources" / "differential" / "django_expected.json"

SETTINGS = """
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": {name!r},
    "HOST": {host!r}, "PORT": {port!r}, "USER": {user!r}, "PASSWORD": {password!r}}}}}
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.postgres",
    "lab", "shelf"]
USE_TZ = True
SECRET_KEY = "differential"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

COLLECT = """
import io, json, sys
import django
from django.core.management import call_command
django.setup()
out = {}
for app, name in json.loads(sys.argv[1]):
    # sqlmigrate reads constraint names from the database for what it drops, so each
    # migration is applied after its SQL is collected: the next one sees the real state.
    buffer = io.StringIO()
    call_command("sqlmigrate", app, name, stdout=buffer, no_color=True)
    out[f"{app}.{name}"] = buffer.getvalue()
    call_command("migrate", app, name, verbosity=0)
print(json.dumps(out))
"""


def install() -> Path:
    target = cache_dir() / "differential" / f"django-{DJANGO}"
    if not (target / "django").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                f"django=={DJANGO}",
            ],
            check=True,
        )
    return target


def _server() -> LocalServer:
    """A server with contrib (the corpus creates extensions): Debian's, else the embedded one."""
    for bin_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        share = Path("/usr/share/postgresql", bin_dir.parent.name, "extension")
        if (share / "citext.control").exists():
            return LocalServer(str(bin_dir))
    return embedded_server()


def main() -> int:
    from psycopg.conninfo import conninfo_to_dict

    site = install()
    with tempfile.TemporaryDirectory() as tmp, _server() as server:
        root = Path(tmp)
        order = django_cases.write(root)
        params = conninfo_to_dict(server.dsn())
        (root / "differential_settings.py").write_text(
            SETTINGS.format(
                name=params.get("dbname", "postgres"),
                host=params.get("host", "localhost"),
                port=str(params.get("port", "5432")),
                user=params.get("user", "postgres"),
                password=params.get("password", ""),
            )
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(root)]),
            "DJANGO_SETTINGS_MODULE": "differential_settings",
        }
        result = subprocess.run(
            [sys.executable, "-c", COLLECT, json.dumps(order)],
            env=env,
            capture_output=True,
            text=True,
            cwd=root,
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        sql = json.loads(result.stdout)
    EXPECTED.write_text(
        json.dumps({"django": DJANGO, "migrations": sql}, indent=1, sort_keys=True) + "\n"
    )
    print(f"{len(sql)} migrations: {EXPECTED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
