"""Revenue event ingestion: idempotency at volume and per-item refusal of bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from payouts import services
from payouts.models import Commission, RevenueEvent
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice, refund

pytestmark = pytest.mark.django_db


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
        report = services.revenue_events_ingest(vendor=vendor, items=items[start : start + 1000])
        assert report.count("stored") == 1000
    for item in items:
        report = services.revenue_events_ingest(vendor=vendor, items=[item])
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
    report = services.revenue_events_ingest(vendor=vendor, items=items)
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
        services.revenue_events_ingest(vendor=vendor, items=[{}] * 1001)


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
            report = services.revenue_events_ingest(vendor=vendor, items=items)
        assert report.count("stored") == size
    with django_assert_max_num_queries(14):
        services.revenue_events_ingest(
            vendor=vendor,
            items=[{**refund("r-1", "c3", 500, of="small-3"), "occurred_at": when.isoformat()}],
        )
    assert Event.objects.for_vendor(vendor).filter(type="commission.created").count() == 310
    for commission in Commission.objects.for_vendor(vendor).filter(
        revenue_event__external_id__in=["small-3", "r-1"]
    ):
        kind = "commission.reversed" if commission.kind == "clawback" else "commission.created"
        event = Event.objects.for_vendor(vendor).get(type=kind, data__id=commission.public_id)
        assert event.data == services.commission_data(commission)
