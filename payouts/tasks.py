"""Celery entry points of payouts. They take ids, run in the vendor's scope and are re-run
safe (the ledger's constraints and status filters make a redelivery harmless)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.tenancy.tasks import vendor_task
from payouts.models import PayoutRun
from payouts.selectors.ledger import revenue_batches_pending
from payouts.services import runs
from payouts.services.commissions import commissions_release
from payouts.services.settlement import revenue_events_settle
from programs.models import Program


@shared_task(name="payouts.tasks.payout_run_execute_task")
@vendor_task
def payout_run_execute_task(vendor: Vendor, run_id: int) -> str:
    return runs.payout_run_execute(vendor=vendor, run_id=run_id).status


@shared_task(name="payouts.tasks.commissions_release_task")
@vendor_task
def commissions_release_task(vendor: Vendor) -> int:
    return commissions_release(vendor=vendor)


# Up to 1,000 events a batch: at most ~20,000 events (a few seconds) per transaction.
SETTLE_MAX_BATCHES = 20


@shared_task(name="payouts.tasks.revenue_events_settle_task")
@vendor_task
def revenue_events_settle_task(vendor: Vendor) -> int:
    """Commissions of the vendor's pending bulk-ingested batches (enqueued on their commit),
    at most ``SETTLE_MAX_BATCHES`` per transaction: a backlog (workers down for an hour, a
    large import) is worked off in bounded transactions, each committed before the next is
    enqueued, instead of one that holds the vendor's settlement lock for minutes."""
    created = revenue_events_settle(vendor=vendor, max_batches=SETTLE_MAX_BATCHES)
    if revenue_batches_pending(vendor=vendor):
        revenue_events_settle_task.delay(vendor.pk)  # type: ignore[arg-type]
    return created


# A batch older than this is presumed lost (message lost, worker killed before its commit):
# the enqueued task normally settles it within a second or two.
SETTLE_SWEEP_AGE = dt.timedelta(seconds=30)


@shared_task(name="payouts.tasks.revenue_events_settle_sweep_task")
def revenue_events_settle_sweep_task() -> int:
    """Beat, every minute: a settle task per vendor with a batch pending for longer than
    ``SETTLE_SWEEP_AGE``. Harmless when the first task runs too: settlement is serialised
    per vendor and the second finds nothing pending."""
    # Cross-tenant on purpose: finds which vendors have work; each settle runs in its scope.
    from payouts.models import RevenueBatch

    vendor_ids = list(
        RevenueBatch.objects.unscoped()
        .filter(
            status=RevenueBatch.Status.PENDING, created_at__lt=timezone.now() - SETTLE_SWEEP_AGE
        )
        .values_list("vendor_id", flat=True)
        .distinct()
    )
    for vendor_id in vendor_ids:
        revenue_events_settle_task.delay(vendor_id)
    return len(vendor_ids)


@shared_task(name="payouts.tasks.payout_runs_due_task")
def payout_runs_due_task(period: str | None = None) -> int:
    """Beat, daily: start the run of the period that just ended for every active program on
    a monthly/quarterly schedule (a run that exists already is left as it is)."""
    today = timezone.localdate()
    if period is None:
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        period = last_month.strftime("%Y-%m")
    started = 0
    # Cross-tenant on purpose: the schedule serves every vendor; each run is per vendor.
    programs = (
        Program.objects.unscoped()
        .filter(status=Program.Status.ACTIVE)
        .exclude(payout_schedule=Program.PayoutSchedule.MANUAL)
        .select_related("vendor")
    )
    for program in programs:
        start, end = runs.period_bounds(period, program.payout_schedule)
        if end > today:
            continue  # the quarter is not over yet
        exists = PayoutRun.objects.for_vendor(program.vendor).filter(
            program=program, period_start=start, status=PayoutRun.Status.COMPLETED
        )
        if not exists.exists():
            runs.payout_run_start(
                vendor=program.vendor,
                program_id=program.public_id,
                period=start,
                actor=Actor.rule("payout schedule"),
            )
            started += 1
    return started


@shared_task(name="payouts.tasks.commissions_release_fanout_task")
def commissions_release_fanout_task() -> int:
    """Beat, hourly: one release task per vendor with commissions still in their hold."""
    # Cross-tenant on purpose: finds which vendors have work; each release runs in its scope.
    from payouts.models import Commission

    vendor_ids = list(
        Commission.objects.unscoped()
        .filter(status="pending", available_at__lte=timezone.now())
        .values_list("vendor_id", flat=True)
        .distinct()
    )
    for vendor_id in vendor_ids:
        commissions_release_task.delay(vendor_id)
    return len(vendor_ids)
