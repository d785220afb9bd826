"""Revenue event ingestion: idempotency at volume and per-item refusal of bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from payouts.models import Commission, RevenueEvent
from payouts.services.events import commission_data
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, amounts, invoice, refund

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_same_10000_events_twice_bulk_then_one_by_one_store_each_once(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program, rate="0.150000")
    CommissionPlanFactory(program=program, rate="0.010000", name="loyalty")
    partnerships = [PartnershipFactory(program=program) for _ in range(10)]
    for i in range(100):
        CustomerFactory(partnership=partnerships[i % 10], external_id=f"c{i}")
    items = [
        invoice(f"ev-{n}", f"c{n % 100}", 1000 + n, T0 + dt.timedelta(minutes=n))
        for n in range(10_000)
    ]
    for start in range(0, 10_000, 1000):
        report = revenue_events_ingest(vendor=vendor, items=items[start : start + 1000])
        assert report.count("stored") == 1000
    for item in items:
        report = revenue_events_ingest(vendor=vendor, items=[item])
        assert report.results[0].outcome == "duplicate"
    assert RevenueEvent.objects.for_vendor(vendor).count() == 10_000
    commissions = Commission.objects.for_vendor(vendor)
    assert commissions.count() == 20_000  # one per event and plan
    assert commissions.values("revenue_event", "plan").distinct().count() == 20_000
    assert not RevenueEvent.objects.for_vendor(other_vendor).exists()


def test_bad_items_are_refused_with_a_reason_and_valid_ones_kept(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor, currency="USD")
    CommissionPlanFactory(program=program)
    partnership = PartnershipFactory(program=program)
    CustomerFactory(partnership=partnership, external_id="known")
    young = CustomerFactory(partnership=partnership, external_id="young")
    CustomerFactory(
        partnership=PartnershipFactory(program=ProgramFactory(vendor=other_vendor)),
        external_id="theirs",
    )
    items = [
        invoice("ok-1", "known", 1000),
        invoice("bad-customer", "nobody", 1000),
        invoice("bad-theirs", "theirs", 1000),  # another vendor's customer is unknown here
        invoice("bad-currency", "known", 1000, currency="EUR"),
        invoice("bad-negative", "known", -500),
        invoice("bad-decimals", "known", 10.5),
        "not an object",
        {"external_id": "bad-missing", "customer": "known"},
        invoice("bad-too-old", "young", 1000, young.signed_up_at - dt.timedelta(days=1)),
        invoice("ok-2", "known", 2000),
        invoice("ok-1", "known", 1000),  # a duplicate within the request
    ]
    report = revenue_events_ingest(vendor=vendor, items=items)
    got = [(r.outcome, r.field) for r in report.results]
    assert got == [
        ("stored", ""),
        ("refused", "customer"),
        ("refused", "customer"),
        ("refused", "currency"),
        ("refused", "amount"),
        ("refused", "amount"),
        ("refused", "item"),
        ("refused", "amount"),
        ("refused", "occurred_at"),
        ("stored", ""),
        ("duplicate", ""),
    ]
    assert "decimals" in report.results[5].reason
    assert "EUR" in report.results[3].reason
    assert set(RevenueEvent.objects.for_vendor(vendor).values_list("external_id", flat=True)) == {
        "ok-1",
        "ok-2",
    }
    assert Commission.objects.for_vendor(vendor).count() == 2


def test_more_than_1000_items_are_refused_as_a_whole(vendor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        revenue_events_ingest(vendor=vendor, items=[{}] * 1001)


def test_bulk_ingestion_takes_the_same_queries_for_10_or_300_events(
    vendor, django_assert_max_num_queries
):
    """Set-based: no query per item, per commission or per event announced; the
    commission.created / commission.reversed events carry what ``commission_data`` renders."""
    from partnerhub.webhooks.models import Event

    program = ProgramFactory(vendor=vendor, currency="USD", hold_period_days=30)
    CommissionPlanFactory(program=program, rate="0.150000")
    for n in range(30):
        CustomerFactory(partnership=PartnershipFactory(program=program), external_id=f"c{n}")
    when = T0 + dt.timedelta(microseconds=250_000)
    for size, tag in ((10, "small"), (300, "large")):
        items = [invoice(f"{tag}-{i}", f"c{i % 30}", 1000 + i, when) for i in range(size)]
        with django_assert_max_num_queries(14):
            report = revenue_events_ingest(vendor=vendor, items=items)
        assert report.count("stored") == size
    with django_assert_max_num_queries(14):
        revenue_events_ingest(
            vendor=vendor,
            items=[{**refund("r-1", "c3", 500, of="small-3"), "occurred_at": when.isoformat()}],
        )
    assert Event.objects.for_vendor(vendor).filter(type="commission.created").count() == 310
    for commission in Commission.objects.for_vendor(vendor).filter(
        revenue_event__external_id__in=["small-3", "r-1"]
    ):
        kind = "commission.reversed" if commission.kind == "clawback" else "commission.created"
        event = Event.objects.for_vendor(vendor).get(type=kind, data__id=commission.public_id)
        assert event.data == commission_data(commission)


def test_refunds_are_checked_against_the_stored_invoice_and_customers_found_by_either_id(vendor):
    """The ingestion checks run on plain rows (no model instances): a refund names a stored
    invoice of the same customer and currency and never exceeds what is left of it; a
    customer is found by its external id or its ``cus_`` id."""
    program = ProgramFactory(vendor=vendor, currency="USD")
    CommissionPlanFactory(program=program, rate="0.150000")
    partnership = PartnershipFactory(program=program)
    ann = CustomerFactory(partnership=partnership, external_id="ann")
    CustomerFactory(partnership=partnership, external_id="bob")
    CustomerFactory(vendor=vendor, partnership=None, external_id="solo")  # any currency
    first = revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice(
                "inv-1", ann.public_id, 10000, period_start="2026-01-01", period_end="2027-01-01"
            ),
            invoice("inv-eur", "solo", 500, currency="EUR"),
        ],
    )
    assert [r.outcome for r in first.results] == ["stored", "stored"]
    stored = RevenueEvent.objects.for_vendor(vendor).get(external_id="inv-1")
    assert (stored.customer_id, stored.partnership_id) == (ann.pk, partnership.pk)
    assert stored.mrr_amount == 833  # an annual invoice: 10000 // 12
    items = [
        refund("r-unknown", "ann", 100, of="nope"),
        refund("r-other-customer", "bob", 100, of="inv-1"),
        {**refund("r-currency", "ann", 100, of="inv-1"), "currency": "EUR"},
        refund("r-1", "ann", 6000, of="inv-1"),
        refund("r-too-much", "ann", 4001, of="inv-1"),  # 4000 left after r-1
        invoice("inv-2", "ann", 3000),
        refund("r-same-request", "ann", 100, of="inv-2"),
        refund("r-2", "ann", 4000, of="inv-1"),
    ]
    report = revenue_events_ingest(vendor=vendor, items=items)
    got = [(r.outcome, r.field) for r in report.results]
    assert got == [
        ("refused", "refunds"),
        ("refused", "refunds"),
        ("refused", "currency"),
        ("stored", ""),
        ("refused", "amount"),
        ("stored", ""),
        ("refused", "refunds"),
        ("stored", ""),
    ]
    assert "4000 left to refund" in report.results[4].reason
    assert "next request" in report.results[6].reason
    r1 = RevenueEvent.objects.for_vendor(vendor).get(external_id="r-1")
    assert (r1.refunded_event_id, r1.mrr_amount) == (stored.pk, 0)
    # 15% of 100.00 is 15.00; 60% and then the remaining 40% refunded reverse 9.00 and 6.00.
    assert amounts(vendor, revenue_event__external_id__in=["inv-1", "r-1", "r-2"]) == [
        1500,
        -900,
        -600,
    ]
    again = revenue_events_ingest(vendor=vendor, items=[refund("r-1", "ann", 6000, "inv-1")])
    assert (again.results[0].outcome, again.results[0].id) == ("duplicate", r1.public_id)


def test_a_customer_shows_its_first_invoice_date_and_the_mrr_of_its_latest_invoice(
    vendor, other_vendor
):
    """Invoices may arrive out of order and across requests: the customer's first paid date
    is its earliest invoice, its MRR that of its latest one (the later stored of two at the
    same moment); refunds change neither; other customers are left alone."""
    program = ProgramFactory(vendor=vendor, currency="USD")
    partnership = PartnershipFactory(program=program)
    ann = CustomerFactory(partnership=partnership, external_id="ann")
    bob = CustomerFactory(partnership=partnership, external_id="bob")
    other = CustomerFactory(vendor=other_vendor, partnership=None, external_id="ann")
    day = dt.timedelta(days=1)
    revenue_events_ingest(vendor=vendor, items=[invoice("a-mar", "ann", 3000, T0 + 60 * day)])
    ann.refresh_from_db()
    assert (ann.status, ann.first_paid_at, ann.mrr_amount) == ("active", T0 + 60 * day, 3000)
    report = revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice("a-jan", "ann", 1000, T0),  # earlier than the stored one
            # an annual invoice a month later: 12000 // 12 = 1000 per month
            invoice(
                "a-apr",
                "ann",
                12000,
                T0 + 90 * day,
                period_start="2026-04-01",
                period_end="2027-04-01",
            ),
            refund("a-refund", "ann", 500, of="a-mar", when=T0 + 95 * day),
        ],
    )
    assert [r.outcome for r in report.results] == ["stored", "stored", "stored"]
    ann.refresh_from_db()
    assert (ann.first_paid_at, ann.mrr_amount, ann.mrr_currency) == (T0, 1000, "USD")
    # Two invoices at the same moment: the one stored last sets the MRR.
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice("a-may-1", "ann", 4000, T0 + 120 * day)],
    )
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice("a-may-2", "ann", 5000, T0 + 120 * day)],
    )
    ann.refresh_from_db()
    assert (ann.first_paid_at, ann.mrr_amount) == (T0, 5000)
    bob.refresh_from_db()
    other.refresh_from_db()
    assert (bob.status, bob.first_paid_at, bob.mrr_amount) == ("lead", None, 0)
    assert (other.first_paid_at, other.mrr_amount) == (None, 0)
