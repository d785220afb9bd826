"""The benchmark runner works end to end on a minimal size (the real runs are `make bench`;
no benchmark runs in the test suite)."""

import pytest
from django.core.management import call_command

from partnerhub.tenancy.context import vendor_scope
from partners.models import Partnership
from payouts.models import Customer, RevenueEvent

pytestmark = pytest.mark.django_db


def test_bench_seed_gives_every_row_its_vendor_and_spreads_stages():
    call_command("bench_seed", vendors=2, partnerships=40, customers=100, months=2, prefix="smoke")
    from partnerhub.tenancy.models import Vendor

    vendors = list(Vendor.objects.filter(slug__startswith="smoke-"))
    assert len(vendors) == 2
    for vendor in vendors:
        with vendor_scope(vendor):
            partnerships = Partnership.objects.for_vendor(vendor)
            assert partnerships.count() == 20
            assert partnerships.values("stage").distinct().count() >= 4
            assert Customer.objects.for_vendor(vendor).count() == 50
            events = RevenueEvent.objects.for_vendor(vendor)
            assert events.filter(kind="invoice_paid").count() > 50
            # every customer's events belong to the customer's vendor (no cross-tenant rows)
            assert not events.exclude(customer__vendor=vendor).exists()


def test_bench_runner_measures_money_journey_and_dashboard_against_floors():
    from bench import run

    call_command(
        "bench_seed", vendors=1, partnerships=20, customers=60, months=2, prefix=run.PREFIX
    )
    vendors = run.bench_vendors()
    results = {**run.bench_money(vendors), **run.bench_journey(vendors)}
    for key in ("commissions", "payout run", "journey"):
        assert results[key]["time"] > 0, key
        assert results[key]["floor"] > 0, key
    _, user = run.prepare_access(vendors[0])
    pages = run.bench_dashboard(vendors[0], user)
    assert set(pages) == {"dashboard home", "partnership list"}
    text = run.table([("tiny", {"results": {**results, **pages}})])
    assert "| commissions |" in text
    assert "x |" in text
    assert any(line.startswith("- ") for line in run.targets({"results": results}))
