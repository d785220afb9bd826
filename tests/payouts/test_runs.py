"""Payout runs: sums, threshold carry-forward, holds, approval, manual and Stripe payment."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe
from django.core.exceptions import ValidationError

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import Event
from payouts.models import Commission, Payout, PayoutRun
from payouts.services import runs
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(vendor):
    program = ProgramFactory(vendor=vendor, hold_period_days=0, payout_threshold_amount=5000)
    CommissionPlanFactory(program=program, rate="0.150000")
    return program


def _partner(program, *, details=True, **details_kw):
    partnership = PartnershipFactory(program=program)
    if details:
        PartnerPayoutDetailsFactory(
            vendor=program.vendor, partner=partnership.partner, **details_kw
        )
    return partnership


def _earn(vendor, partnership, amounts, prefix):
    CustomerFactory(partnership=partnership, external_id=f"{prefix}-cus")
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice(f"{prefix}-{i}", f"{prefix}-cus", a) for i, a in enumerate(amounts)],
    )


def _run(vendor, program, period="2026-01"):
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period=period
    )
    return runs.payout_run_execute(vendor=vendor, run_id=run.pk)


def test_run_pays_each_partnership_the_sum_of_its_available_commissions(
    vendor, other_vendor, program
):
    a, b = _partner(program), _partner(program)
    _earn(vendor, a, [10000, 25000, 4999], "a")  # 1500 + 3750 + 750 = 6000
    _earn(vendor, b, [30000, 30000], "b")  # 4500 + 4500
    revenue_events_ingest(vendor=vendor, items=[refund("b-r", "b-cus", 10000, of="b-0")])
    theirs = ProgramFactory(vendor=other_vendor, hold_period_days=0)
    CommissionPlanFactory(program=theirs)
    _earn(other_vendor, _partner(theirs), [90000], "x")

    run = _run(vendor, program)

    assert run.status == "completed"
    payouts = {p.partnership_id: p for p in Payout.objects.for_vendor(vendor)}
    assert payouts[a.pk].amount == 6000
    assert payouts[b.pk].amount == 9000 - 1500  # the clawback (1/3 of 4500) nets in the same payout
    for p in payouts.values():
        linked = Commission.objects.for_vendor(vendor).filter(payout=p)
        assert sum(linked.values_list("amount", flat=True)) == p.amount
        assert set(linked.values_list("status", flat=True)) == {"in_payout"}
    assert not Payout.objects.for_vendor(other_vendor).exists()
    assert Event.objects.for_vendor(vendor).filter(type="payout.created").count() == 2
    # One audit row per payout, listing exactly its commissions (6 commissions, 2 payouts).
    entries = AuditEntry.objects.for_vendor(vendor).filter(
        action="commission.status_changed", target_type="payout"
    )
    assert entries.count() == 2
    for entry in entries:
        payout = Payout.objects.for_vendor(vendor).get(public_id=entry.target_id)
        linked = sorted(
            Commission.objects.for_vendor(vendor)
            .filter(payout=payout)
            .values_list("public_id", flat=True)
        )
        assert entry.after == {"status": "in_payout", "count": len(linked), "commissions": linked}
        assert entry.before == {"status": dict.fromkeys(linked, "pending")}


def test_a_commission_past_its_hold_goes_to_the_payout_in_one_move_and_its_history_says_so(
    vendor, program, admin
):
    from payouts.selectors.ledger import commission_history

    a = _partner(program)
    _earn(vendor, a, [40000], "a")  # 6000
    commission = Commission.objects.for_vendor(vendor).get()
    assert commission.status == "pending"  # hold of 0 days: over, but not released yet
    run = _run(vendor, program)
    payout = Payout.objects.for_vendor(vendor).get()
    commission.refresh_from_db()
    assert (commission.status, commission.payout_id) == ("in_payout", payout.pk)
    runs.payouts_approve(vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin))
    runs.payout_mark_paid(
        actor=Actor.system(), vendor=vendor, payout_id=payout.public_id, reference="BANK-1"
    )

    history = commission_history(vendor=vendor, commission_id=commission.public_id)
    assert [(h.from_status, h.to_status) for h in history] == [
        ("pending", "in_payout"),
        ("in_payout", "paid"),
    ]
    assert history[0].via == f"payout {payout.public_id}"
    assert history[0].reason == f"Payout run {run.public_id}"
    assert history[1].reason == f"Payout {payout.public_id} paid"
    assert history[0].at <= history[1].at
    assert commission_history(vendor=vendor, commission_id="com_unknown") == []


def test_sums_below_the_threshold_are_carried_forward_to_the_next_run(vendor, program):
    small = _partner(program)
    _earn(vendor, small, [20000], "s")  # 3000 < 5000 threshold
    first = _run(vendor, program, "2026-01")
    assert first.carried_forward == 1
    assert not Payout.objects.for_vendor(vendor).exists()
    # released at the end of the run (audited as one row for the run), not paid
    assert Commission.objects.for_vendor(vendor).get().status == "available"
    release = AuditEntry.objects.for_vendor(vendor).get(target_type="commission_release")
    assert (release.target_id, release.after["count"]) == (first.public_id, 1)
    revenue_events_ingest(
        vendor=vendor, items=[invoice("s-next", "s-cus", 20000, T0 + dt.timedelta(days=31))]
    )
    _run(vendor, program, "2026-02")
    assert Payout.objects.for_vendor(vendor).get().amount == 6000


def test_partner_minimum_above_the_program_threshold_carries_forward(vendor, program):
    p = _partner(program, minimum_payout_amount=10000)
    _earn(vendor, p, [50000], "m")  # 7500 ≥ 5000 program but < 10000 partner minimum
    _run(vendor, program)
    assert not Payout.objects.for_vendor(vendor).exists()


def test_rerunning_a_completed_run_creates_nothing_more(vendor, program):
    _earn(vendor, _partner(program), [50000], "r")
    run = _run(vendor, program)
    again, created = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    assert (again.pk, created) == (run.pk, False)
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    assert Payout.objects.for_vendor(vendor).count() == 1
    assert PayoutRun.objects.for_vendor(vendor).count() == 1


def test_payout_is_held_until_payout_details_are_complete(vendor, program, admin):
    p = _partner(program, details=False)
    _earn(vendor, p, [50000], "h")
    _run(vendor, program)
    payout = Payout.objects.for_vendor(vendor).get()
    assert payout.status == "held"
    assert "payout details" in payout.held_reason
    result = runs.payouts_approve(
        vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin)
    )
    assert result.held == [payout]
    PartnerPayoutDetailsFactory(
        vendor=vendor,
        partner=p.partner,
        country="DE",
        tax_form="w8ben",
        tax_form_status="submitted",
    )
    result = runs.payouts_approve(
        vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin)
    )
    assert [x.status for x in result.approved] == ["approved"]


def test_w9_is_needed_for_a_us_partner(vendor, program):
    p = _partner(program, country="US", tax_form="w8ben")
    _earn(vendor, p, [50000], "w")
    _run(vendor, program)
    assert "W-9" in Payout.objects.for_vendor(vendor).get().held_reason


def test_approve_then_mark_paid_pays_the_commissions(vendor, program, admin):
    _earn(vendor, _partner(program), [50000], "p")
    _run(vendor, program)
    payout = Payout.objects.for_vendor(vendor).get()
    with pytest.raises(ValidationError):
        runs.payout_mark_paid(
            actor=Actor.system(), vendor=vendor, payout_id=payout.public_id, reference="x"
        )
    runs.payouts_approve(vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin))
    paid = runs.payout_mark_paid(
        vendor=vendor, payout_id=payout.public_id, reference="BANK-42", actor=Actor.for_user(admin)
    )
    assert (paid.status, paid.provider_reference) == ("paid", "BANK-42")
    assert set(Commission.objects.for_vendor(vendor).values_list("status", flat=True)) == {"paid"}
    assert Event.objects.for_vendor(vendor).filter(type="payout.paid").count() == 1
    # paying twice is a no-op
    runs.payout_mark_paid(
        actor=Actor.system(), vendor=vendor, payout_id=payout.public_id, reference="again"
    )
    assert Payout.objects.for_vendor(vendor).get().provider_reference == "BANK-42"


def test_stripe_connect_transfer_uses_the_payout_idempotency_key(
    vendor, program, admin, fake_stripe
):
    p = _partner(program, method="stripe", stripe_account_id="acct_123")
    _earn(vendor, p, [50000], "st")
    _run(vendor, program)
    payout = Payout.objects.for_vendor(vendor).get()
    runs.payouts_approve(vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin))
    # A worker crashed after asking Stripe: the payout is still "processing"; retrying asks
    # again with the same key and Stripe answers with the same transfer.
    Payout.objects.for_vendor(vendor).filter(pk=payout.pk).update(status="processing")
    stripe.Transfer.create(
        amount=7500,
        currency="usd",
        destination="acct_123",
        idempotency_key=f"payout:{payout.public_id}",
    )
    paid = runs.payout_send_stripe(
        vendor=vendor, payout_id=payout.public_id, actor=Actor.for_user(admin)
    )
    assert paid.status == "paid"
    assert paid.provider_reference == "tr_1"
    assert {r["key"] for r in fake_stripe.requests} == {f"payout:{payout.public_id}"}
    assert len(fake_stripe.transfers) == 1
    assert "amount=7500" in fake_stripe.requests[-1]["body"]
    assert "destination=acct_123" in fake_stripe.requests[-1]["body"]


def test_a_run_takes_a_bounded_number_of_queries_whatever_the_number_of_commissions(
    vendor, program, django_assert_max_num_queries
):
    """Set-based: the statements per chunk do not grow with partnerships or commissions;
    the payout.created events carry what ``payout_data`` renders."""
    partnerships = [_partner(program) for _ in range(6)]
    for n, p in enumerate(partnerships):
        _earn(vendor, p, [40000] * (n + 1), f"q{n}")  # 6000 per invoice ≥ the 5000 threshold
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    with django_assert_max_num_queries(25):
        run = runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    assert run.payouts_created == 6
    payout = Payout.objects.for_vendor(vendor).get(partnership=partnerships[2])
    assert payout.amount == 3 * 6000
    event = Event.objects.for_vendor(vendor).get(type="payout.created", data__id=payout.public_id)
    assert event.data == runs.payout_data(payout)
