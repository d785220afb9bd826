"""Celery entry points of the journey. Each takes ``vendor_id`` first, runs in the vendor's
scope and is re-run safe (evaluation moves only what still needs moving; the digest is sent
once per vendor and day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.utils import timezone

from journey.selectors import at_risk_partnerships, slipping_partnerships
from journey.services.evaluation import journey_evaluate
from journey.services.nudges import risk_digest_send
from partnerhub.tenancy.models import Vendor
from partnerhub.tenancy.tasks import vendor_task


@shared_task(name="journey.tasks.journey_evaluate_vendor_task", acks_late=True)
@vendor_task
def journey_evaluate_vendor_task(vendor: Vendor) -> dict[str, int]:
    """Evaluate every partnership of the vendor (set-based, one transaction). ``acks_late``:
    a worker killed midway leaves the message to be redelivered, and the rerun is harmless."""
    result = journey_evaluate(vendor=vendor)
    return {"planned": result.planned, "moved": result.moved}


@shared_task(name="journey.tasks.journey_evaluate_partnership_task", acks_late=True)
@vendor_task
def journey_evaluate_partnership_task(vendor: Vendor, partnership_id: int) -> int:
    """Evaluate one partnership now (after an approval, a certification or a commission)."""
    return journey_evaluate(vendor=vendor, partnership_ids=[partnership_id]).moved


@shared_task(name="journey.tasks.journey_evaluate_fanout_task")
def journey_evaluate_fanout_task() -> int:
    """Beat: one evaluation task per vendor, so many workers share the work."""
    vendor_ids = list(Vendor.objects.values_list("pk", flat=True))
    for vendor_id in vendor_ids:
        journey_evaluate_vendor_task.delay(vendor_id)  # type: ignore[arg-type]
    return len(vendor_ids)


@shared_task(name="journey.tasks.journey_risk_digest_task")
@vendor_task
def journey_risk_digest_task(vendor: Vendor, day: str | None = None) -> dict[str, Any]:
    at_risk = at_risk_partnerships(vendor=vendor)
    slipping = slipping_partnerships(vendor=vendor)
    digest = risk_digest_send(
        vendor=vendor,
        day=timezone.localdate() if day is None else dt.date.fromisoformat(day),
        at_risk=list(at_risk[:20]),
        slipping=list(slipping[:20]) if slipping is not None else [],
        at_risk_count=at_risk.count(),
        slipping_count=slipping.count() if slipping is not None else 0,
    )
    return {"sent": digest is not None}


@shared_task(name="journey.tasks.journey_risk_digest_fanout_task")
def journey_risk_digest_fanout_task() -> int:
    vendor_ids = list(Vendor.objects.values_list("pk", flat=True))
    day = timezone.localdate().isoformat()
    for vendor_id in vendor_ids:
        journey_risk_digest_task.delay(vendor_id, day)  # type: ignore[arg-type]
    return len(vendor_ids)
