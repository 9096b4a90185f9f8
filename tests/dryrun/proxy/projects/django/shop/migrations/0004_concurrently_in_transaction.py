from django.db import migrations


class Migration(migrations.Migration):
    # Left in Django's transaction: Postgres refuses it.
    dependencies = [("shop", "0003_index_concurrently")]
    operations = [
        migrations.RunSQL("CREATE INDEX CONCURRENTLY account_name ON shop_account (name)"),
    ]
