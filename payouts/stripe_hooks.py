"""Inbound Stripe webhooks: ``invoice.paid`` and ``charge.refunded`` become revenue events.

The endpoint ``/hooks/stripe/<integration public id>/`` is public (Stripe calls it); every
request must carry a valid ``Stripe-Signature`` made with the integration's signing secret
(checked by the ``stripe`` SDK, with its 5-minute replay tolerance). Stripe retries and
re-sends are harmless: events are unique per external id (the invoice or refund id), and a
``charge.refunded`` carries every refund so far, each stored once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import stripe
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payouts.models import BillingIntegration
from payouts.services import revenue_events_ingest


def _when(ts: Any) -> str:
    return dt.datetime.fromtimestamp(int(ts), tz=dt.UTC).isoformat()


def stripe_event_items(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The revenue event items a Stripe event stands for (empty for other types)."""
    obj = event.get("data", {}).get("object", {})
    if event.get("type") == "invoice.paid":
        item: dict[str, Any] = {
            "external_id": obj["id"],
            "kind": "invoice_paid",
            "customer": obj.get("customer"),
            "amount": obj.get("amount_paid"),
            "currency": str(obj.get("currency", "")).upper(),
            "occurred_at": _when(
                (obj.get("status_transitions") or {}).get("paid_at") or obj.get("created")
            ),
        }
        lines = (obj.get("lines") or {}).get("data") or []
        period = lines[0].get("period") if lines else None
        if period and period.get("start") and period.get("end"):
            item["period_start"] = _when(period["start"])[:10]
            item["period_end"] = _when(period["end"])[:10]
        return [item]
    if event.get("type") == "charge.refunded":
        return [
            {
                "external_id": refund["id"],
                "kind": "refund",
                "customer": obj.get("customer"),
                "amount": refund.get("amount"),
                "currency": str(refund.get("currency", obj.get("currency", ""))).upper(),
                "occurred_at": _when(refund.get("created") or obj.get("created")),
                "refunds": obj.get("invoice"),
            }
            for refund in (obj.get("refunds") or {}).get("data") or []
        ]
    return []


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, integration_id: str) -> HttpResponse:
    # Cross-tenant lookup on purpose: the unguessable id in the URL names the vendor, and the
    # signature below proves the caller holds that vendor's secret.
    integration = (
        BillingIntegration.objects.unscoped()
        .select_related("vendor")
        .filter(public_id=integration_id, is_active=True)
        .first()
    )
    if integration is None:
        return JsonResponse({"error": "unknown endpoint"}, status=404)
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), integration.webhook_secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        return JsonResponse({"error": "invalid signature"}, status=400)
    items = stripe_event_items(event.to_dict())
    report = revenue_events_ingest(vendor=integration.vendor, items=items, source="stripe")
    BillingIntegration.objects.for_vendor(integration.vendor).filter(pk=integration.pk).update(
        last_received_at=timezone.now()
    )
    return JsonResponse({"results": [r.as_dict() for r in report.results]})
