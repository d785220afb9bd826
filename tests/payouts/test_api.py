"""The payouts API: customers, revenue events (single and bulk), commissions, payout runs,
payouts."""

from __future__ import annotations

import json

import pytest

from payouts.models import Commission, Payout, RevenueEvent
from payouts.services import runs
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
    paid_invoice,
)
from tests.payouts.helpers import T0, invoice, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(vendor):
    program = ProgramFactory(vendor=vendor, hold_period_days=0)
    CommissionPlanFactory(program=program, rate="0.150000")
    partnership = PartnershipFactory(program=program)
    return program, partnership


def test_create_customer_attributed_to_a_partnership(vendor, api_client_for, setup):
    _, partnership = setup
    api = api_client_for(vendor)
    body = {"external_id": "cust_1", "partnership": partnership.public_id, "email": "a@b.co"}
    response = api.post("/api/v1/customers", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"].startswith("cus_")
    assert data["partnership"] == partnership.public_id
    assert data["attribution_method"] == "api"
    again = api.post("/api/v1/customers", body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]


def test_customer_with_another_vendors_partnership_is_refused(vendor, other_vendor, api_client_for):
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    response = api_client_for(vendor).post(
        "/api/v1/customers", {"external_id": "x", "partnership": theirs.public_id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "partnership"


def test_single_revenue_event_stored_then_duplicate_then_refused(vendor, api_client_for, setup):
    _, partnership = setup
    CustomerFactory(partnership=partnership, external_id="c1")
    api = api_client_for(vendor)
    item = invoice("in-1", "c1", 4999)
    first = api.post("/api/v1/revenue-events", item, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["amount"] == 4999
    assert api.post("/api/v1/revenue-events", item, format="json").status_code == 200
    bad = api.post("/api/v1/revenue-events", invoice("in-2", "c1", 49.99), format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "amount"
    assert RevenueEvent.objects.for_vendor(vendor).count() == 1


def test_bulk_reports_per_item_and_keeps_the_valid_ones(vendor, api_client_for, setup):
    _, partnership = setup
    CustomerFactory(partnership=partnership, external_id="c1")
    items = [invoice("a", "c1", 1000), invoice("b", "nobody", 1000), invoice("a", "c1", 1000)]
    response = api_client_for(vendor).post(
        "/api/v1/revenue-events/bulk", {"items": items}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["stored"], data["duplicate"], data["refused"]) == (1, 1, 1)
    assert data["results"][1]["field"] == "customer"
    # The stored event's commission follows the response (the settle task, run here by hand).
    assert data["commissions"] == "pending"
    assert data["batch"].startswith("rvb_")
    assert not Commission.objects.for_vendor(vendor).exists()
    from payouts.services.settlement import revenue_events_settle

    assert revenue_events_settle(vendor=vendor) == 1
    assert list(Commission.objects.for_vendor(vendor).values_list("amount", flat=True)) == [150]
    malformed = api_client_for(vendor).post(
        "/api/v1/revenue-events/bulk", {"items": "nope"}, format="json"
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["field"] == "items"


def test_bulk_refuses_lone_surrogates_with_their_field_and_keeps_the_valid_items(
    vendor, api_client_for, setup
):
    """A lone surrogate is valid JSON (``"\\ud800"``) but no text PostgreSQL can store: the
    item is refused with the field that holds it, the others are stored."""
    _, partnership = setup
    CustomerFactory(partnership=partnership, external_id="c1")
    items = [
        invoice("ok-1", "c1", 1000),
        invoice("bad-\ud800", "c1", 1000),
        invoice("ok-2", "c\udfff", 1000),
        refund("rf-1", "c1", 100, of="in-\ud800"),
    ]
    response = api_client_for(vendor).post(
        "/api/v1/revenue-events/bulk",
        json.dumps({"items": items}),  # escapes the surrogates, as a client would send them
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["outcome"], r.get("field")) for r in results] == [
        ("stored", None),
        ("refused", "external_id"),
        ("refused", "customer"),
        ("refused", "refunds"),
    ]
    assert list(RevenueEvent.objects.for_vendor(vendor).values_list("external_id", flat=True)) == [
        "ok-1"
    ]


def test_commissions_filter_by_partnership_status_period_and_currency(
    vendor, other_vendor, api_client_for, django_assert_max_num_queries
):
    mine = [paid_invoice(vendor, amount=10000 * (i + 1)) for i in range(3)]  # created in order
    paid_invoice(other_vendor)
    api = api_client_for(vendor)
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/commissions")
    assert [c["amount"] for c in response.json()["results"]] == [4500, 3000, 1500]  # newest first
    ptn = mine[0].partnership.public_id
    filtered = api.get(f"/api/v1/commissions?partnership={ptn}&status=pending&currency=USD")
    assert [c["amount"] for c in filtered.json()["results"]] == [1500]
    month = mine[0].occurred_at.strftime("%Y-%m")
    assert len(api.get(f"/api/v1/commissions?period={month}").json()["results"]) >= 1
    assert api.get("/api/v1/commissions?period=1999-01").json()["results"] == []


def test_payout_run_post_answers_202_then_approve_and_mark_paid(vendor, api_client_for, setup):
    program, partnership = setup
    PartnerPayoutDetailsFactory(vendor=vendor, partner=partnership.partner)
    CustomerFactory(partnership=partnership, external_id="c1")
    from payouts.services.revenue import revenue_events_ingest

    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 100000, T0)])
    api = api_client_for(vendor)
    response = api.post(
        "/api/v1/payout-runs", {"program": program.public_id, "period": "2026-01"}, format="json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] in ("queued", "running", "completed")
    run_id = response.json()["id"]
    from payouts.models import PayoutRun

    runs.payout_run_execute(
        vendor=vendor, run_id=PayoutRun.objects.for_vendor(vendor).get(public_id=run_id).pk
    )
    assert api.get(f"/api/v1/payout-runs/{run_id}").json()["status"] == "completed"
    payout = api.get(f"/api/v1/payouts?run={run_id}").json()["results"][0]
    assert payout["amount"] == 15000
    not_yet = api.post(
        f"/api/v1/payouts/{payout['id']}/mark-paid", {"reference": "x"}, format="json"
    )
    assert not_yet.status_code == 400
    assert api.post(f"/api/v1/payouts/{payout['id']}/approve").status_code == 200
    missing = api.post(f"/api/v1/payouts/{payout['id']}/mark-paid", {}, format="json")
    assert missing.json()["error"]["field"] == "reference"
    paid = api.post(
        f"/api/v1/payouts/{payout['id']}/mark-paid", {"reference": "BANK-1"}, format="json"
    )
    assert paid.json()["status"] == "paid"
    assert Payout.objects.for_vendor(vendor).get().status == "paid"


def test_payout_run_for_an_unknown_period_format_is_refused(vendor, api_client_for, setup):
    program, _ = setup
    response = api_client_for(vendor).post(
        "/api/v1/payout-runs", {"program": program.public_id, "period": "January"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "period"


def test_manager_keys_cannot_start_payout_runs_or_approve(vendor, api_client_for, setup):
    program, _ = setup
    api = api_client_for(vendor, role="manager")
    response = api.post(
        "/api/v1/payout-runs", {"program": program.public_id, "period": "2026-01"}, format="json"
    )
    assert response.status_code == 403
