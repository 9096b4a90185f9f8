"""The Django differential corpus: migration calls written by us, one migration each.

`write(root)` lays them out as real Django apps (`lab`, `shelf`), each migration depending
on the one before, so that every call is read with the model state the earlier ones built.
tools/django_differential.py runs Django's own `sqlmigrate` on them (pinned Django, a real
PostgreSQL) and stores what Django sends in django_expected.json; the test compares
pgfence's static reading of the same files with it, call by call.
"""

from __future__ import annotations

from pathlib import Path

HEADER = """\
import uuid

import django.contrib.postgres.constraints
import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.contrib.postgres.search
import django.db.models.deletion
import django.db.models.functions.datetime
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q

"""

# (app, migration name, operations source, atomic). Each migration depends on the app's
# previous one; the first of `lab` on contrib's contenttypes and the user model, the first
# of `shelf` on lab's first.
CASES: list[tuple[str, str, str, bool]] = []


def case(app: str, name: str, operations: str, atomic: bool = True) -> None:
    CASES.append((app, name, operations.strip(), atomic))


def field(app: str, model: str, name: str, definition: str) -> None:
    case(app, f"add_{model}_{name}", f"migrations.AddField({model!r}, {name!r}, {definition})")


# ---- models -----------------------------------------------------------------------------
case(
    "lab",
    "author",
    """
migrations.CreateModel(
    name="Author",
    fields=[
        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
        ("name", models.CharField(max_length=100)),
    ],
)""",
)
case(
    "lab",
    "every_type",
    """
migrations.CreateModel(
    name="Sample",
    fields=[
        ("id", models.AutoField(primary_key=True, serialize=False)),
        ("title", models.CharField(max_length=200, unique=True)),
        ("body", models.TextField(blank=True)),
        ("slug", models.SlugField()),
        ("email", models.EmailField(max_length=254)),
        ("site", models.URLField()),
        ("born", models.DateField(null=True)),
        ("seen", models.DateTimeField(auto_now_add=True)),
        ("at", models.TimeField(null=True)),
        ("took", models.DurationField(null=True)),
        ("price", models.DecimalField(decimal_places=2, max_digits=8)),
        ("ratio", models.FloatField(default=0.5)),
        ("count", models.IntegerField(default=0)),
        ("big", models.BigIntegerField(null=True)),
        ("small", models.SmallIntegerField(null=True)),
        ("pos", models.PositiveIntegerField(default=0)),
        ("pos_small", models.PositiveSmallIntegerField(null=True)),
        ("pos_big", models.PositiveBigIntegerField(null=True)),
        ("flag", models.BooleanField(default=False)),
        ("maybe", models.BooleanField(null=True)),
        ("uid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
        ("data", models.JSONField(default=dict)),
        ("blob", models.BinaryField(null=True)),
        ("ip", models.GenericIPAddressField(null=True)),
        ("doc", models.FileField(upload_to="docs/")),
        ("path", models.FilePathField(path="/tmp")),
        ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="lab.author")),
    ],
)""",
)
case(
    "lab",
    "small_pk",
    """
migrations.CreateModel(
    name="Tiny",
    fields=[
        ("id", models.SmallAutoField(primary_key=True, serialize=False)),
        ("code", models.CharField(max_length=3, db_index=True)),
    ],
    options={"db_table": "lab_tiny_things"},
)""",
)
case(
    "lab",
    "uuid_pk",
    """
migrations.CreateModel(
    name="Token",
    fields=[
        ("key", models.UUIDField(default=uuid.uuid4, primary_key=True, serialize=False)),
        ("label", models.CharField(max_length=40)),
        ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
    ],
)""",
)
case(
    "lab",
    "char_pk",
    """
migrations.CreateModel(
    name="Country",
    fields=[
        ("code", models.CharField(max_length=2, primary_key=True, serialize=False)),
        ("name", models.CharField(max_length=80)),
    ],
)""",
)
case(
    "lab",
    "fk_to_char_pk",
    """
migrations.CreateModel(
    name="City",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("name", models.CharField(max_length=80)),
        ("country", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="lab.country")),
        ("twin", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to="self")),
    ],
)""",
)
case(
    "lab",
    "model_with_options",
    """
migrations.CreateModel(
    name="Edition",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("number", models.IntegerField()),
        ("year", models.IntegerField()),
        ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="lab.author")),
    ],
    options={
        "ordering": ["-year"],
        "unique_together": {("author", "number")},
        "indexes": [models.Index(fields=["year"], name="lab_edition_year_idx")],
        "constraints": [models.CheckConstraint(condition=Q(("year__gte", 1450)), name="lab_edition_year_check")],
    },
)""",
)
case(
    "lab",
    "many_to_many",
    """
migrations.CreateModel(
    name="Shelf",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("name", models.CharField(max_length=50)),
        ("authors", models.ManyToManyField(to="lab.author")),
    ],
)""",
)
case(
    "lab",
    "one_to_one",
    """
migrations.CreateModel(
    name="Profile",
    fields=[
        ("author", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, serialize=False, to="lab.author")),
        ("motto", models.TextField(default="")),
    ],
)""",
)
case(
    "lab",
    "content_type_fk",
    """
migrations.CreateModel(
    name="Tag",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("object_id", models.PositiveBigIntegerField()),
        ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype")),
        ("group", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to="auth.group")),
    ],
)""",
)
case(
    "lab",
    "postgres_fields",
    """
migrations.CreateModel(
    name="Survey",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("scores", django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=None)),
        ("words", django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=10), default=list, size=3)),
        ("ages", django.contrib.postgres.fields.ranges.IntegerRangeField(null=True)),
        ("span", django.contrib.postgres.fields.ranges.DateTimeRangeField(null=True)),
        ("days", django.contrib.postgres.fields.ranges.DateRangeField(null=True)),
        ("search", django.contrib.postgres.search.SearchVectorField(null=True)),
    ],
)""",
)
case(
    "lab",
    "db_defaults_and_comments",
    """
migrations.CreateModel(
    name="Event",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
        ("level", models.IntegerField(db_default=3)),
        ("note", models.TextField(db_comment="free text")),
    ],
    options={"db_table_comment": "things that happened"},
)""",
)

# ---- one field at a time ------------------------------------------------------------------
for name, definition in [
    ("email", 'models.EmailField(default="", max_length=254)'),
    ("bio", 'models.TextField(blank=True, default="")'),
    ("born", "models.DateField(null=True)"),
    ("rating", "models.DecimalField(decimal_places=2, max_digits=5, null=True)"),
    ("active", "models.BooleanField(default=True)"),
    ("score", "models.FloatField(null=True)"),
    ("visits", "models.IntegerField(default=0)"),
    ("big", "models.BigIntegerField(default=0)"),
    ("rank", "models.SmallIntegerField(null=True)"),
    ("stars", "models.PositiveIntegerField(default=0)"),
    ("tiny", "models.PositiveSmallIntegerField(null=True)"),
    ("huge", "models.PositiveBigIntegerField(null=True)"),
    ("nick", "models.CharField(max_length=30, null=True)"),
    ("handle", "models.CharField(max_length=30, null=True, unique=True)"),
    ("motto", "models.CharField(max_length=None, null=True)"),
    ("slug", 'models.SlugField(default="x")'),
    ("site", 'models.URLField(blank=True, default="")'),
    ("lunch", "models.TimeField(null=True)"),
    ("wait", "models.DurationField(null=True)"),
    ("photo", "models.BinaryField(null=True)"),
    ("ip", "models.GenericIPAddressField(null=True)"),
    ("cv", 'models.FileField(null=True, upload_to="cv/")'),
    ("prefs", "models.JSONField(default=dict)"),
    ("extra", "models.JSONField(null=True)"),
    ("ref", "models.UUIDField(null=True)"),
    ("joined", "models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now)"),
    ("legacy", 'models.CharField(db_column="legacy_name", max_length=10, null=True)'),
    ("weight", "models.IntegerField(db_index=True, null=True)"),
    ("level", "models.IntegerField(db_default=1)"),
    ("stamp", "models.DateTimeField(db_default=django.db.models.functions.datetime.Now())"),
    ("remark", 'models.TextField(db_comment="what the editor says", null=True)'),
    ("kind", 'models.CharField(choices=[("a", "A"), ("b", "B")], default="a", max_length=1)'),
    (
        "mentor",
        "models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to='lab.author')",
    ),
    (
        "city",
        "models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to='lab.city', db_constraint=False)",
    ),
    (
        "home",
        "models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to='lab.country', db_index=False)",
    ),
    (
        "user",
        "models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)",
    ),
    (
        "sample",
        "models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='lab.sample', to_field='uid')",
    ),
    (
        "buddy",
        "models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='lab.author')",
    ),
    ("shelves", "models.ManyToManyField(related_name='readers', to='lab.shelf')"),
    (
        "tags",
        "django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=20), blank=True, default=list, size=None)",
    ),
    ("years", "django.contrib.postgres.fields.ranges.IntegerRangeField(null=True)"),
    ("fts", "django.contrib.postgres.search.SearchVectorField(null=True)"),
]:
    field("lab", "author", name, definition)

# ---- changing fields ----------------------------------------------------------------------
for index, definition in enumerate(
    [
        "models.CharField(max_length=200)",  # longer
        "models.CharField(max_length=200, db_index=True)",  # an index
        "models.CharField(max_length=200)",  # the index dropped
        "models.CharField(max_length=200, unique=True)",  # unique
        "models.CharField(max_length=200)",  # not unique any more
        "models.CharField(max_length=200, null=True)",  # nullable
        'models.CharField(max_length=200, default="anon")',  # NOT NULL again, with a default
        "models.TextField()",  # another type
        'models.TextField(db_comment="the name")',
    ]
):
    case(
        "lab",
        f"alter_author_name_{index}",
        f"migrations.AlterField('author', 'name', {definition})",
    )
for index, definition in enumerate(
    [
        "models.BigIntegerField(default=0)",  # integer -> bigint
        "models.IntegerField(default=0)",
        "models.IntegerField(null=True)",
        "models.IntegerField(default=5)",  # null -> not null with a default: four steps
        "models.DecimalField(decimal_places=0, default=0, max_digits=10)",
        "models.IntegerField(default=0)",
    ]
):
    case(
        "lab",
        f"alter_author_visits_{index}",
        f"migrations.AlterField('author', 'visits', {definition})",
    )
case(
    "lab",
    "alter_fk_nullable",
    "migrations.AlterField('author', 'mentor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='lab.author', null=True, related_name='mentees'))",
)
case(
    "lab",
    "alter_fk_target",
    "migrations.AlterField('author', 'mentor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='lab.city'))",
)
case(
    "lab",
    "alter_fk_no_constraint",
    "migrations.AlterField('author', 'mentor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='lab.city', db_constraint=False))",
)
case(
    "lab",
    "alter_to_fk",
    "migrations.AlterField('author', 'big', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='lab.author'))",
)
case(
    "lab",
    "alter_db_column",
    "migrations.AlterField('author', 'legacy', models.CharField(db_column='older_name', max_length=10, null=True))",
)
case(
    "lab",
    "alter_default_only",
    "migrations.AlterField('author', 'stars', models.PositiveIntegerField(default=5))",
)
case(
    "lab",
    "alter_db_default",
    "migrations.AlterField('author', 'level', models.IntegerField(db_default=2))",
)
case(
    "lab",
    "alter_drop_db_default",
    "migrations.AlterField('author', 'level', models.IntegerField(default=2))",
)
case(
    "lab",
    "alter_array_size",
    "migrations.AlterField('author', 'tags', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=40), blank=True, default=list, size=None))",
)
case("lab", "alter_to_uuid", "migrations.AlterField('author', 'nick', models.UUIDField(null=True))")
case(
    "lab",
    "alter_pk_type",
    "migrations.AlterField('tiny', 'id', models.BigAutoField(primary_key=True, serialize=False))",
)
case("lab", "rename_field", "migrations.RenameField('author', 'bio', 'biography')")
case("lab", "rename_fk_field", "migrations.RenameField('author', 'home', 'homeland')")
case("lab", "rename_db_column_field", "migrations.RenameField('author', 'legacy', 'older')")
case("lab", "remove_field", "migrations.RemoveField('author', 'photo')")
case("lab", "remove_fk_field", "migrations.RemoveField('author', 'city')")
case("lab", "remove_m2m_field", "migrations.RemoveField('author', 'shelves')")

# ---- indexes ------------------------------------------------------------------------------
for name, definition in [
    ("plain", "models.Index(fields=['email'], name='lab_author_email_idx')"),
    ("two_columns", "models.Index(fields=['name', '-born'], name='lab_author_name_born_idx')"),
    (
        "partial",
        "models.Index(condition=Q(('active', True)), fields=['email'], name='lab_author_active_idx')",
    ),
    (
        "partial_isnull",
        "models.Index(condition=Q(('born__isnull', False)), fields=['born'], name='lab_author_born_idx')",
    ),
    ("fk_column", "models.Index(fields=['mentor'], name='lab_author_mentor_idx')"),
    ("include", "models.Index(fields=['email'], include=['name'], name='lab_author_email_inc')"),
    (
        "opclass",
        "models.Index(fields=['handle'], name='lab_author_handle_ops', opclasses=['varchar_pattern_ops'])",
    ),
    (
        "expression",
        "models.Index(django.db.models.functions.text.Lower('email'), name='lab_author_lower_email')",
    ),
    (
        "gin",
        "django.contrib.postgres.indexes.GinIndex(fields=['tags'], name='lab_author_tags_gin')",
    ),
    (
        "gin_fts",
        "django.contrib.postgres.indexes.GinIndex(fields=['fts'], name='lab_author_fts_gin')",
    ),
    (
        "brin",
        "django.contrib.postgres.indexes.BrinIndex(fields=['joined'], name='lab_author_joined_brin')",
    ),
    (
        "hash",
        "django.contrib.postgres.indexes.HashIndex(fields=['site'], name='lab_author_site_hash')",
    ),
    (
        "gist",
        "django.contrib.postgres.indexes.GistIndex(fields=['years'], name='lab_author_years_gist')",
    ),
    (
        "btree_fillfactor",
        "django.contrib.postgres.indexes.BTreeIndex(fields=['rank'], name='lab_author_rank_btree', fillfactor=70)",
    ),
]:
    case("lab", f"index_{name}", f"migrations.AddIndex('author', {definition})")
case("lab", "remove_index", "migrations.RemoveIndex('author', 'lab_author_email_idx')")
case(
    "lab",
    "rename_index",
    "migrations.RenameIndex('author', new_name='lab_author_nb_idx', old_name='lab_author_name_born_idx')",
)
case(
    "lab",
    "index_concurrently",
    "django.contrib.postgres.operations.AddIndexConcurrently('author', models.Index(fields=['score'], name='lab_author_score_idx'))",
    atomic=False,
)
case(
    "lab",
    "remove_index_concurrently",
    "django.contrib.postgres.operations.RemoveIndexConcurrently('author', 'lab_author_score_idx')",
    atomic=False,
)
case("lab", "unique_together", "migrations.AlterUniqueTogether('author', {('name', 'email')})")
case(
    "lab",
    "unique_together_more",
    "migrations.AlterUniqueTogether('author', {('name', 'email'), ('nick', 'born')})",
)
case("lab", "unique_together_none", "migrations.AlterUniqueTogether('author', set())")

# ---- constraints --------------------------------------------------------------------------
for name, definition in [
    (
        "check",
        "models.CheckConstraint(condition=Q(('visits__gte', 0)), name='lab_author_visits_positive')",
    ),
    (
        "check_and",
        "models.CheckConstraint(condition=Q(('visits__gte', 0), ('stars__lte', 5)), name='lab_author_bounds')",
    ),
    (
        "check_or",
        "models.CheckConstraint(condition=Q(('born__isnull', True), ('born__gt', '1900-01-01'), _connector='OR'), name='lab_author_born_sane')",
    ),
    (
        "check_not",
        "models.CheckConstraint(condition=~Q(('name', '')), name='lab_author_name_not_empty')",
    ),
    (
        "check_f",
        "models.CheckConstraint(condition=Q(('stars__lte', F('visits'))), name='lab_author_stars_visits')",
    ),
    (
        "check_in",
        "models.CheckConstraint(condition=Q(('kind__in', ['a', 'b'])), name='lab_author_kind_valid')",
    ),
    ("unique", "models.UniqueConstraint(fields=('email',), name='lab_author_email_uniq')"),
    (
        "unique_fk",
        "models.UniqueConstraint(fields=('mentor', 'name'), name='lab_author_mentor_name_uniq')",
    ),
    (
        "unique_partial",
        "models.UniqueConstraint(condition=Q(('active', True)), fields=('nick',), name='lab_author_active_nick_uniq')",
    ),
    (
        "unique_deferrable",
        "models.UniqueConstraint(deferrable=models.Deferrable['DEFERRED'], fields=('handle',), name='lab_author_handle_deferred')",
    ),
    (
        "unique_include",
        "models.UniqueConstraint(fields=('site',), include=('name',), name='lab_author_site_inc')",
    ),
    (
        "unique_nulls",
        "models.UniqueConstraint(fields=('ref',), name='lab_author_ref_nnd', nulls_distinct=False)",
    ),
    (
        "unique_expression",
        "models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='lab_author_lower_name_uniq')",
    ),
    (
        "exclusion",
        "django.contrib.postgres.constraints.ExclusionConstraint(expressions=[('years', '&&')], name='lab_author_years_excl')",
    ),
]:
    case("lab", f"constraint_{name}", f"migrations.AddConstraint('author', {definition})")
case(
    "lab",
    "remove_constraint",
    "migrations.RemoveConstraint('author', 'lab_author_visits_positive')",
)
case(
    "lab",
    "remove_unique_constraint",
    "migrations.RemoveConstraint('author', 'lab_author_email_uniq')",
)
case(
    "lab",
    "constraint_not_valid",
    "django.contrib.postgres.operations.AddConstraintNotValid('author', models.CheckConstraint(condition=Q(('score__gte', 0)), name='lab_author_score_positive'))",
)
case(
    "lab",
    "validate_constraint",
    "django.contrib.postgres.operations.ValidateConstraint('author', 'lab_author_score_positive')",
)

# ---- models again -------------------------------------------------------------------------
case("lab", "rename_model", "migrations.RenameModel('Tiny', 'Little')")
case("lab", "rename_model_default_table", "migrations.RenameModel('Country', 'Nation')")
case("lab", "alter_model_table", "migrations.AlterModelTable('profile', 'lab_profiles')")
case("lab", "alter_model_table_none", "migrations.AlterModelTable('profile', None)")
case("lab", "table_comment", "migrations.AlterModelTableComment('profile', 'one per author')")
case("lab", "model_options", "migrations.AlterModelOptions('profile', {'verbose_name': 'profile'})")
case("lab", "model_managers", "migrations.AlterModelManagers('profile', [])")
case("lab", "order_with_respect_to", "migrations.AlterOrderWithRespectTo('city', 'country')")
case("lab", "delete_model", "migrations.DeleteModel('Token')")
case("lab", "delete_model_with_m2m", "migrations.DeleteModel('Shelf')")

# ---- raw SQL, Python, state --------------------------------------------------------------
case(
    "lab",
    "run_sql",
    "migrations.RunSQL('UPDATE lab_author SET visits = 0 WHERE visits IS NULL', migrations.RunSQL.noop)",
)
case(
    "lab",
    "run_sql_list",
    "migrations.RunSQL(['CREATE TABLE lab_raw (id int)', 'DROP TABLE lab_raw'])",
)
case(
    "lab",
    "run_sql_params",
    "migrations.RunSQL([('UPDATE lab_author SET email = %s WHERE name = %s', ['x', 'y'])])",
)
case(
    "lab",
    "run_sql_two_statements",
    "migrations.RunSQL('CREATE TABLE lab_raw2 (id int); DROP TABLE lab_raw2;')",
)
case(
    "lab",
    "run_python",
    "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)",
)
case(
    "lab",
    "separate_state",
    """
migrations.SeparateDatabaseAndState(
    database_operations=[migrations.RunSQL('ALTER TABLE lab_author ADD COLUMN ghost integer NULL')],
    state_operations=[migrations.AddField('author', 'ghost', models.IntegerField(null=True))],
)""",
)
case("lab", "extension", "django.contrib.postgres.operations.TrigramExtension()")
case("lab", "extension_btree_gin", "django.contrib.postgres.operations.BtreeGinExtension()")
case("lab", "extension_named", "django.contrib.postgres.operations.CreateExtension('citext')")
case("lab", "collation", "django.contrib.postgres.operations.CreateCollation('lab_c', locale='C')")

# ---- a second app, pointing at the first ----------------------------------------------------
case(
    "shelf",
    "initial",
    """
migrations.CreateModel(
    name="Loan",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("since", models.DateField()),
        ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="lab.author")),
        ("city", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="lab.city", related_name="loans")),
        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
    ],
)""",
)
case(
    "shelf",
    "m2m_through",
    """
migrations.CreateModel(
    name="Club",
    fields=[
        ("id", models.BigAutoField(primary_key=True, serialize=False)),
        ("members", models.ManyToManyField(related_name="clubs", to="lab.author", db_table="shelf_members")),
    ],
)""",
)
field("shelf", "loan", "due", "models.DateField(null=True)")
field("shelf", "loan", "note", "models.TextField(default='')")
case("shelf", "delete_loan", "migrations.DeleteModel('Loan')")


def write(root: Path) -> list[tuple[str, str]]:
    """The corpus as apps under `root`; returns (app, migration) in the order written."""
    numbers: dict[str, int] = {}
    previous: dict[str, str] = {}
    order = []
    for app, name, operations, atomic in CASES:
        folder = root / app / "migrations"
        if app not in numbers:
            folder.mkdir(parents=True)
            (root / app / "__init__.py").write_text("")
            (folder / "__init__.py").write_text("")
        numbers[app] = numbers.get(app, 0) + 1
        migration = f"{numbers[app]:04d}_{name}"
        if app in previous:
            dependencies = f"[({app!r}, {previous[app]!r})]"
        elif app == "lab":
            dependencies = (
                "[('contenttypes', '0002_remove_content_type_name'), ('auth', '0012_alter_user_first_name_max_length'), "
                "migrations.swappable_dependency(settings.AUTH_USER_MODEL)]"
            )
        else:
            dependencies = f"[('lab', {previous['lab']!r}), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]"
        body = "\n".join("        " + line for line in operations.splitlines())
        text = (
            HEADER
            + "\nclass Migration(migrations.Migration):\n"
            + ("    atomic = False\n" if not atomic else "")
            + f"    dependencies = {dependencies}\n"
            + "    operations = [\n"
            + body
            + ",\n    ]\n"
        )
        (folder / f"{migration}.py").write_text(text)
        previous[app] = migration
        order.append((app, migration))
    return order
