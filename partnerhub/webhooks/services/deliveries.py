"""Webhook deliveries, per the Standard Webhooks spec (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``, signed with the ``standardwebhooks``
package). Each event goes to each subscribed, enabled endpoint as one ``WebhookDelivery``;
each HTTP request is a ``WebhookDeliveryAttempt``. Failed attempts are retried on
``RETRY_SCHEDULE`` (about three days), ``410 Gone`` disables the endpoint at once, and
``WEBHOOK_DISABLE_AFTER_FAILURES`` failures in a row disable it too."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.crypto import secret_decrypt
from partnerhub.webhooks.locks import delivery_and_endpoint_lock, delivery_due_lock
from partnerhub.webhooks.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from partnerhub.webhooks.services.endpoints import endpoint_disable
from partnerhub.webhooks.ssrf import BlockedTarget, guarded_session

# Waits after attempt 1, 2, …; the last retry comes about three days after the event.
RETRY_SCHEDULE: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=14),
    dt.timedelta(hours=20),
    dt.timedelta(hours=20),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# While an attempt is in flight its delivery is leased: not due again until this has passed
# (so a worker that died mid-request is retried, and a live one is not overtaken).
ATTEMPT_LEASE = dt.timedelta(minutes=2)


# --- deliveries -------------------------------------------------------------------------


@transaction.atomic
def webhook_deliveries_create(*, vendor: Vendor, event_ids: list[int]) -> list[int]:
    """One pending delivery per event and enabled endpoint subscribed to its type.

    Re-run safe: deliveries are unique per (vendor, endpoint, event). Returns the ids of the
    deliveries that are due now.
    """
    events = list(Event.objects.for_vendor(vendor).filter(pk__in=event_ids))
    types = sorted({event.type for event in events})
    if not types:
        return []
    subscribed = Q(event_types__contains=["*"])
    for event_type in types:
        subscribed |= Q(event_types__contains=[event_type])
    endpoints = list(WebhookEndpoint.objects.for_vendor(vendor).filter(subscribed, enabled=True))
    now = timezone.now()
    WebhookDelivery.objects.unscoped().bulk_create(
        [
            WebhookDelivery(
                vendor=vendor,
                public_id=WebhookDelivery.new_public_id(),
                endpoint=endpoint,
                event=event,
                next_attempt_at=now,
            )
            for event in events
            for endpoint in endpoints
            if endpoint.subscribes_to(event.type)
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.for_vendor(vendor)
        .filter(event_id__in=event_ids, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("event_id", "pk")
        .values_list("pk", flat=True)
    )


def webhook_payload(event: Event) -> str:
    """The body every endpoint receives for ``event`` (the same bytes on every retry)."""
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.type,
            "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def webhook_sign(*, secret: str, msg_id: str, timestamp: dt.datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one request."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body),
    }


@dataclass(frozen=True)
class _HTTPResult:
    status: int | None
    body: str
    error: str
    duration_ms: int


def _post(*, url: str, body: str, headers: dict[str, str]) -> _HTTPResult:
    started = time.monotonic()
    try:
        with guarded_session() as session:
            response = session.post(
                url,
                data=body.encode(),
                headers={
                    **headers,
                    "content-type": "application/json",
                    "user-agent": "PartnerHub-Webhooks/1.0",
                },
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
            )
            # Read at most 1 kB of the answer: a receiver cannot make us download a file.
            text = response.raw.read(1000, decode_content=True).decode("utf-8", "replace")
            response.close()
            status: int | None = response.status_code
            error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except BlockedTarget as exc:
        status, text, error = None, "", f"Blocked: {exc}"
    except requests.Timeout:
        status, text, error = None, "", "Timed out"
    except requests.RequestException as exc:
        status, text, error = None, "", f"Connection failed: {type(exc).__name__}"
    duration = int((time.monotonic() - started) * 1000)
    return _HTTPResult(status=status, body=text, error=error[:300], duration_ms=duration)


def _delivery_lease(*, vendor: Vendor, delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery if it is due, and lease it for the attempt (committed at once)."""
    with transaction.atomic():
        delivery = delivery_due_lock(vendor=vendor, delivery_id=delivery_id)
        if delivery is None:
            return None
        if not delivery.endpoint.enabled:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = "Endpoint disabled"
            delivery.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
            return None
        delivery.next_attempt_at = timezone.now() + ATTEMPT_LEASE
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
        return delivery


def webhook_delivery_attempt(*, vendor: Vendor, delivery_id: int) -> WebhookDeliveryAttempt | None:
    """Make the next HTTP attempt of a due delivery and log it.

    Guarantees: at most one worker attempts a delivery at a time (row lock and lease); the
    attempt is logged with its status code, duration and number; success ends the delivery;
    a failure schedules the next retry or gives up after ``MAX_ATTEMPTS``; ``410 Gone`` and
    too many failures in a row disable the endpoint. Not due, already done or unknown
    deliveries are a no-op (returns None), so re-running the task is harmless.
    """
    delivery = _delivery_lease(vendor=vendor, delivery_id=delivery_id)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    body = webhook_payload(event)
    headers = webhook_sign(
        secret=secret_decrypt(endpoint.secret_encrypted),
        msg_id=event.public_id,
        timestamp=timezone.now(),
        body=body,
    )
    result = _post(url=endpoint.url, body=body, headers=headers)
    return _attempt_record(vendor=vendor, delivery_id=delivery.pk, result=result)


@transaction.atomic
def _attempt_record(
    *, vendor: Vendor, delivery_id: int, result: _HTTPResult
) -> WebhookDeliveryAttempt:
    delivery, endpoint = delivery_and_endpoint_lock(vendor=vendor, delivery_id=delivery_id)
    now = timezone.now()
    succeeded = result.status is not None and 200 <= result.status < 300
    delivery.attempt_count += 1
    delivery.last_response_status = result.status
    delivery.last_duration_ms = result.duration_ms
    delivery.last_error = result.error
    next_attempt_at = None
    if succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        endpoint.consecutive_failures = 0
    else:
        endpoint.consecutive_failures += 1
        retries_done = delivery.attempt_count - 1
        if result.status == 410:
            delivery.status = DeliveryStatus.FAILED
            if endpoint.enabled:
                endpoint_disable(endpoint=endpoint, reason="The endpoint answered 410 Gone.")
        elif retries_done < len(RETRY_SCHEDULE):
            next_attempt_at = now + RETRY_SCHEDULE[retries_done]
        else:
            delivery.status = DeliveryStatus.FAILED
        if (
            endpoint.enabled
            and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        ):
            endpoint_disable(
                endpoint=endpoint,
                reason=f"{endpoint.consecutive_failures} deliveries failed in a row.",
            )
    delivery.next_attempt_at = next_attempt_at
    delivery.save()
    endpoint.save(update_fields=["consecutive_failures", "updated_at"])
    return WebhookDeliveryAttempt.objects.for_vendor(vendor).create(
        vendor=vendor,
        delivery=delivery,
        number=delivery.attempt_count,
        succeeded=succeeded,
        response_status=result.status,
        duration_ms=result.duration_ms,
        error=result.error,
        response_body=result.body[:1000],
        next_attempt_at=next_attempt_at,
    )


@transaction.atomic
def webhook_delivery_resend(*, vendor: Vendor, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now, whatever its status (the receiver deduplicates on
    ``webhook-id``). The endpoint must be enabled."""
    delivery = vendor_object_get(
        WebhookDelivery, vendor=vendor, public_id=delivery_id, lock=True, related=("endpoint",)
    )
    if not delivery.endpoint.enabled:
        raise ValidationError("Enable the endpoint before resending its deliveries.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    change_record(
        vendor=vendor,
        actor=actor,
        action="webhook_delivery.resent",
        target_type="webhook_delivery",
        target_id=delivery.public_id,
    )
    from partnerhub.webhooks.tasks import webhook_delivery_attempt_task

    vendor_id, pk = vendor.pk, delivery.pk
    transaction.on_commit(lambda: webhook_delivery_attempt_task.delay(vendor_id, pk))  # type: ignore[arg-type]
    return delivery


def webhook_deliveries_due(
    *, now: dt.datetime | None = None, limit: int = 1000
) -> list[tuple[int, int]]:
    """(vendor_id, delivery_id) of pending deliveries whose next attempt is due."""
    # Cross-tenant on purpose: the retry sweep serves every vendor; each attempt then runs
    # in its own vendor's scope.
    return list(
        WebhookDelivery.objects.unscoped()
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now())
        .order_by("next_attempt_at")
        .values_list("vendor_id", "pk")[:limit]
    )
