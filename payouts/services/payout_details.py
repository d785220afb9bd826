"""Partners' payout details (how they are paid, per vendor): set by the partner, verified by a
manager; a payout is held until they are complete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from payouts.models import (
    PartnerPayoutDetails,
)

# --- partner payout details -----------------------------------------------------------------


@transaction.atomic
def payout_details_set(
    *, vendor: Vendor, partner_id: int, actor: Actor, **values: Any
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
    change_record(
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
def payout_details_verify(*, vendor: Vendor, details_id: str, actor: Actor) -> PartnerPayoutDetails:
    """A vendor admin marks a submitted tax form verified (audited). Refused when no form of
    the kind the partner's country needs was submitted."""
    details = vendor_object_get(
        PartnerPayoutDetails, vendor=vendor, public_id=details_id, lock=True
    )
    if (
        details.tax_form_status == PartnerPayoutDetails.TaxFormStatus.MISSING
        or not details.tax_form
    ):
        raise ValidationError({"tax_form": "The partner has not submitted a tax form yet."})
    before = details.tax_form_status
    details.tax_form_status = PartnerPayoutDetails.TaxFormStatus.VERIFIED
    details.save(update_fields=["tax_form_status", "updated_at"])
    change_record(
        vendor=vendor,
        actor=actor,
        action="payout_details.tax_form_verified",
        target_type="partner_payout_details",
        target_id=details.public_id,
        before={"tax_form_status": before},
        after={"tax_form_status": details.tax_form_status, "tax_form": details.tax_form},
    )
    return details
