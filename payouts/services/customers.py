"""Customers: created (attributed to a partnership or not), attributed to a partnership
(first/last click models are the caller's), and churned."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import event_record
from partners.models import Partnership
from payouts import locks
from payouts.models import (
    AttributionMethod,
    Customer,
)
from payouts.services.events import customer_data

# --- customers ------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    vendor: Vendor,
    external_id: str,
    email: str = "",
    name: str = "",
    partnership_id: str | None = None,
    attribution_method: str = AttributionMethod.API,
    attribution_ref: str = "",
    signed_up_at: dt.datetime | None = None,
    actor: Actor,
) -> tuple[Customer, bool]:
    """Create a customer by the vendor's external id, or return the existing one (created is
    False). Attribution of a new customer is recorded; an existing customer keeps its own."""
    existing = Customer.objects.for_vendor(vendor).filter(external_id=external_id).first()
    if existing is not None:
        return existing, False
    customer = Customer.objects.for_vendor(vendor).create(
        vendor=vendor,
        external_id=external_id,
        email=email,
        name=name,
        signed_up_at=signed_up_at,
    )
    if partnership_id:
        _attribute(
            vendor=vendor,
            customer=customer,
            partnership=vendor_object_get(
                Partnership,
                vendor=vendor,
                public_id=partnership_id,
                field="partnership",
                message=f"No partnership {partnership_id!r}.",
            ),
            method=attribution_method,
            ref=attribution_ref,
            at=None,
            actor=actor,
        )
    event_record(
        vendor=vendor, type="customer.created", data=customer_data(customer), **actor.event_actor
    )
    return customer, True


@transaction.atomic
def customer_churn(
    *,
    vendor: Vendor,
    customer_id: str,
    at: dt.datetime | None = None,
    actor: Actor,
) -> tuple[Customer, bool]:
    """A paying customer stopped paying (its subscription was cancelled) at ``at`` (now by
    default): from then on it is not among its partnership's paying customers nor in its
    attributed MRR (the journey's metrics, the passive-income projection); its commissions
    so far stay. Returns the customer and whether it changed: churning a churned customer
    changes nothing (a retried call, a resent webhook). An invoice paid after ``at`` makes
    it paying again. Only a paying customer churns; ``at`` may not be in the future nor
    before its first paid invoice."""
    customer = locks.customer_lock(vendor=vendor, customer_id=customer_id)
    if customer is None:
        raise ValidationError({"customer": f"No customer {customer_id!r}."})
    if customer.status == Customer.Status.CHURNED:
        return customer, False
    if customer.status != Customer.Status.ACTIVE:
        raise ValidationError(
            {"customer": "This customer has not paid yet: only paying customers churn."}
        )
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise ValidationError({"at": "The churn cannot be in the future."})
    if customer.first_paid_at and at < customer.first_paid_at:
        raise ValidationError({"at": "The churn cannot be before the customer's first payment."})
    customer.status = Customer.Status.CHURNED
    customer.churned_at = at
    customer.save(update_fields=["status", "churned_at", "updated_at"])
    change_record(
        vendor=vendor,
        actor=actor,
        action="customer.churned",
        target_type="customer",
        target_id=customer.public_id,
        before={"status": Customer.Status.ACTIVE},
        after={"status": customer.status, "churned_at": at.isoformat()},
        event=("customer.churned", customer_data(customer)),
    )
    return customer, True


def _attribute(
    *,
    vendor: Vendor,
    customer: Customer,
    partnership: Partnership,
    method: str,
    ref: str,
    at: dt.datetime | None,
    actor: Actor,
    reason: str = "",
) -> None:
    if method not in AttributionMethod.values:
        raise ValidationError({"attribution_method": f"Use one of {AttributionMethod.values}."})
    before = customer.partnership.public_id if customer.partnership else None
    customer.partnership = partnership
    customer.attribution_method = method
    customer.attribution_ref = ref[:100]
    customer.attributed_at = at or timezone.now()
    customer.save(
        update_fields=[
            "partnership",
            "attribution_method",
            "attribution_ref",
            "attributed_at",
            "updated_at",
        ]
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="customer.attributed",
        target_type="customer",
        target_id=customer.public_id,
        before={"partnership": before},
        after={"partnership": partnership.public_id, "method": method, "ref": ref},
        reason=reason,
    )


@transaction.atomic
def customer_attribute(
    *,
    vendor: Vendor,
    customer: Customer,
    partnership: Partnership,
    method: str,
    ref: str = "",
    at: dt.datetime | None = None,
    replace: bool = False,
    actor: Actor,
    reason: str = "",
) -> bool:
    """Attribute ``customer`` to ``partnership`` by ``method`` (click, referral_code, deal,
    manual, api); ``ref`` names the click, code or deal. An attributed customer keeps its
    partnership unless ``replace`` (the caller applies the program's first/last-click model;
    managers replace manually with a reason). Revenue already received stays with the
    partnership it was attributed to then (events snapshot it). Returns whether it changed."""
    if partnership.vendor_id != vendor.pk or customer.vendor_id != vendor.pk:
        raise ValidationError("Customer and partnership must belong to the vendor.")
    customer = locks.customer_relock(vendor=vendor, customer=customer)
    if customer.partnership_id is not None and not replace:
        return False
    if customer.partnership_id == partnership.pk:
        return False
    _attribute(
        vendor=vendor,
        customer=customer,
        partnership=partnership,
        method=method,
        ref=ref,
        at=at,
        actor=actor,
        reason=reason,
    )
    return True
