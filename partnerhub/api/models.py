from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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


class VendorAPISettings(TenantModel):
    """Per-vendor API limits. A vendor without a row gets the platform defaults
    (``settings.API_RATE_LIMIT_PER_MINUTE``); support raises or lowers them per vendor."""

    requests_per_minute = models.PositiveIntegerField(
        help_text="Requests (bulk items count one each) per API key per minute."
    )

    public_id_prefix = "aps"

    class Meta(TenantModel.Meta):
        verbose_name = "vendor API settings"
        verbose_name_plural = "vendor API settings"
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(fields=["vendor"], name="api_vendorapisettings_vendor_uniq"),
        ]

    def __str__(self) -> str:
        return f"API settings of vendor {self.vendor_id}"


class IdempotencyRecord(TenantModel):
    """The first response to a POST carrying ``Idempotency-Key``, kept for replays.

    The row is inserted in the same transaction as the request's own writes, so a concurrent
    request with the same key blocks on the unique index until the first one commits (then
    replays it) or rolls back (then executes itself): one key, one execution.
    """

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    expires_at = models.DateTimeField()

    public_id_prefix = "idk"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "key"], name="api_idempotency_vendor_key_uniq"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="api_idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"idempotency key {self.key}"
