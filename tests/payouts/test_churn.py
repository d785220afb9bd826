"""A paying customer churns (API, Stripe's ``customer.subscription.deleted``): it leaves its
partnership's paying customers and attributed MRR, keeps its commissions, and pays again
only with an invoice paid after the churn."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import Event
from payouts.models import Customer
from payouts.selectors.income import partnership_attributed_mrr, partnership_paying_customers
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    BillingIntegrationFactory,
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, amounts, invoice
from tests.payouts.test_stripe_webhook import _post as stripe_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(vendor):
    program = ProgramFactory(vendor=vendor, currency="USD")
    CommissionPlanFactory(program=program, rate="0.150000")
    partnership = PartnershipFactory(program=program)
    CustomerFactory(partnership=partnership, external_id="c0")
    CustomerFactory(partnership=partnership, external_id="c1")
    revenue_events_ingest(
        vendor=vendor, items=[invoice("in-0", "c0", 4999), invoice("in-1", "c1", 10000)]
    )
    return partnership


def _customer(vendor, external_id: str) -> Customer:
    return Customer.objects.for_vendor(vendor).get(external_id=external_id)


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _churn(api, vendor, external_id: str, **body):
    return api.post(
        f"/api/v1/customers/{_customer(vendor, external_id).public_id}/churn", body, format="json"
    )


def test_churn_removes_the_customer_from_paying_customers_and_mrr_and_keeps_commissions(
    vendor, partnership, api_client_for
):
    api = api_client_for(vendor, Role.MANAGER)
    before = (
        partnership_paying_customers(vendor=vendor)[partnership.pk],
        partnership_attributed_mrr(vendor=vendor)[partnership.pk],
    )
    assert before == (2, 4999 + 10000)

    at = T0 + dt.timedelta(days=40)
    response = _churn(api, vendor, "c1", at=at.isoformat())
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], _when(body["churned_at"])) == ("churned", at)
    assert partnership_paying_customers(vendor=vendor)[partnership.pk] == 1
    assert partnership_attributed_mrr(vendor=vendor)[partnership.pk] == 4999
    # 15% of 49.99 = 7.4985 → 7.50 and 15% of 100.00 = 15.00: earned, not taken back.
    assert amounts(vendor) == [750, 1500]
    (event,) = Event.objects.for_vendor(vendor).filter(type="customer.churned")
    assert (event.data["external_id"], event.data["status"]) == ("c1", "churned")
    assert event.data["churned_at"] == at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # as the API says it
    audit = AuditEntry.objects.for_vendor(vendor).get(action="customer.churned")
    assert audit.before == {"status": "active"}

    # A retried call changes nothing: same churn date, no second event.
    again = _churn(api, vendor, "c1", at=(at + dt.timedelta(days=3)).isoformat())
    assert again.status_code == 200
    assert _when(again.json()["churned_at"]) == at
    assert Event.objects.for_vendor(vendor).filter(type="customer.churned").count() == 1


def test_an_invoice_after_the_churn_makes_the_customer_paying_again_a_late_one_does_not(
    vendor, partnership, api_client_for
):
    api = api_client_for(vendor)
    assert _churn(api, vendor, "c1", at=(T0 + dt.timedelta(days=40)).isoformat()).status_code == 200
    # The last invoice of before the churn arrives late: history, still churned.
    revenue_events_ingest(
        vendor=vendor, items=[invoice("in-late", "c1", 10000, T0 + dt.timedelta(days=31))]
    )
    assert _customer(vendor, "c1").status == "churned"
    assert partnership_attributed_mrr(vendor=vendor)[partnership.pk] == 4999
    # It subscribes again: a new invoice after the churn, at a new price.
    revenue_events_ingest(
        vendor=vendor, items=[invoice("in-back", "c1", 12000, T0 + dt.timedelta(days=70))]
    )
    customer = _customer(vendor, "c1")
    assert (customer.status, customer.churned_at, customer.mrr_amount) == ("active", None, 12000)
    assert partnership_attributed_mrr(vendor=vendor)[partnership.pk] == 4999 + 12000


def test_churn_refuses_bad_input_with_the_field_and_writes_nothing(
    vendor, partnership, api_client_for
):
    api = api_client_for(vendor)
    CustomerFactory(partnership=partnership, external_id="lead-1")  # never paid
    cases = [
        ("lead-1", {}, "customer"),
        ("c0", {"at": "2999-01-01T00:00:00Z"}, "at"),
        ("c0", {"at": (T0 - dt.timedelta(days=1)).isoformat()}, "at"),
        ("c0", {"at": "last tuesday"}, "at"),
    ]
    for external_id, body, field in cases:
        response = _churn(api, vendor, external_id, **body)
        assert response.status_code == 400, (body, response.content)
        assert field in str(response.json()), (body, response.json())
    assert _customer(vendor, "c0").status == "active"
    assert _customer(vendor, "lead-1").status == "lead"
    assert not Event.objects.for_vendor(vendor).filter(type="customer.churned").exists()


def test_viewers_cannot_churn_and_another_vendors_customer_is_404(
    vendor, other_vendor, partnership, api_client_for
):
    assert _churn(api_client_for(vendor, Role.VIEWER), vendor, "c0").status_code == 403
    assert _churn(api_client_for(other_vendor), vendor, "c0").status_code == 404
    assert _customer(vendor, "c0").status == "active"


def _subscription_deleted(customer: str, ended_at: int) -> dict:
    return {
        "id": "evt_sub",
        "object": "event",
        "type": "customer.subscription.deleted",
        "created": ended_at + 5,
        "data": {
            "object": {
                "id": "sub_1",
                "object": "subscription",
                "customer": customer,
                "status": "canceled",
                "ended_at": ended_at,
            }
        },
    }


def test_stripe_subscription_deleted_churns_the_customer_once(vendor, partnership):
    integration = BillingIntegrationFactory(vendor=vendor)
    ended = int((T0 + dt.timedelta(days=45)).timestamp())
    first = stripe_post(integration, _subscription_deleted("c0", ended))
    assert first.status_code == 200
    assert first.json()["results"][0]["outcome"] == "churned"
    customer = _customer(vendor, "c0")
    assert (customer.status, customer.churned_at) == ("churned", T0 + dt.timedelta(days=45))
    resent = stripe_post(integration, _subscription_deleted("c0", ended))
    assert resent.json()["results"][0]["outcome"] == "duplicate"
    unknown = stripe_post(integration, _subscription_deleted("cus_nobody", ended))
    assert (unknown.status_code, unknown.json()["results"][0]["outcome"]) == (200, "ignored")
    assert Event.objects.for_vendor(vendor).filter(type="customer.churned").count() == 1


def test_a_manager_marks_a_customer_churned_from_the_dashboard_after_confirming(
    vendor, partnership, manager, viewer, client_for
):
    customer = _customer(vendor, "c1")
    page_url = f"/app/{vendor.slug}/customers/{customer.public_id}/attribution/"
    churn_url = f"/app/{vendor.slug}/customers/{customer.public_id}/churn/"
    client = client_for(manager)
    assert "Mark churned…" in client.get(page_url).content.decode()
    confirm = client.get(churn_url).content.decode()
    assert "Mark c1 as churned?" in confirm
    assert "100.00 USD" in confirm  # the MRR that leaves the partner's attributed MRR

    assert client_for(viewer).post(churn_url, {"at": "2026-02-14T12:00"}).status_code == 403
    future = client.post(churn_url, {"at": "2999-01-01T00:00"})
    assert future.status_code == 400
    assert "cannot be in the future" in future.content.decode()
    assert _customer(vendor, "c1").status == "active"

    done = client.post(churn_url, {"at": "2026-02-14T12:00"}, follow=True)
    assert done.redirect_chain[-1][0] == page_url
    body = done.content.decode()
    assert "marked churned" in body
    assert "Churned since 2026-02-14" in body
    assert "Mark churned…" not in body
    assert _customer(vendor, "c1").churned_at == dt.datetime(2026, 2, 14, 12, tzinfo=dt.UTC)
