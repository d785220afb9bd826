"""The commission ledger: the seed's example, refunds, plans, append-only in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone

from payouts.models import Commission, Customer, LedgerMonth, RevenueEvent
from payouts.services.commissions import commissions_recompute, commissions_release
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CommissionPlanTierFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, amounts, invoice, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(vendor):
    program = ProgramFactory(vendor=vendor, currency="USD", hold_period_days=30)
    CommissionPlanFactory(program=program, rate="0.150000", name="15% recurring")
    return PartnershipFactory(program=program)


def _customers(partnership, n):
    return [CustomerFactory(partnership=partnership, external_id=f"c{i}") for i in range(n)]


def test_seed_example_pays_15_37_50_and_7_50_every_month(vendor, other_vendor, agency):
    _customers(agency, 3)
    other = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    CommissionPlanFactory(program=other.program, rate="0.5")
    CustomerFactory(partnership=other, external_id="c0")  # same external id, other vendor
    for month in range(3):
        when = T0 + dt.timedelta(days=31 * month)
        report = revenue_events_ingest(
            vendor=vendor,
            items=[
                invoice(f"in-{month}-a", "c0", 10000, when),
                invoice(f"in-{month}-b", "c1", 25000, when),
                invoice(f"in-{month}-c", "c2", 4999, when),
            ],
        )
        assert [r.outcome for r in report.results] == ["stored"] * 3
    # 15% of 100.00 = 15.00; of 250.00 = 37.50; of 49.99 = 7.4985 → 7.50 (half-even, once)
    assert amounts(vendor) == [1500, 3750, 750] * 3
    assert sum(amounts(vendor)) == 3 * 6000
    assert not Commission.objects.for_vendor(other_vendor).exists()


def test_refund_of_half_an_invoice_reverses_half_its_commission(vendor, agency):
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 25000)])
    report = revenue_events_ingest(vendor=vendor, items=[refund("rf-1", "c0", 12500, of="in-1")])
    assert report.results[0].outcome == "stored"
    original = Commission.objects.for_vendor(vendor).get(kind="percent")
    clawback = Commission.objects.for_vendor(vendor).get(kind="clawback")
    assert (original.amount, clawback.amount) == (3750, -1875)
    assert clawback.reverses == original
    assert clawback.currency == "USD"
    assert original.status == "pending"  # partly reversed: both stay and net in the payout


def test_refunds_in_parts_reverse_the_commission_to_the_cent(vendor, agency):
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 4999)])  # 750
    for i, part in enumerate([1000, 1000, 2999]):
        revenue_events_ingest(vendor=vendor, items=[refund(f"rf-{i}", "c0", part, of="in-1")])
    # cumulative: 750*1000/4999=150.03→150, 750*2000/4999=300.06→300, 750 → parts 150,150,450
    assert amounts(vendor, kind="clawback") == [-150, -150, -450]
    # reversed in full before payment: the pair cancels out, both reversed
    assert set(Commission.objects.for_vendor(vendor).values_list("status", flat=True)) == {
        "reversed"
    }


def test_refund_beyond_the_invoice_is_refused(vendor, agency):
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 1000)])
    report = revenue_events_ingest(vendor=vendor, items=[refund("rf-1", "c0", 1001, of="in-1")])
    assert report.results[0].outcome == "refused"
    assert report.results[0].field == "amount"


def _set_stage(partnership, stage: str) -> None:
    # The stage field is FSM-protected (only journey services move it); a test jumps directly.
    type(partnership).objects.unscoped().filter(pk=partnership.pk).update(stage=stage)


def test_stage_tier_pays_a_higher_rate_from_investment_on(vendor, agency):
    plan = agency.program.commission_plans.get()
    CommissionPlanTierFactory(plan=plan, from_stage="investment", rate="0.200000")
    CommissionPlanTierFactory(plan=plan, from_stage="devotion", rate="0.250000")
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 10000)])
    _set_stage(agency, "devotion")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-2", "c0", 10000)])
    _set_stage(agency, "investment")
    revenue_events_ingest(vendor=vendor, items=[invoice("in-3", "c0", 10000)])
    assert amounts(vendor) == [1500, 2500, 2000]


def test_recurring_for_n_months_then_stops_and_bounty_once_per_customer(vendor, agency):
    plan = agency.program.commission_plans.get()
    plan.duration_months = 2
    plan.save()
    CommissionPlanFactory(
        program=agency.program, kind="bounty_customer", rate=0, bounty_amount=5000
    )
    _customers(agency, 1)
    items = [invoice(f"in-{m}", "c0", 10000, T0 + dt.timedelta(days=31 * m)) for m in range(4)]
    revenue_events_ingest(vendor=vendor, items=items)
    assert amounts(vendor, kind="percent") == [1500, 1500]
    assert amounts(vendor, kind="bounty") == [5000]


def test_a_backdated_first_invoice_does_not_pay_a_second_bounty(vendor, agency):
    """The bounty went to the first invoice the ledger saw; an invoice dated before it,
    arriving later, is the customer's first by date but the bounty is unique per customer
    and plan: it is skipped, not an error."""
    CommissionPlanFactory(
        program=agency.program, kind="bounty_customer", rate=0, bounty_amount=5000
    )
    _customers(agency, 1)
    revenue_events_ingest(
        vendor=vendor, items=[invoice("feb", "c0", 10000, T0 + dt.timedelta(days=31))]
    )
    report = revenue_events_ingest(vendor=vendor, items=[invoice("jan", "c0", 10000)])
    assert report.results[0].outcome == "stored"
    assert amounts(vendor, kind="bounty") == [5000]
    assert amounts(vendor, kind="percent") == [1500, 1500]


def test_cap_per_customer_limits_the_total(vendor, agency):
    plan = agency.program.commission_plans.get()
    plan.cap_per_customer_amount = 4000
    plan.save()
    _customers(agency, 1)
    items = [invoice(f"in-{m}", "c0", 10000, T0 + dt.timedelta(days=31 * m)) for m in range(4)]
    revenue_events_ingest(vendor=vendor, items=items[:2])
    revenue_events_ingest(vendor=vendor, items=items[2:])
    assert amounts(vendor) == [1500, 1500, 1000]


def _by_customer(vendor) -> dict[tuple[str, str], list[int]]:
    """Each customer's commission amounts per kind, in the order of their revenue events."""
    out: dict[tuple[str, str], list[int]] = {}
    for ext, kind, amount in (
        Commission.objects.for_vendor(vendor)
        .order_by("revenue_event__occurred_at", "revenue_event_id", "id")
        .values_list("customer__external_id", "kind", "amount")
    ):
        out.setdefault((ext, kind), []).append(amount)
    return out


def _month(customer: str, amount: int, n: int, tag: str = "in", month: int = 0) -> list[dict]:
    """``n`` invoices of one customer, a day apart within one month (``month`` after T0's)."""
    start = T0 + dt.timedelta(days=31 * month)
    return [
        invoice(f"{tag}-{customer}-{d}", customer, amount, start + dt.timedelta(days=d))
        for d in range(n)
    ]


def test_uncapped_plan_pays_every_invoice_of_a_month_in_full(vendor, agency):
    _customers(agency, 2)
    revenue_events_ingest(vendor=vendor, items=_month("c0", 10000, 4) + _month("c1", 4999, 3))
    # 15 % of 100.00 = 15.00 each; of 49.99 = 7.4985 -> 7.50 (half-even, once per event)
    assert _by_customer(vendor) == {
        ("c0", "percent"): [1500, 1500, 1500, 1500],
        ("c1", "percent"): [750, 750, 750],
    }


def test_cap_reached_mid_month_pays_the_rest_of_the_cap_then_nothing(vendor, agency):
    """Four invoices of one month computed in one statement: 15.00 + 15.00 + the 10.00 left
    of the 40.00 cap, and nothing (no row) for the fourth."""
    plan = agency.program.commission_plans.get()
    plan.cap_per_customer_amount = 4000
    plan.save()
    _customers(agency, 2)
    revenue_events_ingest(vendor=vendor, items=_month("c0", 10000, 4) + _month("c1", 20000, 1))
    assert _by_customer(vendor) == {
        ("c0", "percent"): [1500, 1500, 1000],
        ("c1", "percent"): [3000],  # the cap is per customer
    }


def test_capped_and_uncapped_plans_in_one_month_computed_after_the_fact(vendor, agency):
    """A month's events stored before the plans existed, then computed by
    ``commissions_recompute`` (one statement per 50,000 events): the generic plan (15 %,
    capped at 40.00 per customer), a persona plan (30 %, no cap) and a bounty (50.00 for a
    customer's first invoice, no cap) each follow their own rule."""
    from tests.factories import PartnerPersonaFactory

    program = agency.program
    program.commission_plans.all().delete()
    persona = PartnerPersonaFactory(vendor=vendor, program=program)
    reseller = PartnershipFactory(program=program, persona=persona)
    CustomerFactory(partnership=agency, external_id="a")
    CustomerFactory(partnership=reseller, external_id="b")
    revenue_events_ingest(vendor=vendor, items=_month("a", 10000, 4) + _month("b", 10000, 4))
    assert not Commission.objects.for_vendor(vendor).exists()
    CommissionPlanFactory(program=program, rate="0.150000", cap_per_customer_amount=4000)
    CommissionPlanFactory(program=program, persona=persona, rate="0.300000")
    CommissionPlanFactory(program=program, kind="bounty_customer", rate=0, bounty_amount=5000)
    assert commissions_recompute(vendor=vendor) == 3 + 4 + 2
    assert _by_customer(vendor) == {
        ("a", "percent"): [1500, 1500, 1000],
        ("a", "bounty"): [5000],
        ("b", "percent"): [3000, 3000, 3000, 3000],
        ("b", "bounty"): [5000],
    }
    # The monthly rollup counts each commission once (percent and bounty rows are two
    # inserts of one statement): 15+15+10 + 4 x 30 + 2 x 50.
    assert LedgerMonth.objects.for_vendor(vendor).get().commission_amount == 26000
    assert commissions_recompute(vendor=vendor) == 0  # re-run safe


def test_tiers_and_durations_apply_per_plan_in_one_statement(vendor, agency):
    """Three months computed together by ``commissions_recompute``: the generic plan (15 %,
    first month only, no tier) and a persona plan (20 %, 25 % from the investment stage on,
    no end) each apply their own rule to their own partnership's customer."""
    from tests.factories import PartnerPersonaFactory

    program = agency.program
    program.commission_plans.all().delete()
    persona = PartnerPersonaFactory(vendor=vendor, program=program)
    reseller = PartnershipFactory(program=program, persona=persona)
    _set_stage(reseller, "investment")
    CustomerFactory(partnership=agency, external_id="a")
    CustomerFactory(partnership=reseller, external_id="b")
    revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice(f"in-{c}-{m}", c, 10000, T0 + dt.timedelta(days=31 * m))
            for c in ("a", "b")
            for m in range(3)
        ],
    )
    CommissionPlanFactory(program=program, rate="0.150000", duration_months=1)
    tiered = CommissionPlanFactory(program=program, persona=persona, rate="0.200000")
    CommissionPlanTierFactory(plan=tiered, from_stage="investment", rate="0.250000")
    commissions_recompute(vendor=vendor)
    # a: first paid Jan 5 12:00, so Feb 5 12:00 is past the one month; b: 25 % each month
    assert _by_customer(vendor) == {
        ("a", "percent"): [1500],
        ("b", "percent"): [2500, 2500, 2500],
    }


def test_refunds_after_the_cap_free_room_under_it(vendor, agency):
    """The cap counts what the customer's commissions add up to, clawbacks included: a refund
    after the cap was reached lets later invoices earn again, up to the cap."""
    plan = agency.program.commission_plans.get()
    plan.cap_per_customer_amount = 4000
    plan.save()
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=_month("c0", 10000, 3))  # 15+15+10
    revenue_events_ingest(
        vendor=vendor,
        items=[refund("rf-1", "c0", 5000, of="in-c0-2", when=T0 + dt.timedelta(days=20))],
    )  # half of the third invoice: -5.00 (half of its 10.00); 35.00 earned
    revenue_events_ingest(
        vendor=vendor, items=_month("c0", 10000, 2, tag="feb", month=1)
    )  # 40.00 - 35.00 = 5.00 left: 5.00, then nothing
    revenue_events_ingest(
        vendor=vendor,
        items=[refund("rf-2", "c0", 10000, of="in-c0-0", when=T0 + dt.timedelta(days=50))],
    )  # the first invoice in full: -15.00; 25.00 earned
    revenue_events_ingest(
        vendor=vendor, items=_month("c0", 10000, 2, tag="mar", month=2)
    )  # 15.00 left: 15.00, then nothing
    assert amounts(vendor, kind="percent") == [1500, 1500, 1000, 500, 1500]
    assert amounts(vendor, kind="clawback") == [-500, -1500]
    assert sum(amounts(vendor)) == 4000


def test_persona_plan_replaces_the_generic_plan_for_that_persona(vendor, agency):
    from tests.factories import PartnerPersonaFactory

    persona = PartnerPersonaFactory(vendor=vendor, program=agency.program)
    CommissionPlanFactory(program=agency.program, persona=persona, rate="0.300000")
    other = PartnershipFactory(program=agency.program, persona=persona)
    CustomerFactory(partnership=agency, external_id="a")
    CustomerFactory(partnership=other, external_id="b")
    revenue_events_ingest(
        vendor=vendor, items=[invoice("in-a", "a", 10000), invoice("in-b", "b", 10000)]
    )
    assert amounts(vendor) == [1500, 3000]


def test_annual_invoice_counts_as_twelve_months_of_mrr(vendor, agency):
    _customers(agency, 1)
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice("in-1", "c0", 120000, period_start="2026-01-01", period_end="2027-01-01")],
    )
    assert Customer.objects.for_vendor(vendor).get().mrr_amount == 10000
    assert RevenueEvent.objects.for_vendor(vendor).get().mrr_amount == 10000
    assert amounts(vendor) == [18000]  # the commission follows the money received


def test_the_database_refuses_to_change_or_delete_a_commission(vendor, agency):
    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 10000)])
    commission = Commission.objects.for_vendor(vendor).get()
    for change in (
        lambda: Commission.objects.for_vendor(vendor).update(amount=1),
        lambda: Commission.objects.for_vendor(vendor).update(status="paid"),
        lambda: commission.delete(),
        lambda: RevenueEvent.objects.for_vendor(vendor).update(amount=5),
    ):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            change()
    assert Commission.objects.for_vendor(vendor).get().amount == 1500


def test_one_bad_row_refuses_the_whole_status_move_statement(vendor, agency):
    """The guard checks a statement as a whole: one forbidden move (pending → paid) among
    allowed ones (pending → available) writes nothing, with the row-by-row guard's message."""
    _customers(agency, 2)
    revenue_events_ingest(
        vendor=vendor, items=[invoice("in-1", "c0", 10000), invoice("in-2", "c1", 20000)]
    )
    first, second = Commission.objects.for_vendor(vendor).order_by("id")
    with (
        pytest.raises((IntegrityError, InternalError), match="cannot move from pending to paid"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE payouts_commission SET status = CASE WHEN id = %s THEN 'available' "
            "ELSE 'paid' END WHERE vendor_id = %s",
            [first.pk, vendor.pk],
        )
    assert set(Commission.objects.for_vendor(vendor).values_list("status", flat=True)) == {
        "pending"
    }
    for sql, message in (
        ("UPDATE payouts_commission SET base_amount = 1 WHERE id = %s", "append-only"),
        ("UPDATE payouts_commission SET id = id + 100000 WHERE id = %s", "append-only"),
        (
            # (the foreign key is only checked at commit; the guard refuses first)
            "UPDATE payouts_commission SET payout_id = 999999999 WHERE id = %s",
            "payout can only be set with in_payout",
        ),
    ):
        with (
            pytest.raises((IntegrityError, InternalError), match=message),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [second.pk])
    assert Commission.objects.for_vendor(vendor).get(pk=second.pk).base_amount == 20000


def test_commission_status_moves_are_audited(vendor, agency):
    from partnerhub.audit.models import AuditEntry

    _customers(agency, 1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c0", 10000)])
    moved = commissions_release(vendor=vendor, now=T0 + dt.timedelta(days=31))
    assert moved == 1
    commission = Commission.objects.for_vendor(vendor).get()
    assert commission.status == "available"
    # One row per release batch, listing the commissions it moved and where each came from.
    entry = AuditEntry.objects.for_vendor(vendor).get(action="commission.status_changed")
    assert entry.target_type == "commission_release"
    assert entry.before == {"status": {commission.public_id: "pending"}}
    assert entry.after == {"status": "available", "count": 1, "commissions": [commission.public_id]}
    assert entry.reason == "Hold period over."


def test_a_release_batch_is_one_audit_row_that_still_answers_per_commission(vendor, agency):
    from partnerhub.audit.models import AuditEntry
    from payouts.selectors.ledger import commission_history

    _customers(agency, 3)
    revenue_events_ingest(
        vendor=vendor, items=[invoice(f"in-{i}", f"c{i}", 10000) for i in range(3)]
    )
    assert commissions_release(vendor=vendor, now=T0 + dt.timedelta(days=31)) == 3
    assert (
        AuditEntry.objects.for_vendor(vendor).filter(action="commission.status_changed").count()
        == 1
    )
    for commission in Commission.objects.for_vendor(vendor):
        [change] = commission_history(vendor=vendor, commission_id=commission.public_id)
        assert (change.from_status, change.to_status) == ("pending", "available")
        assert change.reason == "Hold period over."
        assert change.via.startswith("commission_release ")


def test_the_database_refuses_to_pay_a_pending_commission_before_its_hold_is_over(vendor, agency):
    from payouts.models import Payout, PayoutRun

    _customers(agency, 1)
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice("in-1", "c0", 10000, timezone.now() - dt.timedelta(days=1))],
    )
    commission = Commission.objects.for_vendor(vendor).get()  # hold: 30 days, not over
    run = PayoutRun.objects.for_vendor(vendor).create(
        vendor=vendor,
        program=agency.program,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 1),
    )
    payout = Payout.objects.for_vendor(vendor).create(
        vendor=vendor,
        run=run,
        program=agency.program,
        partnership=agency,
        amount=1500,
        currency=commission.currency,
    )
    with (
        pytest.raises((IntegrityError, InternalError), match="from pending to in_payout"),
        transaction.atomic(),
    ):
        Commission.objects.for_vendor(vendor).update(status="in_payout", payout=payout)
    assert Commission.objects.for_vendor(vendor).get().status == "pending"
