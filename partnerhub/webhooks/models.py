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


class WebhookEndpoint(TenantModel):
    """A URL of the vendor's that receives signed events of the subscribed types.

    The secret signs every delivery (Standard Webhooks, HMAC-SHA256). It has to be kept in a
    form we can sign with, so it is stored encrypted (``partnerhub.webhooks.crypto``); it is
    shown once, on creation and on rotation, and never readable through the API afterwards.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)  # ["partnership.created", …] or ["*"]
    secret_encrypted = models.TextField()  # Fernet token of the whsec_… secret
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    public_id_prefix = "we"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "enabled"], name="webhooks_endpoint_enabled_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def signing_secret(self) -> str:
        from partnerhub.webhooks.crypto import secret_decrypt

        return secret_decrypt(self.secret_encrypted)

    def subscribes_to(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first or next attempt
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # gave up: retries exhausted, 410 Gone, or endpoint disabled


class WebhookDelivery(TenantModel):
    """One event to one endpoint: its current status and when it is next tried."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "whd"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "endpoint", "event"], name="webhooks_delivery_endpoint_event_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["vendor", "endpoint", "created_at"], name="webhooks_delivery_ep_idx"
            ),
            # The due-retry sweep: pending deliveries by due time, across vendors.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.public_id} ({self.status})"


class WebhookDeliveryAttempt(TenantModel):
    """One HTTP request of a delivery: the log line shown in the dashboard."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)
    response_body = models.CharField(max_length=1000, blank=True)  # first 1000 characters
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "wha"

    class Meta(TenantModel.Meta):
        ordering = ["delivery", "number"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "delivery", "number"],
                name="webhooks_attempt_delivery_number_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
