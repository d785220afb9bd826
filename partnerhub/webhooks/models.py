from __future__ import annotations

from django.db import models

from partnerhub.tenancy.models import TenantModel, vendor_public_id_constraint


class Event(TenantModel):
    """One domain change an integrator cares about, written in the same transaction as the
    change itself (the outbox). Deliveries to webhook endpoints are made from these rows."""

    type = models.CharField(max_length=64)  # e.g. "partnership.stage_changed"
    data = models.JSONField()  # the object as the API renders it, plus change details
    actor_type = models.CharField(max_length=16, blank=True)  # user, api_key, rule, system
    actor_id = models.CharField(max_length=40, blank=True)

    public_id_prefix = "evt"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "type", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} ({self.public_id})"
