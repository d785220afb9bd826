"""Manual attribution of a customer by a manager: the customer moves to another partnership
with a reason, audited; revenue already received stays where it was."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership
from payouts.models import AttributionMethod, Customer
from payouts.services.customers import customer_attribute


@transaction.atomic
def customer_attribute_manually(
    *, vendor: Vendor, customer_id: str, partnership_id: str, reason: str, actor: Actor
) -> Customer:
    """A manager attributes a customer to a partnership with a reason (audited); replaces any
    earlier attribution and clears a self-referral flag."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the manual attribution."})
    customer = Customer.objects.for_vendor(vendor).filter(public_id=customer_id).first()
    if customer is None:
        raise Http404("No such customer")
    partnership = Partnership.objects.for_vendor(vendor).filter(public_id=partnership_id).first()
    if partnership is None:
        raise ValidationError({"partnership": "Choose a partnership of this vendor."})
    customer_attribute(
        vendor=vendor,
        customer=customer,
        partnership=partnership,
        method=AttributionMethod.MANUAL,
        ref=actor.label,
        replace=True,
        actor=actor,
        reason=reason.strip(),
    )
    Customer.objects.for_vendor(vendor).filter(pk=customer.pk).update(
        flagged_partnership=None, flag_reason=""
    )
    customer.refresh_from_db()
    return customer
