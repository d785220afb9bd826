"""Reads of the webhooks app."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.models import (
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)


def webhook_endpoint_list(*, vendor: Vendor) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_vendor(vendor)


def webhook_delivery_list(
    *, vendor: Vendor, endpoint: WebhookEndpoint | None = None, status: str = ""
) -> QuerySet[WebhookDelivery]:
    """Deliveries with their event, endpoint and attempts (three queries for a page)."""
    deliveries = (
        WebhookDelivery.objects.for_vendor(vendor)
        .select_related("event", "endpoint")
        .prefetch_related(
            Prefetch(
                "attempts",
                queryset=WebhookDeliveryAttempt.objects.for_vendor(vendor).order_by("number"),
            )
        )
    )
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries
