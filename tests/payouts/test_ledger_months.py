"""The ledger's monthly sums (LedgerMonth): attributed MRR of paid invoices and commission cost
(all but reversed) per vendor, month in the vendor's time zone, and currency — kept exact by
the ledger writes themselves, recomputed by ``manage.py ledger_months_rebuild``."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum

from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.services import vendor_update
from payouts.models import Commission, LedgerMonth
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
    VendorFactory,
)
from tests.payouts.helpers import T0, invoice, refund
from web.selectors import home_figures

pytestmark = pytest.mark.django_db

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


@pytest.fixture
def agency(vendor):
    program = ProgramFactory(vendor=vendor, currency="USD", hold_period_days=30)
    CommissionPlanFactory(program=program, rate="0.150000", name="15% recurring")
    return PartnershipFactory(program=program)


def sums(vendor) -> dict[tuple[dt.date, str], tuple[int, int]]:
    """(month, currency) → (attributed MRR, commission cost), over every slot row."""
    rows = (
        LedgerMonth.objects.for_vendor(vendor)
        .values("month", "currency")
        .annotate(mrr=Sum("mrr_amount"), commission=Sum("commission_amount"))
        .order_by()
    )
    return {(r["month"], r["currency"]): (r["mrr"], r["commission"]) for r in rows}


def _ingest(vendor, *items) -> None:
    report = revenue_events_ingest(vendor=vendor, items=list(items))
    assert [r.outcome for r in report.results] == ["stored"] * len(items)


@pytest.fixture
def ledger(vendor, other_vendor, agency):
    """Two months of invoices, a partial and a full refund, an unattributed customer, and
    another vendor's invoice."""
    for ext in ("c0", "c1", "c2"):
        CustomerFactory(partnership=agency, external_id=ext)
    CustomerFactory(vendor=vendor, partnership=None, external_id="c3")
    feb = T0 + dt.timedelta(days=31)
    _ingest(
        vendor,
        invoice("in-1", "c0", 10000),  # 15 % → 1500
        invoice("in-2", "c1", 4999),  # 749.85 → 750 (half-even, once)
        invoice("in-4", "c2", 2000),  # 300, refunded in full below
        invoice("in-5", "c3", 7000),  # no partnership: neither MRR nor commission
        invoice("in-3", "c0", 10000, feb),  # February: 1500
    )
    _ingest(vendor, refund("rf-4", "c2", 2000, of="in-4"))  # both 300s reversed
    _ingest(vendor, refund("rf-3", "c0", 5000, of="in-3", when=feb))  # clawback -750
    other = PartnershipFactory(program=ProgramFactory(vendor=other_vendor, currency="USD"))
    CommissionPlanFactory(program=other.program, rate="0.5")
    CustomerFactory(partnership=other, external_id="c0")
    _ingest(other_vendor, invoice("in-1", "c0", 90000))


def test_monthly_sums_are_the_attributed_mrr_and_the_commissions_not_reversed(
    vendor, other_vendor, ledger
):
    # January: MRR of the three attributed invoices (a refund does not lower paid MRR);
    # commissions 1500 + 750, the fully refunded invoice's 300 and -300 both reversed.
    # February: 10000 MRR; 1500 - 750 after the half refund.
    assert sums(vendor) == {
        (JAN, "USD"): (10000 + 4999 + 2000, 1500 + 750),
        (FEB, "USD"): (10000, 1500 - 750),
    }
    assert sums(other_vendor) == {(JAN, "USD"): (90000, 45000)}


def test_home_trend_reads_the_monthly_sums(vendor, ledger):
    figures = home_figures(vendor=vendor, now=dt.datetime(2026, 2, 20, tzinfo=dt.UTC))

    assert figures.months[-2:] == [JAN, FEB]
    assert figures.trend["USD"]["mrr"][-2:] == [16999, 10000]
    assert figures.trend["USD"]["commission"][-2:] == [2250, 750]
    assert sum(figures.trend["USD"]["mrr"]) == 26999


def test_status_moves_change_nothing_and_a_rolled_back_write_leaves_no_trace(vendor, ledger):
    before = sums(vendor)
    # pending → available, the first move of a payout run: amounts unchanged
    assert Commission.objects.for_vendor(vendor).filter(status="pending").update(status="available")
    with pytest.raises(RuntimeError):
        _ingest_then_fail(vendor, invoice("in-9", "c0", 50000))

    assert sums(vendor) == before


def _ingest_then_fail(vendor, item) -> None:
    with transaction.atomic():
        _ingest(vendor, item)
        raise RuntimeError("rolled back")


def test_a_time_zone_change_moves_a_boundary_invoice_to_its_local_month(vendor, agency):
    CustomerFactory(partnership=agency, external_id="c0")
    late_january_utc = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 1 Feb in Berlin
    _ingest(vendor, invoice("in-1", "c0", 10000, late_january_utc))
    assert sums(vendor) == {(JAN, "USD"): (10000, 1500)}

    vendor_update(actor=Actor.system(), vendor=vendor, time_zone="Europe/Berlin")

    assert sums(vendor) == {(FEB, "USD"): (10000, 1500)}
    _ingest(vendor, invoice("in-2", "c0", 2000, late_january_utc))  # new writes: Berlin too
    assert sums(vendor) == {(FEB, "USD"): (12000, 1800)}


def test_rebuild_recomputes_the_sums_from_the_ledger(vendor, other_vendor, ledger):
    expected = sums(vendor)
    LedgerMonth.objects.for_vendor(vendor).update(mrr_amount=1, commission_amount=1)
    foreign = sums(other_vendor)

    call_command("ledger_months_rebuild", vendor.slug)

    assert sums(vendor) == expected
    assert sums(other_vendor) == foreign


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_during_an_uncommitted_ingestion_counts_it_exactly_once():
    """A writer that already added its sums holds the rebuild off until it commits; the
    rebuild then reads its events and replaces its rows: counted once, not twice or never."""
    vendor = VendorFactory(slug="race")
    program = ProgramFactory(vendor=vendor, currency="USD")
    CommissionPlanFactory(program=program, rate="0.150000")
    CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c0")
    _ingest(vendor, invoice("in-0", "c0", 10000))  # 1500
    ingested, release, errors, waited = threading.Event(), threading.Event(), [], []

    def writer() -> None:
        try:
            with vendor_scope(vendor), transaction.atomic():
                _ingest(vendor, invoice("in-1", "c0", 20000))  # 3000, triggers run
                ingested.set()
                release.wait(timeout=30)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def rebuilder() -> None:
        try:
            ingested.wait(timeout=30)
            threading.Timer(0.5, release.set).start()  # the writer commits while we wait
            started = time.monotonic()
            call_command("ledger_months_rebuild", vendor.slug)
            waited.append(time.monotonic() - started)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=rebuilder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert waited[0] >= 0.4  # it read only after the writer's commit
    assert sums(vendor) == {(JAN, "USD"): (10000 + 20000, 1500 + 3000)}
