"""Reads about vendors and their members."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from partnerhub.accounts.models import User
from partnerhub.accounts.selectors import user_has_totp
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor


def vendor_membership_for_user(*, user: User, vendor_slug: str) -> Membership:
    """The user's membership in the vendor with this slug.

    Raises ``Http404`` both when the vendor does not exist and when the user is not a member,
    so that a URL never reveals whether another tenant exists.
    """
    membership = (
        Membership.objects.unscoped()
        .select_related("vendor")
        .filter(user=user, vendor__slug=vendor_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such vendor")
    return membership


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    # The one cross-tenant read a user may make: the list of their own vendors.
    return (
        Membership.objects.unscoped()
        .filter(user=user)
        .select_related("vendor")
        .order_by("vendor__name")
    )


def member_list(*, vendor: Vendor) -> QuerySet[Membership]:
    return Membership.objects.for_vendor(vendor).select_related("user").order_by("created_at")


def open_invitation_list(*, vendor: Vendor) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_vendor(vendor)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def membership_needs_mfa_setup(*, membership: Membership) -> bool:
    """True when the vendor requires MFA for owners and this owner has no TOTP yet."""
    return (
        membership.vendor.require_mfa_for_owners
        and membership.role == Role.OWNER
        and not user_has_totp(user=membership.user)
    )
