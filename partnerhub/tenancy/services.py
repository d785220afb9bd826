"""Writes about vendors, members and invitations."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.accounts.selectors import user_has_totp
from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.locks import (
    invitation_lock,
    open_invitation_lock,
    owners_lock,
    vendor_lock,
)
from partnerhub.tenancy.models import (
    Invitation,
    Membership,
    Role,
    Vendor,
    VendorHealthSnapshot,
)

INVITATION_LIFETIME = dt.timedelta(days=14)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def vendor_create(
    *, name: str, slug: str, owner: User, default_currency: str = "USD", time_zone: str = "UTC"
) -> Vendor:
    """Create a vendor and make ``owner`` its first owner, atomically."""
    slug = slug.strip().lower()
    if slug in settings.RESERVED_VENDOR_SLUGS:
        raise ValidationError({"slug": "This address is reserved, please choose another."})
    if Vendor.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "This address is already taken."})
    vendor = Vendor(
        name=name.strip(), slug=slug, default_currency=default_currency.upper(), time_zone=time_zone
    )
    vendor.full_clean()
    try:
        with transaction.atomic():
            vendor.save()
    except IntegrityError as exc:  # a concurrent sign-up took the slug
        raise ValidationError({"slug": "This address is already taken."}) from exc
    membership = Membership.objects.for_vendor(vendor).create(
        vendor=vendor, user=owner, role=Role.OWNER
    )
    change_record(
        vendor=vendor,
        actor=Actor.for_user(owner),
        action="membership.created",
        target_type="membership",
        target_id=membership.public_id,
        after={"role": Role.OWNER, "user": owner.email},
    )
    return vendor


@transaction.atomic
def vendor_update(
    *,
    vendor: Vendor,
    name: str | None = None,
    default_currency: str | None = None,
    time_zone: str | None = None,
    actor: Actor,
) -> Vendor:
    """Change the vendor's settings; what changed is audited (currency is money)."""
    fields = ("name", "default_currency", "time_zone")
    before = {field: getattr(vendor, field) for field in fields}
    if name is not None:
        vendor.name = name.strip()
    if default_currency is not None:
        vendor.default_currency = default_currency.upper()
    if time_zone is not None:
        vendor.time_zone = time_zone
    vendor.full_clean()
    vendor.save()
    changed = [field for field in fields if getattr(vendor, field) != before[field]]
    if changed:
        change_record(
            vendor=vendor,
            actor=actor,
            action="vendor.updated",
            target_type="vendor",
            target_id=vendor.public_id,
            before={field: before[field] for field in changed},
            after={field: getattr(vendor, field) for field in changed},
        )
    return vendor


@transaction.atomic
def vendor_delete(*, vendor: Vendor) -> None:
    """Delete a vendor and every row of it, its audit log included (platform staff only).

    Audit rows are immutable in the database; the trigger lets them go only when the
    transaction names this vendor in ``partnerhub.audit_purge_vendor`` (``SET LOCAL``, so the
    permission ends with the transaction and covers no other vendor).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('partnerhub.audit_purge_vendor', %s, true)", [str(vendor.pk)]
        )
    vendor.delete()


@transaction.atomic
def vendor_mfa_policy_set(*, vendor: Vendor, require_mfa_for_owners: bool, actor: Actor) -> Vendor:
    """Require (or stop requiring) two-factor authentication for the vendor's owners; audited.

    Turning it on is refused while the acting owner has no authenticator app, so nobody locks
    themselves out of the settings that would undo it.
    """
    vendor = vendor_lock(vendor=vendor)
    before = vendor.require_mfa_for_owners
    if require_mfa_for_owners and (actor.user is None or not user_has_totp(user=actor.user)):
        raise ValidationError(
            {
                "require_mfa_for_owners": "Set up an authenticator app for your own account "
                "first, or you would lock yourself out."
            }
        )
    if before != require_mfa_for_owners:
        vendor.require_mfa_for_owners = require_mfa_for_owners
        vendor.save(update_fields=["require_mfa_for_owners", "updated_at"])
        change_record(
            vendor=vendor,
            actor=actor,
            action="vendor.mfa_policy_changed",
            target_type="vendor",
            target_id=vendor.public_id,
            before={"require_mfa_for_owners": before},
            after={"require_mfa_for_owners": require_mfa_for_owners},
        )
    return vendor


@dataclass(frozen=True)
class CreatedInvitation:
    invitation: Invitation
    token: str
    accept_url: str


@transaction.atomic
def invitation_create(
    *, vendor: Vendor, email: str, role: str, actor: Actor, base_url: str = ""
) -> CreatedInvitation:
    """Invite an e-mail address to join ``vendor`` with ``role``; the e-mail goes out on commit.

    Inviting an address that already has an open invitation replaces it (a fresh link), and
    inviting an existing member is refused. Only a person invites (``actor`` is a user).
    """
    invited_by = actor.user
    if invited_by is None:
        raise ValueError("an invitation is sent by a person")
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if Membership.objects.for_vendor(vendor).filter(user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    now = timezone.now()
    Invitation.objects.for_vendor(vendor).filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        vendor=vendor,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        invited_by=invited_by,
        expires_at=now + INVITATION_LIFETIME,
    )
    invitation.full_clean(exclude=["token_hash", "public_id"])
    invitation.save()
    change_record(
        vendor=vendor,
        actor=actor,
        action="invitation.created",
        target_type="invitation",
        target_id=invitation.public_id,
        after={"email": email, "role": role},
    )
    accept_url = base_url + reverse("invitation_accept", kwargs={"token": token})
    body = render_to_string(
        "tenancy/email/invitation.txt",
        {
            "vendor": vendor,
            "invitation": invitation,
            "accept_url": accept_url,
            "inviter": invited_by,
        },
    )
    transaction.on_commit(
        lambda: send_mail(
            f"{invited_by.get_full_name()} invited you to {vendor.name} on PartnerHub",
            body,
            None,
            [email],
        )
    )
    return CreatedInvitation(invitation=invitation, token=token, accept_url=accept_url)


def invitation_for_token(*, token: str) -> Invitation:
    """The open invitation behind a link, or 404 (expired, used and revoked links alike)."""
    invitation = get_object_or_404(
        Invitation.objects.unscoped().select_related("vendor"),
        token_hash=_hash_token(token),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Turn an invitation into a membership. The signed-in user's e-mail must be the invited one."""
    invitation = invitation_for_token(token=token)
    invitation = invitation_lock(invitation=invitation)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation was already accepted.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    membership, created = Membership.objects.for_vendor(invitation.vendor).get_or_create(
        vendor=invitation.vendor, user=user, defaults={"role": invitation.role}
    )
    if created:
        change_record(
            vendor=invitation.vendor,
            actor=Actor.for_user(user),
            action="membership.created",
            target_type="membership",
            target_id=membership.public_id,
            after={"role": membership.role, "user": user.email},
            reason=f"accepted invitation {invitation.public_id}",
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return membership


@transaction.atomic
def invitation_revoke(*, vendor: Vendor, invitation_id: str, actor: Actor) -> Invitation:
    """Revoke an open invitation (its link stops working); audited. Revoking twice is harmless."""
    invitation = open_invitation_lock(vendor=vendor, invitation_id=invitation_id)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        change_record(
            vendor=vendor,
            actor=actor,
            action="invitation.revoked",
            target_type="invitation",
            target_id=invitation.public_id,
            before={"email": invitation.email, "role": invitation.role, "open": True},
            after={"open": False},
        )
    return invitation


@transaction.atomic
def membership_change_role(
    *, vendor: Vendor, membership_id: str, role: str, actor: Actor
) -> Membership:
    """Change a member's role (audited); a vendor always keeps at least one owner."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    membership = vendor_object_get(Membership, vendor=vendor, public_id=membership_id, lock=True)
    if membership.role == Role.OWNER and role != Role.OWNER and owners_lock(vendor=vendor) <= 1:
        raise ValidationError({"role": "A vendor needs at least one owner."})
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    if before != role:
        change_record(
            vendor=vendor,
            actor=actor,
            action="membership.role_changed",
            target_type="membership",
            target_id=membership.public_id,
            before={"role": before, "user": membership.user.email},
            after={"role": role, "user": membership.user.email},
        )
    return membership


@transaction.atomic
def membership_remove(*, vendor: Vendor, membership_id: str, actor: Actor) -> None:
    """Remove a member (audited); a vendor always keeps at least one owner."""
    membership = vendor_object_get(Membership, vendor=vendor, public_id=membership_id, lock=True)
    if membership.role == Role.OWNER and owners_lock(vendor=vendor) <= 1:
        raise ValidationError("A vendor needs at least one owner.")
    change_record(
        vendor=vendor,
        actor=actor,
        action="membership.removed",
        target_type="membership",
        target_id=membership.public_id,
        before={"role": membership.role, "user": membership.user.email},
        after=None,
    )
    membership.delete()


def vendor_health_summary_compute(*, vendor: Vendor, day: dt.date) -> VendorHealthSnapshot:
    """Compute the day's health summary for one vendor and store it (idempotent per day)."""
    from partnerhub.api.models import APIKey  # the api app depends on tenancy, not vice versa

    roles = dict(
        Membership.objects.for_vendor(vendor)
        .values_list("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    metrics = {
        "members": sum(roles.values()),
        "members_by_role": {role: roles.get(role, 0) for role in Role.values},
        "open_invitations": Invitation.objects.for_vendor(vendor)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .count(),
        "active_api_keys": APIKey.objects.for_vendor(vendor)
        .filter(revoked_at__isnull=True)
        .count(),
    }
    snapshot, _ = VendorHealthSnapshot.objects.for_vendor(vendor).update_or_create(
        vendor=vendor, day=day, defaults={"metrics": metrics}
    )
    return snapshot
