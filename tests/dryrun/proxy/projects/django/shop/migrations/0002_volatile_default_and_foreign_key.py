from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        # A volatile default: the table is rewritten.
        migrations.AddField(
            model_name="account",
            name="created",
            field=models.DateTimeField(
                db_default=models.Func(function="clock_timestamp", output_field=models.DateTimeField())
            ),
        ),
        # A foreign key: validated against both tables.
        migrations.AddField(
            model_name="order",
            name="account",
            field=models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.account"),
        ),
    ]
