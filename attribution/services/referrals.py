"""Referral links and attaching a referral to a signup (issue #5, item 1).

``/r/<code>`` records a :class:`~partners.models.ReferralClick` (one INSERT), sets a
first-party cookie for the program's attribution window and redirects to the vendor's site
with ``ph_ref``/``ph_click`` in the query, where ``static/js/partnerhub-referral.js`` keeps
them until the signup. The vendor's backend then calls ``POST /api/v1/referrals``, which
lands in :func:`referral_attach`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from attribution.services.leads import deal_attribute, deal_for_customer
from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.models import Lead, Partner, Partnership, ReferralClick
from payouts.models import AttributionMethod, Customer
from payouts.services.customers import customer_attribute, customer_create
from programs.models import Program

COOKIE_NAME = "ph_ref"


def partnership_for_link(*, referral_code: str, vendor_slug: str = "") -> Partnership:
    """The approved partnership behind a referral link; 404 when unknown, not approved or
    ambiguous (a code is unique per vendor; ``/r/<vendor>/<code>`` disambiguates)."""
    # Public link: no vendor in scope yet, the code is what identifies it.
    qs = (
        Partnership.objects.unscoped()
        .select_related("vendor", "program", "partner")
        .filter(referral_code=referral_code, status=Partnership.Status.APPROVED)
    )
    if vendor_slug:
        qs = qs.filter(vendor__slug=vendor_slug)
    found = list(qs[:2])
    if len(found) != 1:
        raise Http404("No such referral link")
    return found[0]


def ip_hash(*, vendor: Vendor, ip: str) -> str:
    """SHA-256 of the IP address with a per-vendor salt derived from SECRET_KEY: clicks of
    one visitor can be counted within a vendor, not followed across vendors."""
    if not ip:
        return ""
    salt = hmac.new(settings.SECRET_KEY.encode(), vendor.public_id.encode(), "sha256").digest()
    return hashlib.sha256(salt + ip.encode()).hexdigest()


def click_record(
    *, partnership: Partnership, landing: str, referrer: str, ip: str, user_agent: str
) -> ReferralClick:
    """Record one click: a single INSERT, nothing else (clicks can come in bursts)."""
    return ReferralClick.objects.for_vendor(partnership.vendor).create(
        vendor=partnership.vendor,
        partnership=partnership,
        landing=landing[:500],
        referrer=referrer[:500],
        ip_hash=ip_hash(vendor=partnership.vendor, ip=ip),
        user_agent=user_agent[:300],
    )


def redirect_with_referral(*, url: str, partnership: Partnership, click: ReferralClick) -> str:
    """The landing URL carrying the code and click id for the snippet on the vendor's site."""
    joiner = "&" if urlsplit(url).query else "?"
    query = urlencode({"ph_ref": partnership.referral_code, "ph_click": click.public_id})
    return f"{url}{joiner}{query}"


# --- attaching a referral to a signup -------------------------------------------------------


@dataclass
class ReferralResult:
    customer: Customer
    created: bool
    # attributed | kept (already attributed, first-click) | expired | self_referral | unknown
    outcome: str
    partnership: Partnership | None = None


def is_self_referral(*, partner: Partner, email: str) -> bool:
    """The customer's e-mail is the partner's own, or (company partners) on its domain."""
    email = email.strip().lower()
    if not email:
        return False
    if email == partner.email.lower():
        return True
    if partner.kind == Partner.Kind.COMPANY:
        return email.rpartition("@")[2] == partner.email.lower().rpartition("@")[2]
    return False


def _resolve(
    *, vendor: Vendor, referral_code: str, click_id: str
) -> tuple[Partnership, ReferralClick | None]:
    if click_id:
        click = (
            ReferralClick.objects.for_vendor(vendor)
            .select_related("partnership__program", "partnership__partner")
            .filter(public_id=click_id)
            .first()
        )
        if click is None:
            raise ValidationError({"click_id": f"No click {click_id!r}."})
        return click.partnership, click
    partnership = (
        Partnership.objects.for_vendor(vendor)
        .select_related("program", "partner")
        .filter(referral_code=referral_code)
        .first()
    )
    if partnership is None:
        raise ValidationError({"referral_code": f"No partnership with code {referral_code!r}."})
    return partnership, None


@transaction.atomic
def referral_attach(
    *,
    vendor: Vendor,
    external_id: str,
    email: str = "",
    referral_code: str = "",
    click_id: str = "",
    lead_id: str = "",
    now: dt.datetime | None = None,
    actor: Actor,
) -> ReferralResult:
    """Create (or find) the customer ``external_id`` and attribute it to the partnership of
    the click or referral code, following the program's model: first-click keeps an existing
    attribution, last-click replaces a click/code attribution (never a deal or a manager's).
    A click older than the program's attribution window attributes nothing; a self-referral
    is flagged on the customer instead of attributed. An accepted deal (``lead_id``, or one
    matching the e-mail or company domain) wins: method ``deal``. Re-sending is harmless."""
    if not external_id:
        raise ValidationError({"external_id": "This field is required."})
    if not referral_code and not click_id and not lead_id:
        raise ValidationError({"referral_code": "Give a referral_code, click_id or lead_id."})
    deal = None
    if lead_id:
        deal = Lead.objects.for_vendor(vendor).filter(public_id=lead_id).first()
        if deal is None or deal.status != Lead.Status.ACCEPTED:
            raise ValidationError({"lead_id": f"No accepted lead {lead_id!r}."})
    now = now or timezone.now()
    if not deal:
        partnership, click = _resolve(vendor=vendor, referral_code=referral_code, click_id=click_id)
    customer, created = customer_create(
        vendor=vendor,
        external_id=external_id,
        email=email,
        signed_up_at=now,
        actor=actor,
    )
    email = email or customer.email
    deal = deal or deal_for_customer(vendor=vendor, email=email)
    if deal is not None:
        deal_attribute(vendor=vendor, lead=deal, customer=customer, actor=actor)
        customer.refresh_from_db()
        outcome = "attributed" if customer.partnership_id == deal.partnership_id else "kept"
        return ReferralResult(customer, created, outcome, customer.partnership)
    program: Program = partnership.program
    if partnership.status != Partnership.Status.APPROVED:
        return ReferralResult(customer, created, "unknown")
    if (
        click is not None
        and click.created_at + dt.timedelta(days=program.attribution_window_days) < now
    ):
        return ReferralResult(customer, created, "expired", partnership)
    if is_self_referral(partner=partnership.partner, email=email):
        if customer.flagged_partnership_id != partnership.pk:
            customer.flagged_partnership = partnership
            customer.flag_reason = "Self-referral: the customer's e-mail is the partner's own"
            customer.save(update_fields=["flagged_partnership", "flag_reason", "updated_at"])
            change_record(
                vendor=vendor,
                actor=actor,
                action="customer.self_referral_flagged",
                target_type="customer",
                target_id=customer.public_id,
                after={"partnership": partnership.public_id},
            )
        return ReferralResult(customer, created, "self_referral", partnership)
    replace = program.attribution_model == Program.AttributionModel.LAST_CLICK and (
        customer.attribution_method
        in ("", AttributionMethod.CLICK, AttributionMethod.REFERRAL_CODE, AttributionMethod.API)
    )
    changed = customer_attribute(
        vendor=vendor,
        customer=customer,
        partnership=partnership,
        method=AttributionMethod.CLICK if click else AttributionMethod.REFERRAL_CODE,
        ref=click.public_id if click else partnership.referral_code,
        at=click.created_at if click else now,
        replace=replace,
        actor=actor,
    )
    customer.refresh_from_db()
    if changed or customer.partnership_id == partnership.pk:
        return ReferralResult(customer, created, "attributed", partnership)
    return ReferralResult(customer, created, "kept", customer.partnership)
