"""Webhook endpoints: create (the signing secret shown once), update, rotate the secret,
delete, and disable after failures (the vendor's admins get an e-mail)."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor
from partnerhub.webhooks.crypto import secret_encrypt
from partnerhub.webhooks.models import (
    WebhookEndpoint,
)
from partnerhub.webhooks.ssrf import BlockedTarget, check_url

EVENT_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
MAX_EVENT_TYPES = 100


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
    endpoint = vendor_object_get(WebhookEndpoint, vendor=vendor, public_id=endpoint_id, lock=True)
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
    endpoint = vendor_object_get(WebhookEndpoint, vendor=vendor, public_id=endpoint_id, lock=True)
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
    endpoint = vendor_object_get(WebhookEndpoint, vendor=vendor, public_id=endpoint_id, lock=True)
    change_record(
        vendor=vendor,
        actor=actor,
        action="webhook_endpoint.deleted",
        target_type="webhook_endpoint",
        target_id=endpoint.public_id,
        before={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    endpoint.delete()


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
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
