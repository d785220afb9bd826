"""Property-based: random plans, invoices, refunds and currencies against an independent
calculation in Python ``Decimal``, then a payout run: no cent lost or created."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerhub.core.actor import Actor
from payouts.models import Commission, Payout
from payouts.services import runs
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
    VendorFactory,
)
from tests.payouts.helpers import T0

_counter = itertools.count()


def half_even(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.5"), places=4)
invoices = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # customer
        st.integers(min_value=1, max_value=2_000_000),  # amount
        st.booleans(),  # in the program currency?
        st.lists(st.integers(min_value=1, max_value=100), max_size=3),  # refund % parts
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.slow
@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rates=st.lists(rates, min_size=1, max_size=2),
    currency=st.sampled_from(["USD", "EUR", "JPY"]),
    threshold=st.integers(min_value=0, max_value=50_000),
    data=invoices,
)
def test_ledger_and_payouts_match_an_independent_calculation(rates, currency, threshold, data):
    n = next(_counter)
    vendor = VendorFactory(slug=f"prop-{n}")
    program = ProgramFactory(
        vendor=vendor, currency=currency, hold_period_days=0, payout_threshold_amount=threshold
    )
    plans = [CommissionPlanFactory(program=program, rate=r) for r in rates]
    partnerships = [PartnershipFactory(program=program) for _ in range(2)]
    for p in partnerships:
        PartnerPayoutDetailsFactory(vendor=vendor, partner=p.partner)
    customers = [
        CustomerFactory(partnership=partnerships[i % 2], external_id=f"c{i}") for i in range(3)
    ]
    other = "GBP"
    expected: dict[int, list[int]] = {p.pk: [] for p in partnerships}
    refund_items = []
    invoice_items = []
    for k, (ci, amount, same_currency, parts) in enumerate(data):
        cur = currency if same_currency else other
        invoice_items.append(
            {
                "external_id": f"in{k}",
                "customer": f"c{ci}",
                "amount": amount,
                "currency": cur,
                "occurred_at": (T0 + dt.timedelta(hours=k)).isoformat(),
            }
        )
        if not same_currency:
            continue  # refused: currency mismatch with the program
        ptn = customers[ci].partnership_id
        refunded = 0
        for j, pct in enumerate(parts):
            part = min(amount - refunded, max(1, amount * pct // 100))
            if part <= 0:
                break
            refund_items.append(
                {
                    "external_id": f"rf{k}-{j}",
                    "kind": "refund" if j % 2 == 0 else "chargeback",
                    "customer": f"c{ci}",
                    "amount": part,
                    "currency": cur,
                    "occurred_at": (T0 + dt.timedelta(hours=k, minutes=j + 1)).isoformat(),
                    "refunds": f"in{k}",
                }
            )
            before, refunded = refunded, refunded + part
            for r in rates:
                c = half_even(r * amount)
                if c == 0:
                    continue
                claw = half_even(Decimal(c) * refunded / amount) - half_even(
                    Decimal(c) * before / amount
                )
                if claw:
                    expected[ptn].append(-claw)
        for r in rates:
            c = half_even(r * amount)
            if c:
                expected[ptn].append(c)

    report = revenue_events_ingest(vendor=vendor, items=invoice_items)
    assert report.count("refused") == sum(1 for d in data if not d[2])
    refunds = revenue_events_ingest(vendor=vendor, items=refund_items)
    assert refunds.count("stored") == len(refund_items)

    ledger = Commission.objects.for_vendor(vendor)
    for p in partnerships:
        got = sorted(ledger.filter(partnership=p).values_list("amount", flat=True))
        assert got == sorted(expected[p.pk])
    assert ledger.values("revenue_event", "plan").distinct().count() == ledger.count()
    assert {c.currency for c in ledger} <= {currency}
    del plans

    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    total_before = sum(sum(v) for v in expected.values())
    for p in partnerships:
        net = sum(expected[p.pk])
        payout = Payout.objects.for_vendor(vendor).filter(partnership=p).first()
        if net > 0 and net >= threshold:
            assert payout is not None
            assert payout.amount == net
        else:
            assert payout is None  # carried forward (or nothing to pay), never negative
    for payout in Payout.objects.for_vendor(vendor):
        assert payout.amount > 0
        assert sum(ledger.filter(payout=payout).values_list("amount", flat=True)) == payout.amount
    in_payouts = sum(ledger.filter(payout__isnull=False).values_list("amount", flat=True))
    outside = sum(ledger.filter(payout__isnull=True).values_list("amount", flat=True))
    assert in_payouts + outside == total_before  # no cent lost or created
