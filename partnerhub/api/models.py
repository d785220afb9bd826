from __future__ import annotations

from django.conf import settings
from django.db import models

from partnerhub.tenancy.models import Role, TenantModel, vendor_public_id_constraint


class APIKey(TenantModel):
    """A vendor's secret for the integrator API. The secret is shown once and stored as a
    SHA-256 hash (keys are 190+ random bits, so a slow hash adds nothing); ``prefix`` is the
    public part that identifies a key in lists and logs."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(
        max_length=16,
        choices=[(r.value, r.label) for r in Role if r != Role.OWNER],
        default=Role.ADMIN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    public_id_prefix = "key"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
