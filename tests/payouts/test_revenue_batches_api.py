"""``/api/v1/revenue-batches``: an integrator who posted a bulk request reads whether its
commissions are computed yet, what they came to per currency, and lists the batch's events."""

from __future__ import annotations

import pytest

from payouts.services.settlement import revenue_events_settle
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import invoice

BULK = "/api/v1/revenue-events/bulk"
BATCHES = "/api/v1/revenue-batches"


@pytest.fixture
def customers(vendor):
    """c0 in a USD program paying 15%, e0 in a EUR program paying 20%."""
    usd = ProgramFactory(vendor=vendor, currency="USD")
    CommissionPlanFactory(program=usd, rate="0.150000")
    CustomerFactory(partnership=PartnershipFactory(program=usd), external_id="c0")
    eur = ProgramFactory(vendor=vendor, currency="EUR")
    CommissionPlanFactory(program=eur, rate="0.200000")
    CustomerFactory(partnership=PartnershipFactory(program=eur), external_id="e0")


def _post(api, items) -> str:
    response = api.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["batch"]


@pytest.mark.django_db
def test_a_batch_reads_pending_then_settled_with_its_commissions_per_currency(
    vendor, customers, api_client_for
):
    api = api_client_for(vendor)
    batch = _post(
        api,
        [
            invoice("in-1", "c0", 10000),
            invoice("in-2", "c0", 4999),
            invoice("in-3", "e0", 3333, currency="EUR"),
        ],
    )
    pending = api.get(f"{BATCHES}/{batch}").json()
    assert pending["id"] == batch
    assert (pending["status"], pending["events"], pending["source"]) == ("pending", 3, "api")
    assert (pending["settled_at"], pending["commissions"]) == (None, [])

    revenue_events_settle(vendor=vendor)
    settled = api.get(f"{BATCHES}/{batch}").json()
    assert settled["status"] == "settled"
    assert settled["settled_at"] is not None
    # USD: 15% of 100.00 = 15.00, 15% of 49.99 = 7.4985 → 7.50; EUR: 20% of 33.33 = 6.666 → 6.67
    assert settled["commissions"] == [
        {"currency": "EUR", "amount": 667, "count": 1},
        {"currency": "USD", "amount": 1500 + 750, "count": 2},
    ]


@pytest.mark.django_db
def test_batches_list_newest_first_and_filter_by_status(vendor, customers, api_client_for):
    api = api_client_for(vendor)
    first = _post(api, [invoice("in-1", "c0", 10000)])
    revenue_events_settle(vendor=vendor)
    second = _post(api, [invoice("in-2", "c0", 2000), invoice("in-3", "c0", 3000)])

    page = api.get(BATCHES).json()
    assert [(b["id"], b["status"], b["events"]) for b in page["results"]] == [
        (second, "pending", 2),
        (first, "settled", 1),
    ]
    assert "commissions" not in page["results"][0]  # the detail has them, the list stays lean
    pending = api.get(BATCHES, {"status": "pending"}).json()["results"]
    assert [b["id"] for b in pending] == [second]

    bad = api.get(BATCHES, {"status": "done"})
    assert bad.status_code == 400
    assert "status" in str(bad.json())


@pytest.mark.django_db
def test_revenue_events_filter_by_batch_lists_exactly_its_events(
    vendor, other_vendor, customers, api_client_for
):
    api = api_client_for(vendor)
    batch = _post(api, [invoice("in-1", "c0", 10000), invoice("in-2", "c0", 2000)])
    _post(api, [invoice("in-3", "c0", 3000)])
    listed = api.get("/api/v1/revenue-events", {"batch": batch}).json()["results"]
    assert sorted(e["external_id"] for e in listed) == ["in-1", "in-2"]
    unknown = api.get("/api/v1/revenue-events", {"batch": "rvb_unknown"}).json()["results"]
    assert unknown == []

    # Another vendor's key sees neither the batch nor, through the filter, its events.
    other = api_client_for(other_vendor)
    assert other.get(f"{BATCHES}/{batch}").status_code == 404
    assert other.get("/api/v1/revenue-events", {"batch": batch}).json()["results"] == []


@pytest.mark.django_db
def test_batches_list_reads_a_constant_number_of_queries(
    vendor, customers, api_client_for, django_assert_max_num_queries
):
    api = api_client_for(vendor)
    for n in range(5):
        _post(api, [invoice(f"in-{n}", "c0", 1000 + n)])
    with django_assert_max_num_queries(6):
        assert len(api.get(BATCHES).json()["results"]) == 5
