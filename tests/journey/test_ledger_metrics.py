"""Money metrics read from the payouts ledger through journey.metric_sources. The ledger is
built in the payouts issue; until its source is configured these tests are expected to fail
(xfail "needs payouts ledger"). They name the factories the payouts issue is expected to add
(CustomerFactory, RevenueEventFactory, CommissionFactory in tests/factories.py): adapt the
names when it lands, then drop the markers."""

import datetime as dt

import pytest

from journey.metric_sources import NoLedger, ledger_source
from journey.models import StageTransition
from journey.selectors import slipping_partnerships
from journey.services import journey_evaluate
from journey.stages import Stage
from tests.factories import PartnershipFactory, ProgramFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xfail(reason="needs payouts ledger", strict=False),
]


def test_a_ledger_source_is_configured():
    assert not isinstance(ledger_source(), NoLedger)


def test_first_paying_customer_moves_partnership_to_activation_naming_rule_and_metrics(vendor):
    from tests.factories import CustomerFactory, RevenueEventFactory  # payouts issue

    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    customer = CustomerFactory(partnership=partnership)
    RevenueEventFactory(customer=customer, amount=4900, currency="USD", kind="invoice_paid")

    journey_evaluate(vendor=vendor)

    partnership.refresh_from_db()
    assert partnership.stage == Stage.ACTIVATION
    transition = StageTransition.objects.for_vendor(vendor).get()
    assert transition.rule == "activation entry (default)"
    assert transition.metrics["paying_customers"] == 1
    assert "unavailable" not in transition.metrics


def test_three_paying_customers_move_an_activated_partner_to_investment(vendor, other_vendor):
    from tests.factories import CustomerFactory, RevenueEventFactory  # payouts issue

    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="activation")
    for _ in range(3):
        RevenueEventFactory(customer=CustomerFactory(partnership=partnership), amount=1000)
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor), stage="activation")
    journey_evaluate(vendor=vendor)
    partnership.refresh_from_db()
    theirs.refresh_from_db()
    assert partnership.stage == Stage.INVESTMENT
    assert theirs.stage == Stage.ACTIVATION


def test_six_months_of_mrr_over_the_threshold_reach_devotion(vendor):
    from tests.factories import CustomerFactory, RevenueEventFactory  # payouts issue

    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    customer = CustomerFactory(partnership=partnership)
    now = dt.datetime.now(dt.UTC)
    for months_ago in range(6):
        RevenueEventFactory(
            customer=customer, amount=100_000, occurred_at=now - dt.timedelta(days=30 * months_ago)
        )
    journey_evaluate(vendor=vendor)
    partnership.refresh_from_db()
    assert partnership.stage == Stage.DEVOTION


def test_investment_partner_without_revenue_for_two_months_is_slipping(vendor):
    from tests.factories import CustomerFactory, RevenueEventFactory  # payouts issue

    quiet = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    RevenueEventFactory(
        customer=CustomerFactory(partnership=quiet),
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=90),
    )
    busy = PartnershipFactory(program=quiet.program, stage="investment")
    RevenueEventFactory(customer=CustomerFactory(partnership=busy))
    slipping = slipping_partnerships(vendor=vendor)
    assert slipping is not None
    assert list(slipping) == [quiet]
