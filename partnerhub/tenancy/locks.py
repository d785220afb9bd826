"""Row locks of the tenancy app, in one place. Each takes its lock in the caller's
transaction."""

from __future__ import annotations

from django.http import Http404

from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor


def vendor_lock(*, vendor: Vendor) -> Vendor:
    """The vendor's row, locked for a change of its settings."""
    return Vendor.objects.select_for_update().get(pk=vendor.pk)


def invitation_lock(*, invitation: Invitation) -> Invitation:
    """An invitation read again under its lock, so it is accepted exactly once (it is found by
    its token before the vendor is known: the named cross-tenant read)."""
    return Invitation.objects.unscoped().select_for_update().get(pk=invitation.pk)


def owners_lock(*, vendor: Vendor) -> int:
    """Lock the vendor's owner memberships and count them: a change that may remove an owner
    holds these, so two concurrent changes cannot leave the vendor without one."""
    return len(
        Membership.objects.for_vendor(vendor)
        .select_for_update()
        .filter(role=Role.OWNER)
        .values_list("pk", flat=True)
    )


def open_invitation_lock(*, vendor: Vendor, invitation_id: str) -> Invitation:
    """One of the vendor's not yet accepted invitations, locked to revoke it; anything else is
    a 404."""
    invitation = (
        Invitation.objects.for_vendor(vendor)
        .select_for_update()
        .filter(public_id=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation")
    return invitation
