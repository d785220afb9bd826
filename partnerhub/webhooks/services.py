"""Writes to the event outbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.models import Event


def event_record(
    *,
    vendor: Vendor,
    type: str,
    data: dict[str, Any],
    actor_type: str = "system",
    actor_id: str = "",
) -> Event:
    """Record a domain event in the caller's transaction.

    Call it inside the service's ``transaction.atomic`` block: if the change rolls back, so
    does the event, and nothing is ever announced that did not happen.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    return Event.objects.for_vendor(vendor).create(
        vendor=vendor, type=type, data=data, actor_type=actor_type, actor_id=actor_id
    )
