"""The reference endpoints' inbox: what a minimal store-and-acknowledge webhook writes."""

from django.db import models


class RefEvent(models.Model):
    key = models.CharField(max_length=255, unique=True)
    payload = models.JSONField()
    response = models.JSONField(null=True)
    received_at = models.DateTimeField()

    class Meta:
        db_table = "bench_ref_events"

    def __str__(self) -> str:
        return self.key
