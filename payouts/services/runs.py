"""Payout runs: a run per program and period builds one payout per partner and currency from
the available commissions, in bounded chunks; approval, marking paid and Stripe transfers."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

import stripe
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import event_record_select
from payouts import locks, sql
from payouts.models import (
    CommissionStatus,
    PartnerPayoutDetails,
    Payout,
    PayoutRun,
    PayoutStatus,
)
from payouts.services import ledger
from payouts.services.events import PAYOUT_EVENTS_SQL, payout_data
from programs.models import Program

CHUNK_SIZE = int(os.environ.get("PAYOUTS_RUN_CHUNK_SIZE", "1000"))
# The run's own ledger moves (linking commissions, releasing the rest): whoever started it,
# the run does them, in chunks, on a worker.
_PAYOUT_RUN = Actor.system("payout run")


def _chunk_pause() -> float:
    # Only the SIGKILL test sets this, to have time to kill a worker between chunks.
    return float(os.environ.get("PAYOUTS_RUN_CHUNK_PAUSE_SECONDS", "0"))


def period_bounds(period: str | dt.date, schedule: str = "monthly") -> tuple[dt.date, dt.date]:
    """``2026-10`` (or any date in it) → (first day, first day of the next period)."""
    if isinstance(period, str):
        try:
            start = dt.date.fromisoformat(period + "-01" if len(period) == 7 else period)
        except ValueError as exc:
            raise ValidationError({"period": "Give the period as YYYY-MM, e.g. 2026-10."}) from exc
    else:
        start = period
    months = 3 if schedule == Program.PayoutSchedule.QUARTERLY else 1
    first_month = start.month - (start.month - 1) % months
    start = start.replace(month=first_month, day=1)
    month_index = start.month - 1 + months
    end = dt.date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return start, end


# --- runs -----------------------------------------------------------------------------------


@transaction.atomic
def payout_run_start(
    *,
    vendor: Vendor,
    program_id: str,
    period: str | dt.date,
    actor: Actor,
) -> tuple[PayoutRun, bool]:
    """Create the run of a program for a period (or return the existing one) and enqueue its
    work after commit. Returns (run, created)."""
    program = Program.objects.for_vendor(vendor).filter(public_id=program_id).first()
    if program is None:
        raise ValidationError({"program": f"No program {program_id!r}."})
    start, end = period_bounds(period, program.payout_schedule)
    if end > timezone.localdate() + dt.timedelta(days=1) and start > timezone.localdate():
        raise ValidationError({"period": "That period has not started yet."})
    public_id = PayoutRun.new_public_id()
    PayoutRun.objects.unscoped().bulk_create(
        [
            PayoutRun(
                vendor=vendor,
                public_id=public_id,
                program=program,
                period_start=start,
                period_end=end,
                started_by=actor.user,
            )
        ],
        ignore_conflicts=True,
    )
    run = PayoutRun.objects.for_vendor(vendor).get(program=program, period_start=start)
    created = run.public_id == public_id
    change_record(
        vendor=vendor,
        actor=actor,
        action="payout_run.started",
        target_type="payout_run",
        target_id=run.public_id,
        after={"program": program.public_id, "period_start": start.isoformat()},
    )
    if run.status != PayoutRun.Status.COMPLETED:
        from payouts.tasks import payout_run_execute_task

        vendor_id, run_id = vendor.pk, run.pk
        transaction.on_commit(lambda: payout_run_execute_task.delay(vendor_id, run_id))  # type: ignore[arg-type]
    return run, created


def payout_run_execute(*, vendor: Vendor, run_id: int) -> PayoutRun:
    """Do (or finish) the work of a run. Re-run safe and safe to run twice at once."""
    with transaction.atomic():
        run = locks.payout_run_lock(vendor=vendor, run_id=run_id, with_program=True)
        if run.status == PayoutRun.Status.COMPLETED:
            return run
        partnership_ids = list(
            run.program.partnerships.filter(vendor=vendor)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        run.status = PayoutRun.Status.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.partnerships_total = len(partnership_ids)
        run.save(update_fields=["status", "started_at", "partnerships_total", "updated_at"])
    cutoff = dt.datetime.combine(run.period_end, dt.time.min, tzinfo=dt.UTC)
    now = timezone.now()
    for offset in range(0, len(partnership_ids), CHUNK_SIZE):
        chunk = partnership_ids[offset : offset + CHUNK_SIZE]
        _run_chunk(vendor=vendor, run=run, chunk=chunk, cutoff=cutoff, now=now)
        pause = _chunk_pause()
        if pause:
            time.sleep(pause)
    with transaction.atomic():
        run = locks.payout_run_lock(vendor=vendor, run_id=run_id)
        if run.status != PayoutRun.Status.COMPLETED:
            run.status = PayoutRun.Status.COMPLETED
            run.partnerships_done = run.partnerships_total
            run.payouts_created = Payout.objects.for_vendor(vendor).filter(run=run).count()
            # What the run did not pay (carried forward, or past the period) is released now,
            # audited as one row for the run; the hourly release task does the same between runs.
            ledger.commissions_release(
                vendor_id=vendor.pk, now=now, batch=run.public_id, actor=_PAYOUT_RUN
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.CARRIED_FORWARD_SQL,
                    {"vendor": vendor.pk, "cutoff": cutoff, "program": run.program_id},
                )
                run.carried_forward = cursor.fetchone()[0]
            run.finished_at = timezone.now()
            run.save()
    return run


def _run_chunk(
    *, vendor: Vendor, run: PayoutRun, chunk: list[int], cutoff: dt.datetime, now: dt.datetime
) -> None:
    with transaction.atomic():
        locked = locks.payout_run_lock(vendor=vendor, run_id=run.pk)
        if locked.status == PayoutRun.Status.COMPLETED:
            return
        new_ids = _chunk_payouts(vendor=vendor, run=run, chunk=chunk, cutoff=cutoff, now=now)
        if new_ids:
            event_record_select(
                vendor=vendor,
                select_sql=PAYOUT_EVENTS_SQL,
                params={"vendor": vendor.pk, "ids": new_ids},
            )
        done = locked.partnerships_done + len(chunk)
        locked.partnerships_done = min(done, locked.partnerships_total)
        locked.save(update_fields=["partnerships_done", "updated_at"])


def _chunk_payouts(
    *, vendor: Vendor, run: PayoutRun, chunk: list[int], cutoff: dt.datetime, now: dt.datetime
) -> list[int]:
    """The statements of one chunk (in the caller's transaction); returns the new
    payout ids. Each payout gets exactly the commissions its amount was summed from."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.CHUNK_SUMS_SQL,
            {
                "vendor": vendor.pk,
                "ptns": chunk,
                "cutoff": cutoff,
                "now": now,
                "threshold": run.program.payout_threshold_amount,
            },
        )
        sums = cursor.fetchall()
        if not sums:
            return []
        missing = _details_missing(vendor, {row[6] for row in sums})
        reasons = [_held_reason(missing[row[6]]) for row in sums]
        cursor.execute(
            sql.CHUNK_PAYOUTS_SQL,
            {
                "vendor": vendor.pk,
                "run": run.pk,
                "program": run.program_id,
                "ptns": [row[0] for row in sums],
                "currencies": [row[1] for row in sums],
                "totals": [row[2] for row in sums],
                "counts": [row[3] for row in sums],
                "statuses": [PayoutStatus.HELD if r else PayoutStatus.DRAFT for r in reasons],
                "reasons": reasons,
            },
        )
        created = {(ptn, cur): (pk, public_id) for pk, public_id, ptn, cur in cursor.fetchall()}
    commission_ids: list[int] = []
    old_statuses: list[str] = []
    payout_ids: list[int] = []
    payout_public_ids: list[str] = []
    for ptn, cur, _total, _n, ids, statuses, _partner in sums:
        payout = created.get((ptn, cur))
        if payout is not None:
            commission_ids.extend(ids)
            old_statuses.extend(statuses)
            payout_ids.extend([payout[0]] * len(ids))
            payout_public_ids.extend([payout[1]] * len(ids))
    # One write per commission (pending or available → in_payout with its payout) and one
    # audit row per payout listing its commissions, in one statement.
    moved = ledger.commission_status_move(
        vendor_id=vendor.pk,
        from_status=[CommissionStatus.PENDING, CommissionStatus.AVAILABLE],
        to_status=CommissionStatus.IN_PAYOUT,
        where_sql="c.id = m.id AND c.payout_id IS NULL",
        params={
            "ids": commission_ids,
            "payouts": payout_ids,
            "payout_public_ids": payout_public_ids,
            "old": old_statuses,
        },
        set_sql=", payout_id = m.payout_id",
        from_sql=(
            "unnest(%(ids)s::bigint[], %(payouts)s::bigint[], %(payout_public_ids)s::text[],"
            " %(old)s::text[]) AS m(id, payout_id, payout_public_id, old_status)"
        ),
        target_type="payout",
        target_sql="m.payout_public_id",
        old_status_sql="m.old_status",
        actor=_PAYOUT_RUN,
        reason=f"Payout run {run.public_id}",
    )
    if moved != len(commission_ids):
        # Cannot happen under the row locks taken with the sums; if it did, a payout would
        # not equal the sum of its commissions, so the chunk is rolled back instead.
        raise RuntimeError(f"Payout run {run.public_id}: linked {moved} of {len(commission_ids)}")
    return [pk for pk, _ in created.values()]


def _details_missing(vendor: Vendor, partner_ids: set[int]) -> dict[int, list[str]]:
    details = {
        d.partner_id: d
        for d in PartnerPayoutDetails.objects.for_vendor(vendor).filter(partner_id__in=partner_ids)
    }
    missing = {}
    for partner_id in partner_ids:
        d = details.get(partner_id)
        missing[partner_id] = d.missing if d else ["payout details"]
    return missing


def _held_reason(needed: list[str]) -> str:
    return ("Waiting for the partner's " + ", ".join(needed))[:300] if needed else ""


# --- approval and payment -------------------------------------------------------------------


@dataclass
class ApproveResult:
    approved: list[Payout]
    held: list[Payout]


@transaction.atomic
def payouts_approve(*, vendor: Vendor, payout_ids: list[str], actor: Actor) -> ApproveResult:
    """Approve draft payouts (bulk). Held payouts whose partner completed the details since
    are approved too; those still incomplete stay held with the reason. Audited per payout."""
    payouts = locks.payouts_lock(vendor=vendor, payout_ids=payout_ids)
    if len(payouts) != len(set(payout_ids)):
        raise ValidationError({"payouts": "Unknown payout id(s)."})
    missing = _details_missing(vendor, {p.partnership.partner_id for p in payouts})
    result = ApproveResult([], [])
    for p in payouts:
        if p.status not in (PayoutStatus.DRAFT, PayoutStatus.HELD):
            raise ValidationError({"payouts": f"Payout {p.public_id} is {p.status}."})
        needed = missing[p.partnership.partner_id]
        if needed:
            p.status = PayoutStatus.HELD
            p.held_reason = _held_reason(needed)
            p.save(update_fields=["status", "held_reason", "updated_at"])
            result.held.append(p)
            continue
        before = p.status
        p.status = PayoutStatus.APPROVED
        p.held_reason = ""
        p.approved_by = actor.user
        p.approved_at = timezone.now()
        p.save(update_fields=["status", "held_reason", "approved_by", "approved_at", "updated_at"])
        change_record(
            vendor=vendor,
            actor=actor,
            action="payout.approved",
            target_type="payout",
            target_id=p.public_id,
            before={"status": before},
            after={"status": p.status, "amount": p.amount, "currency": p.currency},
        )
        result.approved.append(p)
    return result


@transaction.atomic
def payout_mark_paid(
    *,
    vendor: Vendor,
    payout_id: str,
    reference: str,
    provider: str = Payout.Provider.MANUAL,
    actor: Actor,
) -> Payout:
    """Record that an approved payout was paid (bank/PayPal with its reference, or Stripe's
    transfer id); its commissions become paid. A paid payout is final: marking it again is a
    no-op."""
    payout = locks.payout_lock(vendor=vendor, payout_id=payout_id)
    if payout.status == PayoutStatus.PAID:
        return payout
    if payout.status not in (PayoutStatus.APPROVED, PayoutStatus.PROCESSING):
        raise ValidationError({"status": f"Approve the payout first (it is {payout.status})."})
    if not reference.strip():
        raise ValidationError({"reference": "Give the payment reference (e.g. bank transfer id)."})
    before = payout.status
    payout.status = PayoutStatus.PAID
    payout.provider = provider
    payout.provider_reference = reference.strip()[:200]
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "provider", "provider_reference", "paid_at", "updated_at"])
    ledger.commission_status_move(
        vendor_id=vendor.pk,
        from_status=CommissionStatus.IN_PAYOUT,
        to_status=CommissionStatus.PAID,
        where_sql="c.payout_id = %(payout)s",
        params={"payout": payout.pk, "target": payout.public_id},
        target_type="payout",
        actor=actor,
        reason=f"Payout {payout.public_id} paid",
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="payout.paid",
        target_type="payout",
        target_id=payout.public_id,
        before={"status": before},
        after={"status": payout.status, "reference": payout.provider_reference},
        event=("payout.paid", payout_data(payout)),
    )
    return payout


def payout_send_stripe(*, vendor: Vendor, payout_id: str, actor: Actor) -> Payout:
    """Pay an approved payout by a Stripe Connect transfer to the partner's account.

    The transfer's idempotency key is ``payout:<id>``: a retry after a crash or timeout
    (status ``processing``) asks Stripe again with the same key and gets the same transfer,
    never a second one. A refused transfer puts the payout back to approved with the reason.
    """
    with transaction.atomic():
        payout = locks.payout_lock(vendor=vendor, payout_id=payout_id)
        if payout.status == PayoutStatus.PAID:
            return payout
        if payout.status not in (PayoutStatus.APPROVED, PayoutStatus.PROCESSING):
            raise ValidationError({"status": f"Approve the payout first (it is {payout.status})."})
        details = (
            PartnerPayoutDetails.objects.for_vendor(vendor)
            .filter(partner_id=payout.partnership.partner_id)
            .first()
        )
        if details is None or not details.stripe_account_id:
            raise ValidationError({"provider": "The partner has no Stripe Connect account."})
        payout.status = PayoutStatus.PROCESSING
        payout.provider = Payout.Provider.STRIPE
        payout.save(update_fields=["status", "provider", "updated_at"])
    try:
        transfer = stripe.Transfer.create(
            amount=payout.amount,
            currency=payout.currency.lower(),
            destination=details.stripe_account_id,
            transfer_group=payout.run.public_id,
            metadata={"payout": payout.public_id},
            idempotency_key=f"payout:{payout.public_id}",
            api_key=os.environ.get("STRIPE_SECRET_KEY") or stripe.api_key,
        )
    except stripe.StripeError as exc:
        with transaction.atomic():
            payout = locks.payout_lock(vendor=vendor, payout_id=payout_id)
            payout.status = PayoutStatus.APPROVED
            payout.failure_reason = str(exc.user_message or exc)[:300]
            payout.save(update_fields=["status", "failure_reason", "updated_at"])
        return payout
    return payout_mark_paid(
        vendor=vendor,
        payout_id=payout_id,
        reference=transfer["id"],
        provider=Payout.Provider.STRIPE,
        actor=actor,
    )
