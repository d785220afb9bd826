"""The event outbox: a domain event is recorded in the caller's transaction (one row, many rows,
or rows built by an ``INSERT … SELECT``) and fanned out to the webhook deliveries after commit,
only when an enabled endpoint listens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.models import (
    Event,
    WebhookEndpoint,
)


@dataclass(frozen=True)
class EventSpec:
    """One event for ``event_record_many``."""

    type: str
    data: dict[str, Any]
    actor_type: str = "system"
    actor_id: str = ""


def event_record(
    *,
    vendor: Vendor,
    type: str,
    data: dict[str, Any],
    actor_type: str = "system",
    actor_id: str = "",
) -> Event:
    """Record a domain event in the caller's transaction and deliver it after commit.

    Call it inside the service's ``transaction.atomic`` block: if the change rolls back, so
    does the event, and nothing is ever announced that did not happen. Once the transaction
    commits, the webhook fan-out task is enqueued (if the vendor has an enabled endpoint).
    """
    spec = EventSpec(type=type, data=data, actor_type=actor_type, actor_id=actor_id)
    return event_record_many(vendor=vendor, events=[spec])[0]


def event_record_many(*, vendor: Vendor, events: list[EventSpec]) -> list[Event]:
    """``event_record`` for bulk writes: one INSERT and one fan-out task for all of them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    if not events:
        return []
    rows = Event.objects.unscoped().bulk_create(
        [
            Event(
                vendor=vendor,
                public_id=Event.new_public_id(),
                type=spec.type,
                data=spec.data,
                actor_type=spec.actor_type,
                actor_id=spec.actor_id,
            )
            for spec in events
        ]
    )
    vendor_id, event_ids = vendor.pk, [row.pk for row in rows]
    transaction.on_commit(lambda: _fanout_enqueue(vendor_id=vendor_id, event_ids=event_ids))
    return rows


def event_record_select(*, vendor: Vendor, select_sql: str, params: dict[str, Any]) -> int:
    """``event_record`` for thousands of rows at once, built by the database: ``select_sql``
    yields ``(type, data)`` rows (``data`` a ``jsonb`` object rendered like the API, e.g. with
    ``jsonb_build_object``), and one ``INSERT … SELECT`` writes them to the outbox — no row
    travels to Python. Same guarantees as ``event_record``: in the caller's transaction, the
    fan-out enqueued after commit when an endpoint listens. Returns how many were recorded."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    sql = f"""
    INSERT INTO webhooks_event (vendor_id, public_id, created_at, updated_at, type, data,
      actor_type, actor_id)
    SELECT %(_vendor)s, 'evt_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 22),
           now(), now(), s.type, s.data, 'system', ''
    FROM ({select_sql}) AS s(type, data)
    RETURNING id
    """  # noqa: S608 -- select_sql is code, values are bound
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, {**params, "_vendor": vendor.pk})
        event_ids = [row[0] for row in cursor.fetchall()]
    if event_ids:
        vendor_id = vendor.pk
        transaction.on_commit(lambda: _fanout_enqueue(vendor_id=vendor_id, event_ids=event_ids))
    return len(event_ids)


def _fanout_enqueue(*, vendor_id: int, event_ids: list[int]) -> None:
    # Most vendors have no webhooks: do not put a task on the broker for every change.
    if not WebhookEndpoint.objects.for_vendor(vendor_id).filter(enabled=True).exists():
        return
    from partnerhub.webhooks.tasks import webhook_event_fanout_task

    webhook_event_fanout_task.delay(vendor_id, event_ids)  # type: ignore[arg-type]
