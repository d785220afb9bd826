"""Partner accounts (one per contact address, across vendors), the link from a signed-in
user to their partner account, and referral codes."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from partnerhub.accounts.models import User
from partnerhub.tenancy.models import Vendor
from partners.models import Partner, Partnership, PartnerUser

_CODE_ALPHABET = string.ascii_lowercase + string.digits


def _send_on_commit(*, to: str, template: str, context: dict[str, Any]) -> None:
    subject_and_body = render_to_string(template, context).strip()
    subject, _, body = subject_and_body.partition("\n")
    transaction.on_commit(
        lambda: send_mail(
            subject.strip(), body.strip(), settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False
        )
    )


def referral_codes_new(*, vendor: Vendor, count: int) -> list[str]:
    """``count`` fresh referral codes, unique in the vendor (10 characters, ~51 bits each),
    checked against the database in one query per attempt."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = count - len(codes)
        batch = {"".join(secrets.choice(_CODE_ALPHABET) for _ in range(10)) for _ in range(wanted)}
        taken = set(
            Partnership.objects.for_vendor(vendor)
            .filter(referral_code__in=batch)
            .values_list("referral_code", flat=True)
        )
        codes |= batch - taken
    return list(codes)[:count]


def referral_code_new(*, vendor: Vendor) -> str:
    return referral_codes_new(vendor=vendor, count=1)[0]


def normalise_email(email: str, *, field_name: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({field_name: "Enter a valid e-mail address."}) from exc
    return email


def partner_get_or_create(
    *, email: str, name: str = "", kind: str = Partner.Kind.PERSON, company_name: str = ""
) -> tuple[Partner, bool]:
    """The partner account with this contact address, created if new (global, not tenant
    data: one account can then join programs of several vendors)."""
    email = normalise_email(email)
    partner = Partner.objects.filter(email=email).first()
    if partner is not None:
        return partner, False
    partner = Partner(
        email=email, name=(name or email).strip()[:200], kind=kind, company_name=company_name
    )
    partner.full_clean()
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError:  # created concurrently
        return Partner.objects.get(email=email), False
    return partner, True


@transaction.atomic
def partner_for_user(*, user: User, create: bool = False) -> Partner | None:
    """The partner account a signed-in user acts for.

    A user is linked the first time they sign in with the (verified) address a partner
    account was created with; with ``create`` a new partner is made for them.
    """
    link = PartnerUser.objects.select_related("partner").filter(user=user).first()
    if link is not None:
        return link.partner
    partner = Partner.objects.filter(email=user.email.lower()).first()
    if partner is None and not create:
        return None
    if partner is None:
        partner, _ = partner_get_or_create(email=user.email, name=user.get_full_name())
    PartnerUser.objects.get_or_create(user=user, defaults={"partner": partner})
    return partner
