"""Row locks of the webhooks app, in one place. Each takes its lock in the caller's
transaction."""

from __future__ import annotations

from django.utils import timezone

from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def delivery_due_lock(*, vendor: Vendor, delivery_id: int) -> WebhookDelivery | None:
    """The delivery if it is due and no other worker holds it (``SKIP LOCKED``: a busy one is
    left to its worker, not waited for)."""
    return (
        WebhookDelivery.objects.for_vendor(vendor)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint", "event")
        .filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now(),
        )
        .first()
    )


def delivery_and_endpoint_lock(
    *, vendor: Vendor, delivery_id: int
) -> tuple[WebhookDelivery, WebhookEndpoint]:
    """A delivery and its endpoint, locked to record an attempt (the endpoint's failure count
    decides whether it is disabled)."""
    delivery = (
        WebhookDelivery.objects.for_vendor(vendor)
        .select_for_update()
        .select_related("endpoint")
        .get(pk=delivery_id)
    )
    endpoint = (
        WebhookEndpoint.objects.for_vendor(vendor).select_for_update().get(pk=delivery.endpoint_id)
    )
    return delivery, endpoint


def endpoints_lock_all() -> list[WebhookEndpoint]:
    """Every vendor's endpoint, locked to re-encrypt its secret: an operator's cross-tenant job,
    to be called inside ``rls_bypass()``."""
    return list(
        WebhookEndpoint.objects.unscoped().select_for_update().only("pk", "secret_encrypted")
    )
