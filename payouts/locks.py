"""Row locks of the payouts app, in one place (Saleor's ``lock_objects``). Each takes its
lock in the caller's transaction; ``of=("self",)`` where rows are joined only to be read."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404

from partnerhub.tenancy.models import Vendor
from payouts.models import CommissionPlan, Customer, Payout, PayoutRun


def payout_run_lock(*, vendor: Vendor, run_id: int, with_program: bool = False) -> PayoutRun:
    """A run, locked: one worker at a time works (or finishes) it."""
    runs = PayoutRun.objects.for_vendor(vendor).select_for_update()
    if with_program:
        runs = runs.select_related("program")
    return runs.get(pk=run_id)


def payouts_lock(*, vendor: Vendor, payout_ids: Iterable[str]) -> list[Payout]:
    """The payouts with these public ids, locked for approval (unknown ids are left out)."""
    return list(
        Payout.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("partnership", "run")
        .filter(public_id__in=list(payout_ids))
    )


def payout_lock(*, vendor: Vendor, payout_id: str) -> Payout:
    """One payout, locked for payment; another vendor's or an unknown id is a 404."""
    payout = (
        Payout.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("partnership", "run")
        .filter(public_id=payout_id)
        .first()
    )
    if payout is None:
        raise Http404("No such payout")
    return payout


def customer_lock(*, vendor: Vendor, customer_id: str) -> Customer | None:
    """A customer, locked for a change of its paying state (churn)."""
    return (
        Customer.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("partnership")
        .filter(public_id=customer_id)
        .first()
    )


def customer_relock(*, vendor: Vendor, customer: Customer) -> Customer:
    """The customer's row read again under its lock (attribution decides on fresh state)."""
    return Customer.objects.for_vendor(vendor).select_for_update().get(pk=customer.pk)


def commission_plan_lock(*, vendor: Vendor, plan_pk: int) -> CommissionPlan:
    """A plan, locked for a change (its program must be locked first: see ``plans``)."""
    return (
        CommissionPlan.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related("persona")
        .get(pk=plan_pk)
    )
