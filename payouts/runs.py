"""Payout runs, approval and payment (manual with CSV export, or Stripe Connect).

Guarantees:
- a run is unique per (vendor, program, period) (database constraint); starting it twice
  returns the same run;
- a run works in chunks of partnerships, each chunk one transaction and one statement that
  sums the chunk's payable commissions (available, or pending with the hold over) per
  partnership and currency, inserts the payouts (``ON CONFLICT DO NOTHING`` on (vendor, run,
  partnership, currency)) and attaches exactly the summed commissions to them in one UPDATE
  (one write per commission, audited as one row per payout), so a payout's amount equals the
  sum of its commissions and a commission is in at most one payout (the UPDATE re-checks
  that it has no payout; a payout whose linked count differs from its summed count rolls the
  chunk back, and the chunk is redone). A worker killed mid-run loses only its open chunk
  (rolled back); running the run again finishes it with the same result, two runners
  serialise on the run row and the runs of one program on an advisory lock;
- sums below the threshold (the program's, or the partner's higher minimum) and non-positive
  sums are carried forward: their commissions are released (available, one audit row for
  the run) and stay for the next run;
- payouts of partners whose payout details are incomplete are *held* with the reason, and
  cannot be approved until the details are complete.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

import stripe
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.audit.services import audit_record
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services import event_record, event_record_select
from partners.models import Partnership
from payouts import ledger
from payouts.models import (
    CommissionStatus,
    PartnerPayoutDetails,
    Payout,
    PayoutRun,
    PayoutStatus,
)
from programs.models import Program

CHUNK_SIZE = int(os.environ.get("PAYOUTS_RUN_CHUNK_SIZE", "1000"))


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


def payout_data(p: Payout) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "object": "payout",
        "run": p.run.public_id,
        "partnership": p.partnership.public_id,
        "amount": p.amount,
        "currency": p.currency,
        "status": p.status,
        "held_reason": p.held_reason,
        "provider": p.provider,
        "provider_reference": p.provider_reference,
    }


# --- runs -----------------------------------------------------------------------------------


@transaction.atomic
def payout_run_start(
    *,
    vendor: Vendor,
    program_id: str,
    period: str | dt.date,
    actor: User | None = None,
    actor_label: str = "",
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
                started_by=actor,
            )
        ],
        ignore_conflicts=True,
    )
    run = PayoutRun.objects.for_vendor(vendor).get(program=program, period_start=start)
    created = run.public_id == public_id
    audit_record(
        vendor=vendor,
        actor=actor,
        actor_label=actor_label,
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


# One statement per chunk: sum the chunk's unlinked commissions that can be paid
# (available, or pending with the hold over: those go straight to the payout, one write
# instead of a release and a link) per partnership and currency, keep the sums that are
# positive and reach the threshold (the program's or the partner's higher one), insert one
# payout per sum (held with the reason when the partner's details are incomplete; a payout
# that exists already for this run keeps its commissions: ON CONFLICT inserts nothing and
# links nothing), link exactly the summed commissions (the one write per commission) and
# audit the link as one row per payout. No ``FOR UPDATE`` pass: it wrote every commission
# once more only to lock it. Runs of a program serialise on an advisory lock instead, and a
# concurrent writer of a summed commission (a full reversal) is caught by the count check:
# the UPDATE re-checks each row's status and payout after the writer commits and skips it,
# so the payout's count differs from its linked count and the chunk is rolled back and
# redone on a fresh snapshot.
_CHUNK_SQL = f"""
WITH eligible AS MATERIALIZED (
  SELECT c.id, c.partnership_id, c.currency, c.amount, c.status
  FROM payouts_commission c
  WHERE c.vendor_id = %(vendor)s AND c.partnership_id = ANY(%(ptns)s)
    AND c.status IN ('pending', 'available') AND c.payout_id IS NULL
    AND c.available_at < %(cutoff)s AND c.available_at <= %(now)s
),
sums AS (
  SELECT e.partnership_id, e.currency, SUM(e.amount) AS total, COUNT(*) AS n,
         CASE WHEN d.id IS NULL THEN %(no_details_reason)s
              ELSE COALESCE(h.reason, '') END AS held_reason
  FROM eligible e
  JOIN partners_partnership ptn ON ptn.id = e.partnership_id
  LEFT JOIN payouts_partnerpayoutdetails d
    ON d.vendor_id = %(vendor)s AND d.partner_id = ptn.partner_id
  LEFT JOIN unnest(%(held_partners)s::bigint[], %(held_reasons)s::varchar[])
    AS h(partner_id, reason) ON h.partner_id = ptn.partner_id
  GROUP BY e.partnership_id, e.currency, d.id, d.minimum_payout_amount, h.reason
  HAVING SUM(e.amount) > 0
     AND SUM(e.amount) >= GREATEST(%(threshold)s, COALESCE(d.minimum_payout_amount, 0))
),
payouts AS (
  INSERT INTO payouts_payout (vendor_id, public_id, created_at, updated_at, run_id,
    program_id, partnership_id, amount, currency, commissions_count, status, held_reason,
    provider, provider_reference, failure_reason)
  SELECT %(vendor)s, {ledger._NEW_ID.format(prefix="po")}, {ledger._NOW}, {ledger._NOW},
         %(run)s, %(program)s, s.partnership_id, s.total, s.currency, s.n,
         CASE WHEN s.held_reason = '' THEN 'draft' ELSE 'held' END, s.held_reason, '', '', ''
  FROM sums s
  ON CONFLICT DO NOTHING
  RETURNING id, public_id, partnership_id, currency, commissions_count
),
moved AS (
  UPDATE payouts_commission c
  SET status = %(to_status)s, payout_id = p.id, updated_at = now()
  FROM eligible e JOIN payouts p ON p.partnership_id = e.partnership_id AND p.currency = e.currency
  WHERE c.id = e.id AND c.vendor_id = %(vendor)s AND c.status IN ('pending', 'available')
    AND c.payout_id IS NULL
  RETURNING c.public_id, e.status::text AS old_status, p.public_id::text AS target
),
audit AS (
  {ledger.MOVES_AUDIT_SQL}
  RETURNING target_id, (after ->> 'count')::int AS linked
)
SELECT p.id, p.commissions_count, COALESCE(a.linked, 0)
FROM payouts p LEFT JOIN audit a ON a.target_id = p.public_id
"""  # noqa: S608 -- only code constants are formatted in; values are bound
# ``payout.created`` for a chunk's payouts, rendered like ``payout_data`` by the database.
_PAYOUT_EVENTS_SQL = """
SELECT 'payout.created',
       jsonb_build_object(
         'id', p.public_id, 'object', 'payout', 'run', r.public_id,
         'partnership', ptn.public_id, 'amount', p.amount, 'currency', p.currency,
         'status', p.status, 'held_reason', p.held_reason, 'provider', p.provider,
         'provider_reference', p.provider_reference)
FROM payouts_payout p
JOIN payouts_payoutrun r ON r.id = p.run_id
JOIN partners_partnership ptn ON ptn.id = p.partnership_id
WHERE p.vendor_id = %(vendor)s AND p.id = ANY(%(ids)s)
ORDER BY p.id
"""
# Partnerships of the program left with available commissions of the period (carried
# forward), counted over the vendor's own rows.
_CARRIED_FORWARD_SQL = """
SELECT COUNT(DISTINCT c.partnership_id)
FROM payouts_commission c JOIN partners_partnership ptn ON ptn.id = c.partnership_id
WHERE c.vendor_id = %(vendor)s AND c.status = 'available' AND c.available_at < %(cutoff)s
  AND ptn.vendor_id = %(vendor)s AND ptn.program_id = %(program)s
"""


def payout_run_execute(*, vendor: Vendor, run_id: int) -> PayoutRun:
    """Do (or finish) the work of a run. Re-run safe and safe to run twice at once."""
    with transaction.atomic():
        run = (
            PayoutRun.objects.for_vendor(vendor).select_for_update().select_related("program")
        ).get(pk=run_id)
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
        run = PayoutRun.objects.for_vendor(vendor).select_for_update().get(pk=run_id)
        if run.status != PayoutRun.Status.COMPLETED:
            run.status = PayoutRun.Status.COMPLETED
            run.partnerships_done = run.partnerships_total
            run.payouts_created = Payout.objects.for_vendor(vendor).filter(run=run).count()
            # What the run did not pay (carried forward, or past the period) is released now,
            # audited as one row for the run; the hourly release task does the same between runs.
            ledger.commissions_release(
                vendor_id=vendor.pk, now=now, batch=run.public_id, actor_label="payout run"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    _CARRIED_FORWARD_SQL,
                    {"vendor": vendor.pk, "cutoff": cutoff, "program": run.program_id},
                )
                run.carried_forward = cursor.fetchone()[0]
            run.finished_at = timezone.now()
            run.save()
    return run


# Rounds of a chunk whose link lost a commission to a concurrent writer before it gives up.
_CHUNK_ATTEMPTS = 3


class _ChunkRaced(Exception):
    """A payout's linked commissions differ from those it was summed from."""


def _run_chunk(
    *, vendor: Vendor, run: PayoutRun, chunk: list[int], cutoff: dt.datetime, now: dt.datetime
) -> None:
    for attempt in range(1, _CHUNK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                locked = PayoutRun.objects.for_vendor(vendor).select_for_update().get(pk=run.pk)
                if locked.status == PayoutRun.Status.COMPLETED:
                    return
                new_ids = _chunk_payouts(
                    vendor=vendor, run=run, chunk=chunk, cutoff=cutoff, now=now
                )
                if new_ids:
                    event_record_select(
                        vendor=vendor,
                        select_sql=_PAYOUT_EVENTS_SQL,
                        params={"vendor": vendor.pk, "ids": new_ids},
                    )
                done = locked.partnerships_done + len(chunk)
                locked.partnerships_done = min(done, locked.partnerships_total)
                locked.save(update_fields=["partnerships_done", "updated_at"])
                return
        except _ChunkRaced as exc:
            # Rolled back: nothing of the chunk was written. The next round sums again.
            if attempt == _CHUNK_ATTEMPTS:
                raise RuntimeError(f"Payout run {run.public_id}: {exc}") from exc


def _chunk_payouts(
    *, vendor: Vendor, run: PayoutRun, chunk: list[int], cutoff: dt.datetime, now: dt.datetime
) -> list[int]:
    """The statements of one chunk (in the caller's transaction); returns the new payout
    ids. Each payout gets exactly the commissions its amount was summed from, or the chunk
    raises ``_ChunkRaced`` (the caller's transaction must then roll back)."""
    # Every writer of a program's payouts (the runs of its periods, and two runners of one
    # run) takes this lock for the chunk: one lock, whatever the number of commissions.
    key = f"payout_run:{vendor.pk}:{run.program_id}"
    held = _held_reasons(vendor, chunk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
        cursor.execute(
            _CHUNK_SQL,
            {
                "vendor": vendor.pk,
                "run": run.pk,
                "program": run.program_id,
                "ptns": chunk,
                "cutoff": cutoff,
                "now": now,
                "threshold": run.program.payout_threshold_amount,
                "no_details_reason": _held_reason(["payout details"]),
                "held_partners": list(held),
                "held_reasons": list(held.values()),
                "to_status": CommissionStatus.IN_PAYOUT,
                "target_type": "payout",
                "actor_label": "payout run",
                "reason": f"Payout run {run.public_id}",
            },
        )
        rows = cursor.fetchall()
    raced = [(n, linked) for _pk, n, linked in rows if n != linked]
    if raced:
        n, linked = raced[0]
        raise _ChunkRaced(f"a payout summed from {n} commissions linked {linked}")
    return [pk for pk, _n, _linked in rows]


def _held_reasons(vendor: Vendor, chunk: list[int]) -> dict[int, str]:
    """Partner id → why their payouts are held, for the partners of the chunk whose payout
    details exist but are incomplete (those with no details at all are told in SQL)."""
    partners = Partnership.objects.for_vendor(vendor).filter(pk__in=chunk).values("partner_id")
    details = PartnerPayoutDetails.objects.for_vendor(vendor).filter(partner_id__in=partners)
    return {d.partner_id: _held_reason(d.missing) for d in details if d.missing}


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
def payouts_approve(
    *, vendor: Vendor, payout_ids: list[str], actor: User | None = None, actor_label: str = ""
) -> ApproveResult:
    """Approve draft payouts (bulk). Held payouts whose partner completed the details since
    are approved too; those still incomplete stay held with the reason. Audited per payout."""
    payouts = list(
        Payout.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("partnership", "run")
        .filter(public_id__in=payout_ids)
    )
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
        p.approved_by = actor
        p.approved_at = timezone.now()
        p.save(update_fields=["status", "held_reason", "approved_by", "approved_at", "updated_at"])
        audit_record(
            vendor=vendor,
            actor=actor,
            actor_label=actor_label,
            action="payout.approved",
            target_type="payout",
            target_id=p.public_id,
            before={"status": before},
            after={"status": p.status, "amount": p.amount, "currency": p.currency},
        )
        result.approved.append(p)
    return result


def _lock_payout(vendor: Vendor, payout_id: str) -> Payout:
    return get_object_or_404(
        Payout.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("partnership", "run"),
        public_id=payout_id,
    )


@transaction.atomic
def payout_mark_paid(
    *,
    vendor: Vendor,
    payout_id: str,
    reference: str,
    provider: str = Payout.Provider.MANUAL,
    actor: User | None = None,
    actor_label: str = "",
) -> Payout:
    """Record that an approved payout was paid (bank/PayPal with its reference, or Stripe's
    transfer id); its commissions become paid. A paid payout is final: marking it again is a
    no-op."""
    payout = _lock_payout(vendor, payout_id)
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
        actor_label=actor_label or (actor.email if actor else "system"),
        reason=f"Payout {payout.public_id} paid",
    )
    audit_record(
        vendor=vendor,
        actor=actor,
        actor_label=actor_label,
        action="payout.paid",
        target_type="payout",
        target_id=payout.public_id,
        before={"status": before},
        after={"status": payout.status, "reference": payout.provider_reference},
    )
    event_record(vendor=vendor, type="payout.paid", data=payout_data(payout))
    return payout


def payout_send_stripe(
    *, vendor: Vendor, payout_id: str, actor: User | None = None, actor_label: str = ""
) -> Payout:
    """Pay an approved payout by a Stripe Connect transfer to the partner's account.

    The transfer's idempotency key is ``payout:<id>``: a retry after a crash or timeout
    (status ``processing``) asks Stripe again with the same key and gets the same transfer,
    never a second one. A refused transfer puts the payout back to approved with the reason.
    """
    with transaction.atomic():
        payout = _lock_payout(vendor, payout_id)
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
            payout = _lock_payout(vendor, payout_id)
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
        actor_label=actor_label,
    )


# --- partner payout details -----------------------------------------------------------------


@transaction.atomic
def payout_details_set(
    *, vendor: Vendor, partner_id: int, actor: User | None = None, **values: Any
) -> PartnerPayoutDetails:
    """Create or change how a vendor pays a partner (audited: it decides where money goes)."""
    details, _ = PartnerPayoutDetails.objects.for_vendor(vendor).get_or_create(
        vendor=vendor, partner_id=partner_id
    )
    allowed = {
        "method",
        "country",
        "tax_form",
        "tax_form_status",
        "paypal_email",
        "bank_reference",
        "stripe_account_id",
        "minimum_payout_amount",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Unknown field."})
    before = {k: getattr(details, k) for k in values}
    for key, value in values.items():
        setattr(details, key, value)
    if details.country:
        details.country = details.country.upper()
    details.full_clean(exclude=["vendor", "partner", "public_id"])
    details.save()
    audit_record(
        vendor=vendor,
        actor=actor,
        action="payout_details.changed",
        target_type="partner_payout_details",
        target_id=details.public_id,
        before=before,
        after={k: getattr(details, k) for k in values},
    )
    return details


@transaction.atomic
def payout_details_verify(
    *, vendor: Vendor, details_id: str, actor: User | None = None
) -> PartnerPayoutDetails:
    """A vendor admin marks a submitted tax form verified (audited). Refused when no form of
    the kind the partner's country needs was submitted."""
    details = get_object_or_404(
        PartnerPayoutDetails.objects.for_vendor(vendor).select_for_update(), public_id=details_id
    )
    if (
        details.tax_form_status == PartnerPayoutDetails.TaxFormStatus.MISSING
        or not details.tax_form
    ):
        raise ValidationError({"tax_form": "The partner has not submitted a tax form yet."})
    before = details.tax_form_status
    details.tax_form_status = PartnerPayoutDetails.TaxFormStatus.VERIFIED
    details.save(update_fields=["tax_form_status", "updated_at"])
    audit_record(
        vendor=vendor,
        actor=actor,
        action="payout_details.tax_form_verified",
        target_type="partner_payout_details",
        target_id=details.public_id,
        before={"tax_form_status": before},
        after={"tax_form_status": details.tax_form_status, "tax_form": details.tax_form},
    )
    return details
