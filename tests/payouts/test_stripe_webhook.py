"""The Stripe-format webhook receiver: signature checked, invoice.paid and charge.refunded
stored once as revenue events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from payouts.models import Commission, RevenueEvent
from tests.factories import (
    BillingIntegrationFactory,
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db

PAID_AT = 1767614400  # 2026-01-05T12:00:00Z


def _post(integration, event, secret=None):
    body = json.dumps(event)
    ts = int(time.time())
    key = (secret or integration.webhook_secret).encode()
    sig = hmac.new(key, f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return Client().post(
        f"/hooks/stripe/{integration.public_id}/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": f"t={ts},v1={sig}"},
    )


def _invoice_paid():
    return {
        "id": "evt_1",
        "object": "event",
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": "in_1",
                "object": "invoice",
                "customer": "cus_STRIPE1",
                "amount_paid": 25000,
                "currency": "usd",
                "created": PAID_AT,
                "status_transitions": {"paid_at": PAID_AT},
                "lines": {"data": [{"period": {"start": PAID_AT, "end": PAID_AT + 31 * 86400}}]},
            }
        },
    }


def _charge_refunded():
    return {
        "id": "evt_2",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "customer": "cus_STRIPE1",
                "invoice": "in_1",
                "currency": "usd",
                "created": PAID_AT,
                "refunds": {
                    "data": [
                        {"id": "re_1", "amount": 12500, "currency": "usd", "created": PAID_AT + 60}
                    ]
                },
            }
        },
    }


@pytest.fixture
def integration(vendor):
    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program, rate="0.150000")
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="cus_STRIPE1")
    return BillingIntegrationFactory(vendor=vendor)


def test_invoice_paid_then_refund_create_events_and_commissions_once(vendor, integration):
    assert _post(integration, _invoice_paid()).status_code == 200
    assert _post(integration, _invoice_paid()).json()["results"][0]["outcome"] == "duplicate"
    response = _post(integration, _charge_refunded())
    assert response.json()["results"][0]["outcome"] == "stored"
    events = RevenueEvent.objects.for_vendor(vendor)
    assert sorted(events.values_list("external_id", "amount")) == [("in_1", 25000), ("re_1", 12500)]
    assert sorted(Commission.objects.for_vendor(vendor).values_list("amount", flat=True)) == [
        -1875,
        3750,
    ]


def test_a_bad_signature_is_refused_and_stores_nothing(vendor, integration):
    response = _post(integration, _invoice_paid(), secret="whsec_wrong")
    assert response.status_code == 400
    assert not RevenueEvent.objects.for_vendor(vendor).exists()


def test_an_unknown_integration_is_404(vendor, other_vendor, integration):
    theirs = BillingIntegrationFactory(vendor=other_vendor, is_active=False)
    assert _post(theirs, _invoice_paid()).status_code == 404
