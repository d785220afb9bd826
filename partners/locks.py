"""Row locks of the partners app, in one place. Each takes its lock in the caller's
transaction; another vendor's or an unknown id raises the model's ``DoesNotExist``."""

from __future__ import annotations

from partnerhub.tenancy.models import Vendor
from partners.models import Application, Partnership


def partnership_lock(
    *, vendor: Vendor, partnership_id: str, related: tuple[str, ...] = ("program", "partner")
) -> Partnership:
    """A partnership, locked for a change of its profile, status or stage (only its own row:
    the joined rows are read for the change's record)."""
    return (
        Partnership.objects.for_vendor(vendor)
        .select_for_update(of=("self",))
        .select_related(*related)
        .get(public_id=partnership_id)
    )


def application_lock(*, vendor: Vendor, application_id: str) -> Application:
    """An application, locked for its decision (approve or reject exactly once)."""
    return (
        Application.objects.for_vendor(vendor)
        .select_for_update()
        .select_related("partnership", "partner", "program")
        .get(public_id=application_id)
    )
