from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.TextField()),
            ],
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("total", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunSQL("INSERT INTO shop_account (name) VALUES ('a')"),
        migrations.RunSQL("INSERT INTO shop_order (total) VALUES (1)"),
    ]
