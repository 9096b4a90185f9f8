from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY outside Django's transaction
    dependencies = [("shop", "0002_volatile_default_and_foreign_key")]
    operations = [
        AddIndexConcurrently("order", models.Index(fields=["total"], name="order_total")),
    ]
