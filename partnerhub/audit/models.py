from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerhub.tenancy.models import TenantModel, vendor_public_id_constraint


class AuditEntry(TenantModel):
    """Who changed what, when, from what to what: money (plans, commission status, payouts),
    roles and API keys. Append-only: the application never updates or deletes a row."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)  # "owner@acme.example", "api key phk_ab…"
    # core.Actor's kind and id: "user" + usr_…, "api_key" + key_…, "rule" + its name, "system".
    # A database default too, for the set-based writers that INSERT … SELECT audit rows.
    actor_type = models.CharField(max_length=16, blank=True, default="", db_default="")
    actor_id = models.CharField(max_length=40, blank=True, default="", db_default="")
    action = models.CharField(max_length=64)  # e.g. "membership.role_changed"
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    public_id_prefix = "aud"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [
            models.Index(fields=["vendor", "target_type", "target_id"]),
            # The audit page lists a vendor's entries newest first.
            models.Index(fields=["vendor", "-created_at"], name="audit_vendor_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type} {self.target_id} by {self.actor_label}"
