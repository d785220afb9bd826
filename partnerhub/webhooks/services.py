"""Writes of the webhooks app: the event outbox, endpoints, and deliveries.

Delivery follows the Standard Webhooks spec (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``, signed with the ``standardwebhooks``
package). Each event goes to each subscribed, enabled endpoint as one ``WebhookDelivery``;
each HTTP request is a ``WebhookDeliveryAttempt``. Failed attempts are retried on
``RETRY_SCHEDULE`` (about three days), ``410 Gone`` disables the endpoint at once, and
``WEBHOOK_DISABLE_AFTER_FAILURES`` failures in a row disable it too; the vendor's admins get
an e-mail either way.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from standardwebhooks import Webhook

from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor
from partnerhub.webhooks.crypto import secret_decrypt, secret_encrypt
from partnerhub.webhooks.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from partnerhub.webhooks.ssrf import BlockedTarget, check_url, guarded_session

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
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
MAX_EVENT_TYPES = 100


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


# --- endpoints --------------------------------------------------------------------------


def webhook_secret_generate() -> str:
    """``whsec_`` + base64 of 24 random bytes, the format ``standardwebhooks`` accepts."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _clean_event_types(event_types: list[str]) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise ValidationError(
            {"event_types": 'List at least one event type, e.g. ["partnership.created"], or "*".'}
        )
    if len(event_types) > MAX_EVENT_TYPES:
        raise ValidationError({"event_types": f"At most {MAX_EVENT_TYPES} event types."})
    cleaned = []
    for value in event_types:
        if not isinstance(value, str) or not (value == "*" or EVENT_TYPE_RE.match(value)):
            raise ValidationError(
                {"event_types": f"{value!r} is not an event type like partnership.created."}
            )
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _clean_url(url: str) -> str:
    try:
        check_url(url)
    except BlockedTarget as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url


@dataclass(frozen=True)
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # returned to the caller once


@transaction.atomic
def webhook_endpoint_create(
    *,
    vendor: Vendor,
    url: str,
    event_types: list[str],
    description: str = "",
    enabled: bool = True,
    actor: Actor,
) -> CreatedWebhookEndpoint:
    """Create an endpoint with a fresh signing secret (returned once)."""
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).create(
        vendor=vendor,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=description,
        enabled=enabled,
        secret_encrypted=secret_encrypt(secret := webhook_secret_generate()),
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="webhook_endpoint.created",
        target_type="webhook_endpoint",
        target_id=endpoint.public_id,
        after={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return CreatedWebhookEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_update(
    *,
    vendor: Vendor,
    endpoint_id: str,
    actor: Actor,
    **changes: Any,
) -> WebhookEndpoint:
    """Change url, event types, description or enabled. Re-enabling clears the failure
    count, and pending deliveries of the endpoint go out again."""
    endpoint = get_object_or_404(
        WebhookEndpoint.objects.for_vendor(vendor).select_for_update(), public_id=endpoint_id
    )
    before = {"url": endpoint.url, "event_types": endpoint.event_types, "enabled": endpoint.enabled}
    if "url" in changes:
        endpoint.url = _clean_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = _clean_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = bool(changes["enabled"])
        if endpoint.enabled:
            endpoint.consecutive_failures = 0
            endpoint.disabled_reason = ""
            endpoint.disabled_at = None
        else:
            endpoint.disabled_reason = "Disabled by a user."
            endpoint.disabled_at = timezone.now()
    endpoint.save()
    after = {"url": endpoint.url, "event_types": endpoint.event_types, "enabled": endpoint.enabled}
    if before != after:
        change_record(
            vendor=vendor,
            actor=actor,
            action="webhook_endpoint.updated",
            target_type="webhook_endpoint",
            target_id=endpoint.public_id,
            before=before,
            after=after,
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_secret_rotate(
    *, vendor: Vendor, endpoint_id: str, actor: Actor
) -> CreatedWebhookEndpoint:
    """Replace the endpoint's signing secret with a fresh one (returned once). Deliveries
    signed from now on use the new secret only; the old one stops verifying at once."""
    endpoint = get_object_or_404(
        WebhookEndpoint.objects.for_vendor(vendor).select_for_update(), public_id=endpoint_id
    )
    endpoint.secret_encrypted = secret_encrypt(secret := webhook_secret_generate())
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    change_record(
        vendor=vendor,
        actor=actor,
        action="webhook_endpoint.secret_rotated",
        target_type="webhook_endpoint",
        target_id=endpoint.public_id,
    )
    return CreatedWebhookEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_delete(*, vendor: Vendor, endpoint_id: str, actor: Actor) -> None:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    endpoint = get_object_or_404(
        WebhookEndpoint.objects.for_vendor(vendor).select_for_update(), public_id=endpoint_id
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="webhook_endpoint.deleted",
        target_type="webhook_endpoint",
        target_id=endpoint.public_id,
        before={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    endpoint.delete()


def _endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable a locked endpoint and tell the vendor's admins (after commit)."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:200]
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])
    change_record(
        vendor=endpoint.vendor,
        actor=Actor.system("webhook worker"),
        action="webhook_endpoint.disabled",
        target_type="webhook_endpoint",
        target_id=endpoint.public_id,
        before={"enabled": True},
        after={"enabled": False},
        reason=reason,
    )
    recipients = list(
        Membership.objects.for_vendor(endpoint.vendor)
        .filter(role__in=[Role.OWNER, Role.ADMIN])
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    body = render_to_string(
        "webhooks/email/endpoint_disabled.txt",
        {"endpoint": endpoint, "vendor": endpoint.vendor, "reason": reason},
    )
    subject = f"[PartnerHub] Webhook endpoint disabled: {endpoint.url}"[:200]
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


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
        delivery = (
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
    delivery = (
        WebhookDelivery.objects.for_vendor(vendor)
        .select_for_update()
        .select_related("endpoint")
        .get(pk=delivery_id)
    )
    endpoint = (
        WebhookEndpoint.objects.for_vendor(vendor).select_for_update().get(pk=delivery.endpoint_id)
    )
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
                _endpoint_disable(endpoint=endpoint, reason="The endpoint answered 410 Gone.")
        elif retries_done < len(RETRY_SCHEDULE):
            next_attempt_at = now + RETRY_SCHEDULE[retries_done]
        else:
            delivery.status = DeliveryStatus.FAILED
        if (
            endpoint.enabled
            and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        ):
            _endpoint_disable(
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
    delivery = get_object_or_404(
        WebhookDelivery.objects.for_vendor(vendor).select_for_update().select_related("endpoint"),
        public_id=delivery_id,
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
