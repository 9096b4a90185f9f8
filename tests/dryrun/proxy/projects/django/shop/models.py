from django.db import models


class Account(models.Model):
    name = models.TextField()
    created = models.DateTimeField(
        db_default=models.Func(function="clock_timestamp", output_field=models.DateTimeField())
    )


class Order(models.Model):
    account = models.ForeignKey(Account, null=True, on_delete=models.CASCADE)
    total = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["total"], name="order_total")]
