"""Commission recomputation and release after the hold period, through the ledger's set-based
statements."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from payouts.services import ledger
from payouts.services.events import announce_commissions


@transaction.atomic
def commissions_recompute(*, vendor: Vendor) -> int:
    """Create any missing commission of the vendor (e.g. after a plan was added). Re-run
    safe: existing (event, plan) pairs are left alone."""
    total = 0
    for ids in ledger.commissions_compute_all(vendor_id=vendor.pk):
        announce_commissions(vendor=vendor, ids=ids)
        total += len(ids)
    return total


@transaction.atomic
def commissions_release(*, vendor: Vendor, now: dt.datetime | None = None) -> int:
    """pending → available once the program's hold period is over (audited per row). Only
    the clock decides this, so the actor is always the ledger itself."""
    return ledger.commissions_release(vendor_id=vendor.pk, now=now, actor=Actor.system("ledger"))
