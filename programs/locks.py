"""Row locks of the programs app. A program's row serialises the changes that depend on it
(its currency, its plans, its referral destination)."""

from __future__ import annotations

from partnerhub.tenancy.models import Vendor
from programs.models import Program


def program_lock(*, vendor: Vendor, program_id: str) -> Program:
    """A program, locked for a change; another vendor's or an unknown id raises
    ``Program.DoesNotExist``."""
    return Program.objects.for_vendor(vendor).select_for_update().get(public_id=program_id)
