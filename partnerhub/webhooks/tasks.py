"""Celery entry points of webhook delivery. All take ids and are re-run safe."""

from __future__ import annotations

from celery import shared_task

from partnerhub.tenancy.models import Vendor
from partnerhub.tenancy.tasks import vendor_task
from partnerhub.webhooks.services.deliveries import (
    webhook_deliveries_create,
    webhook_deliveries_due,
    webhook_delivery_attempt,
)


@shared_task(name="partnerhub.webhooks.tasks.webhook_event_fanout_task")
@vendor_task
def webhook_event_fanout_task(vendor: Vendor, event_ids: list[int]) -> int:
    """After events commit: create their deliveries and attempt each one."""
    due = webhook_deliveries_create(vendor=vendor, event_ids=event_ids)
    for delivery_id in due:
        webhook_delivery_attempt_task.delay(vendor.pk, delivery_id)  # type: ignore[arg-type]
    return len(due)


@shared_task(name="partnerhub.webhooks.tasks.webhook_delivery_attempt_task")
@vendor_task
def webhook_delivery_attempt_task(vendor: Vendor, delivery_id: int) -> int | None:
    attempt = webhook_delivery_attempt(vendor=vendor, delivery_id=delivery_id)
    return attempt.response_status if attempt else None


@shared_task(name="partnerhub.webhooks.tasks.webhook_deliveries_due_task")
def webhook_deliveries_due_task() -> int:
    """Every 30 seconds (beat): attempt the retries that are due."""
    due = webhook_deliveries_due()
    for vendor_id, delivery_id in due:
        webhook_delivery_attempt_task.delay(vendor_id, delivery_id)  # type: ignore[arg-type]
    return len(due)
