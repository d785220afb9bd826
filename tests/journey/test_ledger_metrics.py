"""Money metrics read from the payouts ledger through journey.metric_sources: revenue goes in
through the real ingestion service (``revenue_events_ingest``), the journey reads the
ledger's set-based metrics."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from journey.metric_sources import NoLedger, ledger_source
from journey.models import StageTransition
from journey.selectors import slipping_partnerships
from journey.services.evaluation import journey_evaluate
from partners.stages import Stage
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
    invoice_ingest,
)

pytestmark = pytest.mark.django_db


def test_a_ledger_source_is_configured():
    assert not isinstance(ledger_source(), NoLedger)


def test_first_paying_customer_moves_partnership_to_activation_naming_rule_and_metrics(
    vendor, other_vendor
):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    invoice_ingest(CustomerFactory(partnership=partnership), amount=4900)
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))

    journey_evaluate(vendor=vendor)

    partnership.refresh_from_db()
    theirs.refresh_from_db()
    assert partnership.stage == Stage.ACTIVATION
    assert theirs.stage == Stage.RECRUITMENT
    transition = StageTransition.objects.for_vendor(vendor).get()
    assert transition.rule == "activation entry (default)"
    assert transition.metrics["paying_customers"] == 1
    assert "unavailable" not in transition.metrics


def test_fully_refunded_customer_is_not_paying(vendor):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    customer = CustomerFactory(partnership=partnership)
    invoice_ingest(customer, amount=4900, external_id="inv-1")
    invoice_ingest(customer, amount=4900, kind="refund", refunds="inv-1", external_id="ref-1")

    journey_evaluate(vendor=vendor)

    partnership.refresh_from_db()
    assert partnership.stage == Stage.RECRUITMENT


def test_first_commission_evaluates_the_partnership_on_commit(
    vendor, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program)
    partnership = PartnershipFactory(program=program)
    customer = CustomerFactory(partnership=partnership)
    with mock.patch("journey.tasks.journey_evaluate_partnership_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            invoice_ingest(customer, amount=10_000)
        with django_capture_on_commit_callbacks(execute=True):
            invoice_ingest(customer, amount=10_000)  # not the first commission any more
    delay.assert_called_once_with(vendor.pk, partnership.pk)
    # What the task does: one evaluation of that partnership moves it with the metrics.
    from journey.tasks import journey_evaluate_partnership_task

    assert journey_evaluate_partnership_task(vendor.pk, partnership.pk) == 1
    partnership.refresh_from_db()
    assert partnership.stage == Stage.ACTIVATION
    transition = StageTransition.objects.for_vendor(vendor).get(partnership=partnership)
    assert transition.metrics["commissions_earned"] == 3000  # 15% of 2 x 100.00


def test_three_paying_customers_move_an_activated_partner_to_investment(vendor, other_vendor):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="activation")
    for _ in range(3):
        invoice_ingest(CustomerFactory(partnership=partnership), amount=1000)
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor), stage="activation")
    for _ in range(3):
        invoice_ingest(CustomerFactory(partnership=theirs), amount=1000)
    journey_evaluate(vendor=vendor)
    partnership.refresh_from_db()
    theirs.refresh_from_db()
    assert partnership.stage == Stage.INVESTMENT
    assert theirs.stage == Stage.ACTIVATION


def test_six_months_of_mrr_over_the_threshold_reach_devotion(vendor):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    customer = CustomerFactory(partnership=partnership)
    now = timezone.now()
    for months_ago in range(6):
        invoice_ingest(
            customer, amount=100_000, occurred_at=now - dt.timedelta(days=30 * months_ago)
        )
    journey_evaluate(vendor=vendor)
    partnership.refresh_from_db()
    assert partnership.stage == Stage.DEVOTION


def test_five_months_of_mrr_or_a_gap_stay_in_investment(vendor):
    five = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    gap = PartnershipFactory(program=five.program, stage="investment")
    now = timezone.now()
    for months_ago in range(5):
        invoice_ingest(
            CustomerFactory(partnership=five),
            amount=100_000,
            occurred_at=now - dt.timedelta(days=30 * months_ago),
        )
    customer = CustomerFactory(partnership=gap)
    for months_ago in [0, 1, 2, 4, 5, 6]:
        invoice_ingest(
            customer, amount=100_000, occurred_at=now - dt.timedelta(days=30 * months_ago)
        )
    journey_evaluate(vendor=vendor)
    five.refresh_from_db()
    gap.refresh_from_db()
    assert (five.stage, gap.stage) == (Stage.INVESTMENT, Stage.INVESTMENT)


def test_an_annual_invoice_counts_in_every_month_it_covers(vendor):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    start = timezone.now() - dt.timedelta(days=200)
    invoice_ingest(
        CustomerFactory(partnership=partnership),
        amount=1_200_000,  # 10,000.00 a month over 12 months
        occurred_at=start,
        period_start=start.date().isoformat(),
        period_end=(start.date() + dt.timedelta(days=365)).isoformat(),
    )
    journey_evaluate(vendor=vendor)
    partnership.refresh_from_db()
    assert partnership.stage == Stage.DEVOTION


def test_investment_partner_without_revenue_for_two_months_is_slipping(vendor, other_vendor):
    quiet = PartnershipFactory(program=ProgramFactory(vendor=vendor), stage="investment")
    invoice_ingest(
        CustomerFactory(partnership=quiet),
        occurred_at=timezone.now() - dt.timedelta(days=90),
    )
    busy = PartnershipFactory(program=quiet.program, stage="investment")
    invoice_ingest(CustomerFactory(partnership=busy))
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor), stage="investment")
    slipping = slipping_partnerships(vendor=vendor)
    assert slipping is not None
    assert list(slipping) == [quiet]
