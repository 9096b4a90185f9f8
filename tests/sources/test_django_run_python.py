"""RunPython read statically: the queryset calls of its function on models from
`apps.get_model()` become the SQL Django sends, values known only at run time NULL with
a `run-time-value` finding; a function with anything else in it stays unanalysable."""

from pathlib import Path

import pytest

from pgfence.dryrun.runner import DryRunOptions, dry_run
from pgfence.sources import load_migrations

INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("contenttypes", "0002_remove_content_type_name")]
    operations = [
        migrations.CreateModel(
            name="Shelf",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("label", models.CharField(max_length=20, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("title", models.CharField(max_length=50, null=True)),
                ("shelf", models.ForeignKey(null=True, on_delete=models.CASCADE, to="library.shelf")),
                ("owner_type", models.ForeignKey(null=True, on_delete=models.PROTECT, to="contenttypes.contenttype")),
                ("owner_id", models.BigIntegerField(null=True)),
            ],
        ),
    ]
"""

DATA = '''\
from django.db import migrations, models
from django.db.models import Q

KINDS = ("Shelf", "Book")


def tidy(apps, schema_editor):
    """Empty strings become NULL."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Shelf = apps.get_model("library", "Shelf")
    Book = apps.get_model("library", "Book")
    alias = schema_editor.connection.alias
    for name in KINDS:
        model = apps.get_model("library", name)
        model.objects.using(alias).filter(Q(id__lt=0) | Q(id__gt=1000000000)).update(id=models.F("id"))
    Book.objects.using(alias).filter(title="").update(title=None)
    Book.objects.filter(owner_type=ContentType.objects.get_for_model(Shelf)).update(
        owner_id=models.F("shelf_id")
    )
    Book.objects.filter(shelf__isnull=False).update(owner_type=ContentType.objects.get_for_model(Shelf))
    Book.objects.filter(title="gone").delete()


def cannot_read(apps, schema_editor):
    Shelf = apps.get_model("library", "Shelf")
    for shelf in Shelf.objects.all():
        shelf.save()


def cascades(apps, schema_editor):
    Shelf = apps.get_model("library", "Shelf")
    Shelf.objects.filter(label="").delete()


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]
    operations = [
        migrations.RunPython(tidy, migrations.RunPython.noop),
        migrations.RunPython(code=cannot_read),
        migrations.RunPython(cascades),
    ]
'''

CONTENT_TYPE = (
    'SELECT "django_content_type"."id", "django_content_type"."app_label", '
    '"django_content_type"."model" FROM "django_content_type" WHERE '
    '("django_content_type"."app_label" = \'library\' AND '
    '"django_content_type"."model" = \'shelf\') LIMIT 21'
)


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "library" / "migrations"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text(INITIAL)
    (folder / "0002_tidy.py").write_text(DATA)
    return tmp_path


def test_run_python_queryset_calls_are_the_sql_django_sends_with_run_time_values_null(tmp_path):
    _, data = load_migrations([str(_project(tmp_path))], fmt="django")
    assert [(s.location.line, s.sql, s.refused is None) for s in data.statements] == [
        # a loop over constants of the file: once per value, in order
        (
            15,
            'UPDATE "library_shelf" SET "id" = "library_shelf"."id" WHERE '
            '("library_shelf"."id" < 0 OR "library_shelf"."id" > 1000000000)',
            True,
        ),
        (
            15,
            'UPDATE "library_book" SET "id" = "library_book"."id" WHERE '
            '("library_book"."id" < 0 OR "library_book"."id" > 1000000000)',
            True,
        ),
        (
            16,
            """UPDATE "library_book" SET "title" = NULL WHERE "library_book"."title" = ''""",
            True,
        ),
        (17, CONTENT_TYPE, True),
        # the content type's id compared in the WHERE: NULL matches no row, a dry-run runs it
        (
            17,
            'UPDATE "library_book" SET "owner_id" = "library_book"."shelf_id" '
            'WHERE "library_book"."owner_type_id" = NULL',
            True,
        ),
        (20, CONTENT_TYPE, True),
        # written into rows the WHERE can match: never sent
        (
            20,
            'UPDATE "library_book" SET "owner_type_id" = NULL '
            'WHERE "library_book"."shelf_id" IS NOT NULL',
            False,
        ),
        (21, """DELETE FROM "library_book" WHERE "library_book"."title" = 'gone'""", True),
    ]
    notes = [(f.rule, f.location.line) for f in data.findings]
    assert ("run-time-value", 17) in notes and ("run-time-value", 20) in notes
    gaps = {f.location.line: f.message for f in data.findings if f.rule == "unanalysable"}
    # the loop over the shelves is read (its SELECT), the save() in it is not
    assert "`cannot_read` line 27, `shelf.save()`" in gaps[39]
    # Django's Collector deletes the books on the shelves first: not one DELETE
    assert "also deletes or updates the rows of library_book" in gaps[40]
    # the RunPython calls that left a gap are seen, not counted as turned into SQL
    assert (data.calls_seen, data.calls_extracted) == (3, 1)


@pytest.mark.postgres
def test_a_dry_run_runs_the_placeholder_update_which_writes_no_row(pg, tmp_path, database_name):
    rows = (
        "INSERT INTO library_shelf (label) VALUES ('a');"
        " INSERT INTO library_book (title, shelf_id, owner_type_id, owner_id)"
        " SELECT 't', s.id, c.id, 7 FROM library_shelf s, django_content_type c"
    )
    unchanged = (
        "DO $$ BEGIN IF (SELECT count(*) FROM library_book WHERE owner_id = 7) <> 1"
        " THEN RAISE EXCEPTION 'a row was written'; END IF; END $$"
    )
    folder = tmp_path / "library" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text(INITIAL)
    (folder / "0002_link.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "def link(apps, schema_editor):\n"
        '    ContentType = apps.get_model("contenttypes", "ContentType")\n'
        '    Shelf = apps.get_model("library", "Shelf")\n'
        '    Book = apps.get_model("library", "Book")\n'
        "    Book.objects.filter(owner_type=ContentType.objects.get_for_model(Shelf)).update(\n"
        '        owner_id=models.F("shelf_id")\n'
        "    )\n"
        "    Book.objects.update(owner_type=ContentType.objects.get_for_model(Shelf))\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("library", "0001_initial")]\n'
        "    operations = [\n"
        f'        migrations.RunSQL("{rows}"),\n'
        "        migrations.RunPython(link),\n"
        f'        migrations.RunSQL("{unchanged}"),\n'
        "    ]\n"
    )
    schema = tmp_path / "schema.sql"
    schema.write_text(
        "CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100),"
        " model varchar(100));"
        "INSERT INTO django_content_type (app_label, model) VALUES ('library', 'shelf');"
    )
    migrations = load_migrations([str(tmp_path)], fmt="django")
    options = DryRunOptions(schema_file=str(schema), isolate=False, database=database_name)
    report = dry_run(pg, migrations, options)
    outcome = [
        (s.statement.sql.split(" WHERE ")[0], s.observation.ran, s.observation.error)
        for s in report.statements
        if "RunPython" in (s.statement.origin or "") and "SELECT" not in s.statement.sql
    ]
    # the first runs (NULL in its WHERE matches no row), the second would write NULL: not sent
    assert outcome == [
        ('UPDATE "library_book" SET "owner_id" = "library_book"."shelf_id"', True, None),
        ('UPDATE "library_book" SET "owner_type_id" = NULL', False, None),
    ]
    last = report.statements[-1]
    assert last.statement.sql == unchanged and last.observation.ran
    assert last.observation.error is None


GROUPS = """\
import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Site",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
                ("region_id", models.BigIntegerField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Group",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
                ("min_vid", models.IntegerField(default=1)),
                ("max_vid", models.IntegerField(default=2)),
                ("vid_ranges", django.contrib.postgres.fields.ArrayField(
                    base_field=django.contrib.postgres.fields.ranges.IntegerRangeField(), null=True)),
                ("_total", models.PositiveIntegerField(default=0)),
                ("site", models.ForeignKey(null=True, on_delete=models.CASCADE, to="lab.site")),
            ],
            options={"ordering": ("name", "pk")},
        ),
    ]
"""

LOOPS = """\
from django.db import migrations
from django.db.backends.postgresql.psycopg_any import NumericRange


def ranges(apps, schema_editor):
    Group = apps.get_model("lab", "Group")
    alias = schema_editor.connection.alias
    groups = Group.objects.using(alias).only("id", "min_vid", "max_vid")
    for group in groups:
        group.vid_ranges = [NumericRange(group.min_vid, group.max_vid, bounds="[]")]
        group._total = group.max_vid - group.min_vid + 1
    Group.objects.using(alias).bulk_update(groups, ["vid_ranges", "_total"], batch_size=100)


def totals(apps, schema_editor):
    Group = apps.get_model("lab", "Group")
    stale = []
    for group in Group.objects.filter(site__isnull=False, name="a").only("vid_ranges", "_total"):
        total = 0
        if group.vid_ranges:
            for r in group.vid_ranges:
                if r.lower is not None and r.upper is not None:
                    total += r.upper - r.lower
        total = sum(r.upper - r.lower for r in (group.vid_ranges or []) if r.upper is not None)
        if group._total != total:
            group._total = total
            stale.append(group)
    Group.objects.bulk_update(stale, ["_total"])


def deferred(apps, schema_editor):
    Group = apps.get_model("lab", "Group")
    for group in Group.objects.only("id"):
        group._total = group.max_vid
    Group.objects.bulk_update(Group.objects.all(), ["_total"])


def related(apps, schema_editor):
    Group = apps.get_model("lab", "Group")
    groups = Group.objects.all()
    for group in groups:
        group._total = group.site.region_id
    Group.objects.bulk_update(groups, ["_total"])


def never_loaded(apps, schema_editor):
    Group = apps.get_model("lab", "Group")
    groups = Group.objects.only("id")
    Group.objects.bulk_update(groups, ["_total"])


class Migration(migrations.Migration):
    dependencies = [("lab", "0001_initial")]
    operations = [
        migrations.RunPython(ranges),
        migrations.RunPython(totals),
        migrations.RunPython(deferred),
        migrations.RunPython(related),
        migrations.RunPython(never_loaded),
    ]
"""


def _groups(tmp_path: Path) -> Path:
    folder = tmp_path / "lab" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text(GROUPS)
    (folder / "0002_loops.py").write_text(LOOPS)
    return tmp_path


def test_a_loop_over_a_queryset_is_its_select_and_bulk_update_its_case_update(tmp_path):
    # The SQL Django 5.2 sends for these (captured on PostgreSQL), the rows' pks and values
    # NULL: SELECT with .only()'s columns and Meta.ordering, one UPDATE per batch.
    _, data = load_migrations([str(_groups(tmp_path))], fmt="django")
    ordering = ' ORDER BY "lab_group"."name" ASC, "lab_group"."id" ASC'
    total = '"_total" = (CASE WHEN ("lab_group"."id" = NULL) THEN NULL ELSE NULL END)::integer'
    assert [(s.location.line, s.sql, s.refused is None) for s in data.statements] == [
        (
            9,
            'SELECT "lab_group"."id", "lab_group"."min_vid", "lab_group"."max_vid" '
            'FROM "lab_group"' + ordering,
            True,
        ),
        (
            12,
            'UPDATE "lab_group" SET "vid_ranges" = (CASE WHEN ("lab_group"."id" = NULL) THEN '
            "NULL::int4range[] ELSE NULL END)::int4range[]::int4range[], "
            + total
            + ' WHERE "lab_group"."id" IN (NULL)',
            True,
        ),
        (
            18,
            'SELECT "lab_group"."id", "lab_group"."vid_ranges", "lab_group"."_total" '
            'FROM "lab_group" WHERE ("lab_group"."name" = \'a\' AND '
            '"lab_group"."site_id" IS NOT NULL)' + ordering,
            True,
        ),
        (28, f'UPDATE "lab_group" SET {total} WHERE "lab_group"."id" IN (NULL)', True),
    ]
    loops = [f.location.line for f in data.findings if f.rule == "run-time-value"]
    assert loops == [9, 12, 18, 28]  # the two loops read once, the two bulk_updates' NULLs
    gaps = [f.message for f in data.findings if f.rule == "unanalysable"]
    assert "`deferred` line 34, `group.max_vid`: a deferred field" in gaps[0]
    assert "`related` line 42, `group.site`: a related object" in gaps[1]
    assert "`never_loaded` line 49" in gaps[2] and "`_total`, a deferred field" in gaps[2]
    assert (data.calls_seen, data.calls_extracted) == (5, 2)


@pytest.mark.postgres
def test_a_dry_run_runs_the_bulk_update_placeholder_which_writes_no_row(
    pg, tmp_path, database_name
):
    folder = _groups(tmp_path) / "lab" / "migrations"
    (folder / "0002_loops.py").write_text(
        LOOPS.split("\n\ndef totals")[0] + "\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("lab", "0001_initial")]\n'
        "    operations = [\n"
        '        migrations.RunSQL("INSERT INTO lab_group (name, min_vid, max_vid, _total)'
        " VALUES ('a', 1, 2, 7)\"),\n"
        "        migrations.RunPython(ranges),\n"
        '        migrations.RunSQL("DO $$ BEGIN IF (SELECT _total FROM lab_group) <> 7'
        " THEN RAISE EXCEPTION 'a row was written'; END IF; END $$\"),\n"
        "    ]\n"
    )
    migrations = load_migrations([str(tmp_path)], fmt="django")
    options = DryRunOptions(isolate=False, database=database_name)
    report = dry_run(pg, migrations, options)
    assert [(s.observation.ran, s.observation.error) for s in report.statements][-3:] == [
        (True, None),  # the SELECT
        (True, None),  # the UPDATE: WHERE id IN (NULL)
        (True, None),  # and the row is as it was
    ]


def test_a_custom_manager_is_an_assumption_and_shadowed_python_is_not_read(tmp_path):
    folder = tmp_path / "lab" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text(
        "import lab.managers\n"
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    initial = True\n"
        "    dependencies = []\n"
        "    operations = [\n"
        "        migrations.CreateModel(name='Tag', fields=[\n"
        "            ('id', models.AutoField(primary_key=True)),\n"
        "            ('n', models.IntegerField(default=0)),\n"
        "        ], managers=[('objects', lab.managers.TagManager())]),\n"
        "        migrations.CreateModel(name='Step', fields=[\n"
        "            ('id', models.AutoField(primary_key=True)),\n"
        "            ('n', models.IntegerField(default=0)),\n"
        "            ('tag', models.ForeignKey(on_delete=models.CASCADE, to='lab.tag')),\n"
        "        ], options={'order_with_respect_to': 'tag'}),\n"
        "    ]\n"
    )
    (folder / "0002_data.py").write_text(
        "from django.db import migrations\n\n\n"
        "def sum(values):\n"
        "    return 0\n\n\n"
        "def bump(apps, schema_editor):\n"
        "    Tag = apps.get_model('lab', 'Tag')\n"
        "    Tag.objects.filter(n=0).update(n=1)\n\n\n"
        "def shadowed(apps, schema_editor):\n"
        "    Tag = apps.get_model('lab', 'Tag')\n"
        "    for tag in Tag.objects.all():\n"
        "        tag.n = sum([tag.n])\n\n\n"
        "def ordered(apps, schema_editor):\n"
        "    Step = apps.get_model('lab', 'Step')\n"
        "    for step in Step.objects.all():\n"
        "        step.n = 1\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('lab', '0001_initial')]\n"
        "    operations = [\n"
        "        migrations.RunPython(bump),\n"
        "        migrations.RunPython(shadowed),\n"
        "        migrations.RunPython(ordered),\n"
        "    ]\n"
    )
    _, data = load_migrations([str(tmp_path)], fmt="django")
    assert [s.sql for s in data.statements] == [
        'UPDATE "lab_tag" SET "n" = 1 WHERE "lab_tag"."n" = 0'
    ]
    assumed = [f.message for f in data.findings if f.rule == "django-assumption"]
    assert any("`lab.managers.TagManager()` of the project" in m for m in assumed)
    gaps = [f.message for f in data.findings if f.rule == "unanalysable"]
    assert "`shadowed` line 16, `sum([tag.n])`" in gaps[0]  # the module's own sum()
    assert "`ordered` line 21" in gaps[1] and "the ordering of lab_step" in gaps[1]


def test_prefetch_related_of_a_foreign_key_and_an_ordering_of_expressions(tmp_path):
    # As Django 5.2 sends them: the related rows' SELECT after the queryset's (by its base
    # manager: no ORDER BY), an ordering of F()/OrderBy() by the column itself.
    folder = tmp_path / "lab" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text(
        "import django.db.models.expressions\n"
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    initial = True\n"
        "    dependencies = []\n"
        "    operations = [\n"
        "        migrations.CreateModel(name='Site', fields=[\n"
        "            ('id', models.AutoField(primary_key=True)),\n"
        "            ('name', models.CharField(max_length=10)),\n"
        "            ('region_id', models.BigIntegerField(null=True)),\n"
        "        ], options={'ordering': ('-name', 'pk')}),\n"
        "        migrations.CreateModel(name='Group', fields=[\n"
        "            ('id', models.AutoField(primary_key=True)),\n"
        "            ('name', models.CharField(max_length=10)),\n"
        "            ('min_vid', models.IntegerField(default=1)),\n"
        "            ('site', models.ForeignKey(null=True, on_delete=models.CASCADE, to='lab.site')),\n"
        "            ('_region', models.ForeignKey(null=True, on_delete=models.SET_NULL, "
        "related_name='+', to='lab.site')),\n"
        "        ], options={'ordering': (django.db.models.expressions.OrderBy("
        "django.db.models.expressions.F('site'), nulls_first=True), 'name', "
        "models.F('min_vid').desc(nulls_last=True), '-pk')}),\n"
        "        migrations.CreateModel(name='Member', fields=[\n"
        "            ('id', models.AutoField(primary_key=True)),\n"
        "            ('site', models.ForeignKey(on_delete=models.CASCADE, to='lab.site')),\n"
        "        ], options={'ordering': ('site',)}),\n"
        "    ]\n"
    )
    (folder / "0002_data.py").write_text(
        "from django.db import migrations\n\n\n"
        "def regions(apps, schema_editor):\n"
        "    Group = apps.get_model('lab', 'Group')\n"
        "    groups = Group.objects.filter(site__isnull=False).prefetch_related('site')\n"
        "    for group in groups:\n"
        "        group._region_id = group.site.region_id\n"
        "    Group.objects.bulk_update(groups, ['_region'], batch_size=100)\n\n\n"
        "def joined(apps, schema_editor):\n"
        "    Member = apps.get_model('lab', 'Member')\n"
        "    for member in Member.objects.all():\n"
        "        member.site_id = 1\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('lab', '0001_initial')]\n"
        "    operations = [migrations.RunPython(regions), migrations.RunPython(joined)]\n"
    )
    _, data = load_migrations([str(tmp_path)], fmt="django")
    assert [(s.sql, s.refused is None) for s in data.statements] == [
        (
            'SELECT "lab_group"."id", "lab_group"."name", "lab_group"."min_vid", '
            '"lab_group"."site_id", "lab_group"."_region_id" FROM "lab_group" WHERE '
            '"lab_group"."site_id" IS NOT NULL ORDER BY "lab_group"."site_id" ASC NULLS FIRST, '
            '"lab_group"."name" ASC, "lab_group"."min_vid" DESC NULLS LAST, "lab_group"."id" DESC',
            True,
        ),
        (
            'SELECT "lab_site"."id", "lab_site"."name", "lab_site"."region_id" FROM "lab_site" '
            'WHERE ("lab_site"."id") IN ((NULL))',
            True,  # it only reads
        ),
        (
            'UPDATE "lab_group" SET "_region_id" = (CASE WHEN ("lab_group"."id" = NULL) THEN '
            'NULL ELSE NULL END)::integer WHERE "lab_group"."id" IN (NULL)',
            True,
        ),
    ]
    gaps = [f.message for f in data.findings if f.rule == "unanalysable"]
    # ordered by a relation's name: Django joins the related model and uses its ordering
    assert len(gaps) == 1 and "the ordering `site` of lab_member" in gaps[0]
