"""Django histories as `migrate` runs them: patterns found in a real project's complete
history (netbox, tools/corpus.toml), each as a small fixture of our own.

Each case is read statically; the last test dry-runs all of them together on a real
PostgreSQL, from an empty database, the way the nightly whole-history job does.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.model import VerdictKind
from pgfence.sources import load_migrations

HEADER = "from django.conf import settings\nfrom django.db import migrations, models\n\n"


def migration(dependencies: str, operations: str, head: str = "") -> str:
    return (
        HEADER
        + head
        + "\n\nclass Migration(migrations.Migration):\n"
        + f"    dependencies = [{dependencies}]\n"
        + "    operations = [\n"
        + textwrap.indent(textwrap.dedent(operations).strip(), "        ")
        + "\n    ]\n"
    )


# app -> file -> text. `users` creates the user model (AUTH_USER_MODEL) on auth_user;
# `core` needs it only through swappable_dependency; `dcim` uses a field class of the
# project (ipam/fields.py) and a proxy; `tenancy` moves a through model the way netbox did.
HISTORY = {
    "ipam/fields.py": textwrap.dedent(
        """
        from django.db import models

        class BaseIPField(models.Field):
            def db_type(self, connection):
                return 'inet'

        class ASNField(models.BigIntegerField):
            pass

        class IPAddressField(BaseIPField):
            pass
        """
    ),
    "users/migrations/0001_initial.py": migration(
        "",
        """
        migrations.CreateModel(
            name='User',
            fields=[
                ('id', models.AutoField(primary_key=True, serialize=False)),
                ('username', models.CharField(max_length=150, unique=True)),
            ],
            options={'db_table': 'auth_user'},
        ),
        """,
    ),
    "core/migrations/0001_initial.py": migration(
        "migrations.swappable_dependency(settings.AUTH_USER_MODEL), "
        "('contenttypes', '0002_remove_content_type_name')",
        """
        migrations.CreateModel(
            name='Change',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('user', models.ForeignKey(null=True, on_delete=models.SET_NULL, to=settings.AUTH_USER_MODEL)),
                ('object_type', models.ForeignKey(on_delete=models.PROTECT, to='contenttypes.contenttype')),
                ('request', models.PositiveIntegerField(unique=True)),
            ],
            options={'unique_together': set()},
        ),
        migrations.CreateModel(
            name='ObjectType',
            fields=[],
            options={'proxy': True},
            bases=('contenttypes.contenttype',),
        ),
        migrations.CreateModel(
            name='Legacy',
            fields=[('id', models.AutoField(primary_key=True, serialize=False))],
            options={'managed': False},
        ),
        """,
    ),
    "core/migrations/0002_alter.py": migration(
        "('core', '0001_initial')",
        """
        migrations.AlterField('change', 'request', models.IntegerField()),
        migrations.AddConstraint(
            'change',
            models.UniqueConstraint(condition=models.Q(('user__isnull', True)), fields=('request',), name='core_change_anon'),
        ),
        migrations.RemoveConstraint('change', 'core_change_anon'),
        migrations.CreateModel(
            name='Legacy',
            fields=[('id', models.BigAutoField(primary_key=True, serialize=False))],
        ),
        """,
    ),
    "dcim/migrations/0001_initial.py": migration(
        "('core', '0001_initial')",
        """
        migrations.CreateModel(
            name='Site',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('asn', ipam.fields.ASNField(null=True)),
                ('address', ipam.fields.IPAddressField(null=True)),
                ('types', models.ManyToManyField(to='core.objecttype')),
            ],
        ),
        """,
        head="import ipam.fields",
    ),
    "dcim/migrations/0002_drop_asn.py": migration(
        "('dcim', '0001_initial')",
        """
        migrations.RemoveField('site', 'asn'),
        migrations.AlterModelTable('site', 'dcim_place'),
        """,
    ),
    "tenancy/migrations/0001_initial.py": migration(
        "",
        """
        migrations.CreateModel(
            name='Group',
            fields=[('id', models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[('id', models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('contact', models.ForeignKey(on_delete=models.CASCADE, to='tenancy.contact')),
                ('group', models.ForeignKey(on_delete=models.CASCADE, to='tenancy.group')),
            ],
        ),
        """,
    ),
    "tenancy/migrations/0002_move.py": migration(
        "('tenancy', '0001_initial')",
        """
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Membership'),
                migrations.AddField('contact', 'groups', models.ManyToManyField(to='tenancy.group')),
            ],
            database_operations=[
                migrations.AlterModelTable(name='Membership', table='tenancy_contact_groups'),
            ],
        ),
        """,
    ),
}


@pytest.fixture()
def history(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name, text in HISTORY.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        (path.parent / "__init__.py").touch()
    return root


def read(root: Path) -> dict[str, list[str]]:
    return {
        f"{Path(m.path).parent.parent.name}.{Path(m.path).stem}": [s.sql for s in m.statements]
        for m in load_migrations([str(root)], fmt="django")
    }


def test_migrations_run_in_migrate_s_plan_with_the_user_model_first(history):
    order = list(read(history))
    # swappable_dependency(AUTH_USER_MODEL) is the app that creates User.
    assert order.index("users.0001_initial") < order.index("core.0001_initial")
    assert order.index("core.0001_initial") < order.index("dcim.0001_initial")


def test_foreign_keys_to_the_user_model_and_contrib_models(history):
    core = read(history)["core.0001_initial"]
    create = core[0]
    assert '"user_id" integer NULL' in create  # the user model's AutoField
    assert '"object_type_id" integer NOT NULL' in create  # django_content_type's key
    assert any('REFERENCES "auth_user" ("id")' in s for s in core)
    assert any('REFERENCES "django_content_type" ("id")' in s for s in core)


def test_unmanaged_and_proxy_models_make_no_table(history):
    sql = read(history)
    assert not any("core_objecttype" in s or "core_legacy" in s for s in sql["core.0001_initial"])
    # A managed model of the same name later is created.
    assert any(s.startswith('CREATE TABLE "core_legacy"') for s in sql["core.0002_alter"])
    # A many-to-many field to the proxy points at the proxied table.
    assert any('REFERENCES "django_content_type" ("id")' in s for s in sql["dcim.0001_initial"])


def test_constraints_are_dropped_by_the_names_they_were_given(history):
    alter = read(history)["core.0002_alter"]
    # The inline UNIQUE and CHECK of a PositiveIntegerField carry PostgreSQL's names.
    assert 'ALTER TABLE "core_change" DROP CONSTRAINT "core_change_request_key"' in alter
    assert 'ALTER TABLE "core_change" DROP CONSTRAINT "core_change_request_check"' in alter
    # A unique constraint with a condition is an index.
    assert 'DROP INDEX IF EXISTS "core_change_anon"' in alter


def test_field_classes_of_the_project_are_read_from_its_source(history):
    create = read(history)["dcim.0001_initial"][0]
    assert '"asn" bigint NULL' in create
    assert '"address" inet NULL' in create


def test_a_through_table_follows_the_model_s_table(history):
    drop = read(history)["dcim.0002_drop_asn"]
    assert drop == [
        'ALTER TABLE "dcim_site" DROP COLUMN "asn" CASCADE',
        'ALTER TABLE "dcim_site" RENAME TO "dcim_place"',
        'ALTER TABLE "dcim_site_types" RENAME TO "dcim_place_types"',
    ]


def test_separate_database_and_state_runs_the_database_side_on_the_old_state(history):
    assert read(history)["tenancy.0002_move"] == [
        'ALTER TABLE "tenancy_membership" RENAME TO "tenancy_contact_groups"'
    ]


@pytest.mark.postgres
def test_the_whole_history_dry_runs_from_an_empty_database(history, pg, database_name):
    migrations = load_migrations([str(history)], fmt="django")
    report = dry_run(pg, migrations, DryRunOptions(database=database_name))
    kinds = {s.verdict.kind for s in report.statements if s.verdict is not None}
    failed = [
        (s.statement.location.file, s.statement.sql, s.observation.error)
        for s in report.statements
        if s.observation is not None and s.observation.error is not None
    ]
    assert failed == []
    assert kinds == {VerdictKind.CONFIRMED}
