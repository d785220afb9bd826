"""Inbound Stripe webhooks: ``invoice.paid`` and ``charge.refunded`` become revenue events;
``customer.subscription.deleted`` churns the paying customer (``customer_churn``).

The endpoint ``/hooks/stripe/<integration public id>/`` is public (Stripe calls it); every
request must carry a valid ``Stripe-Signature`` made with the integration's signing secret
(checked by the ``stripe`` SDK, with its 5-minute replay tolerance). Stripe retries and
re-sends are harmless: events are unique per external id (the invoice or refund id), a
``charge.refunded`` carries every refund so far, each stored once, and churning a churned
customer changes nothing. A customer with several subscriptions churns when one ends; its
next paid invoice makes it paying again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import stripe
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from payouts.models import BillingIntegration, Customer
from payouts.services.customers import customer_churn
from payouts.services.revenue import revenue_events_ingest


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
    data = event.to_dict()
    if data.get("type") == "customer.subscription.deleted":
        results = [_subscription_deleted(integration.vendor, data)]
    else:
        items = stripe_event_items(data)
        report = revenue_events_ingest(vendor=integration.vendor, items=items, source="stripe")
        results = [r.as_dict() for r in report.results]
    BillingIntegration.objects.for_vendor(integration.vendor).filter(pk=integration.pk).update(
        last_received_at=timezone.now()
    )
    return JsonResponse({"results": results})


def _subscription_deleted(vendor: Vendor, event: dict[str, Any]) -> dict[str, Any]:
    """Churn the paying customer whose subscription ended, at its ``ended_at``. A customer
    we do not know, or one that never paid, is left alone (Stripe must not retry it)."""
    obj = event.get("data", {}).get("object", {})
    external_id = str(obj.get("customer") or "")
    customer = Customer.objects.for_vendor(vendor).filter(external_id=external_id).first()
    if customer is None or customer.status == Customer.Status.LEAD:
        return {"outcome": "ignored", "customer": external_id}
    try:
        ended = dt.datetime.fromtimestamp(
            int(obj.get("ended_at") or obj.get("canceled_at") or event["created"]), tz=dt.UTC
        )
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        ended = timezone.now()
    # Stripe's clock and ours differ by seconds; a subscription cannot end before the
    # customer's first payment we recorded.
    ended = min(ended, timezone.now())
    if customer.first_paid_at:
        ended = max(ended, customer.first_paid_at)
    churned, changed = customer_churn(
        vendor=vendor, customer_id=customer.public_id, at=ended, actor=Actor.system("stripe")
    )
    return {
        "outcome": "churned" if changed else "duplicate",
        "customer": external_id,
        "id": churned.public_id,
    }
