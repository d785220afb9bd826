"""Leads and deals partners register (issue #5, item 2): review by managers, attribution of
the customer an accepted deal becomes, and the lead bounty (``bounty_lead`` plans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attribution.serializers import LeadOutputSerializer
from partnerhub.api.serializers import api_representation
from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import event_record
from partners.models import Lead, Partnership
from partners.services.partners import normalise_email
from payouts.models import AttributionMethod, Commission, CommissionPlan, Customer
from payouts.services.customers import customer_attribute
from payouts.services.events import commission_data, events_bulk_record

# Free-mail domains never identify a company: matching a deal by domain skips them.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "aol.com",
        "live.com",
    }
)


def lead_data(lead: Lead) -> dict[str, Any]:
    return api_representation(LeadOutputSerializer, lead)


@transaction.atomic
def lead_register(
    *,
    partnership: Partnership,
    company: str,
    contact_email: str,
    contact_name: str = "",
    value_amount: int = 0,
    currency: str = "",
    notes: str = "",
) -> Lead:
    """A partner registers a lead/deal for one of its approved partnerships (``lead.created``).
    The value is integer minor units in the program's currency."""
    vendor = partnership.vendor
    if partnership.status != Partnership.Status.APPROVED:
        raise ValidationError({"partnership": "Only approved partnerships can register leads."})
    if not company.strip():
        raise ValidationError({"company": "This field is required."})
    if isinstance(value_amount, bool) or not isinstance(value_amount, int) or value_amount < 0:
        raise ValidationError({"value_amount": "A whole, non-negative number of minor units."})
    currency = (currency or partnership.program.currency).upper()
    if currency != partnership.program.currency:
        raise ValidationError({"currency": f"The program pays in {partnership.program.currency}."})
    lead = Lead.objects.for_vendor(vendor).create(
        vendor=vendor,
        partnership=partnership,
        company=company.strip()[:200],
        contact_name=contact_name.strip()[:200],
        contact_email=normalise_email(contact_email, field_name="contact_email"),
        value_amount=value_amount,
        currency=currency,
        notes=notes,
    )
    event_record(
        vendor=vendor,
        type="lead.created",
        data=lead_data(lead),
        actor_type="partner",
        actor_id=partnership.partner.public_id,
    )
    return lead


def _pending_lead(vendor: Vendor, lead_id: str) -> Lead:
    lead = vendor_object_get(
        Lead,
        vendor=vendor,
        public_id=lead_id,
        lock=True,
        related=("partnership__program", "partnership__partner"),
    )
    if lead.status != Lead.Status.PENDING:
        raise ValidationError({"status": f"The lead is already {lead.status}."})
    return lead


def _decide(lead: Lead, *, status: str, reason: str, actor: Actor) -> None:
    lead.status = status
    lead.decision_reason = reason
    lead.decided_by = actor.user
    lead.decided_at = timezone.now()
    lead.save(update_fields=["status", "decision_reason", "decided_by", "decided_at", "updated_at"])
    change_record(
        vendor=lead.vendor,
        actor=actor,
        action=f"lead.{status}",
        target_type="lead",
        target_id=lead.public_id,
        before={"status": Lead.Status.PENDING},
        after={"status": status},
        reason=reason,
        event=(f"lead.{status}", lead_data(lead)),
    )


@transaction.atomic
def lead_accept(
    *,
    vendor: Vendor,
    lead_id: str,
    reason: str = "",
    actor: Actor,
) -> Lead:
    """Accept a pending lead (audited, ``lead.accepted``): pays the program's lead bounties
    once and attributes an existing unattributed customer with the contact's e-mail/domain."""
    lead = _pending_lead(vendor, lead_id)
    _decide(lead, status=Lead.Status.ACCEPTED, reason=reason, actor=actor)
    lead_bounty_award(vendor=vendor, lead=lead)
    customer = deal_match_customer(vendor=vendor, lead=lead)
    if customer is not None:
        deal_attribute(vendor=vendor, lead=lead, customer=customer, actor=actor)
    return lead


@transaction.atomic
def lead_reject(*, vendor: Vendor, lead_id: str, reason: str, actor: Actor) -> Lead:
    """Reject a pending lead with a reason the partner sees (audited, ``lead.rejected``)."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the partner a reason for the rejection."})
    lead = _pending_lead(vendor, lead_id)
    _decide(
        lead,
        status=Lead.Status.REJECTED,
        reason=reason.strip(),
        actor=actor,
    )
    return lead


def _lead_plans(lead: Lead) -> list[CommissionPlan]:
    """Active ``bounty_lead`` plans of the lead's program; a plan for the partnership's
    persona replaces the persona-less ones (as for the other plan kinds)."""
    partnership = lead.partnership
    plans = list(
        CommissionPlan.objects.for_vendor(lead.vendor).filter(
            Q(persona__isnull=True) | Q(persona_id=partnership.persona_id),
            program_id=partnership.program_id,
            kind=CommissionPlan.Kind.BOUNTY_LEAD,
            is_active=True,
        )
    )
    own = [p for p in plans if p.persona_id is not None]
    return own or plans


def lead_bounty_award(*, vendor: Vendor, lead: Lead) -> list[Commission]:
    """Insert the flat bounty of every lead plan for an accepted lead into the ledger, once:
    unique per (vendor, lead, plan) in the database, so a re-run inserts nothing. The bounty
    is pending for the program's hold period like any commission."""
    if lead.status != Lead.Status.ACCEPTED:
        return []
    if lead.partnership.status != Partnership.Status.APPROVED:
        return []
    program = lead.partnership.program
    now = lead.decided_at or timezone.now()
    rows = [
        Commission(
            vendor=vendor,
            public_id=Commission.new_public_id(),
            partnership=lead.partnership,
            plan=plan,
            lead=lead,
            kind=Commission.Kind.BOUNTY,
            amount=plan.bounty_amount,
            currency=program.currency,
            base_amount=0,
            occurred_at=now,
            available_at=now + dt.timedelta(days=program.hold_period_days),
        )
        for plan in _lead_plans(lead)
        if plan.bounty_amount > 0
    ]
    if not rows:
        return []
    Commission.objects.for_vendor(vendor).bulk_create(rows, ignore_conflicts=True)
    created = list(
        Commission.objects.for_vendor(vendor)
        .select_related("partnership", "revenue_event", "reverses")
        .filter(public_id__in=[r.public_id for r in rows])
    )
    events_bulk_record(
        vendor=vendor, type="commission.created", datas=[commission_data(c) for c in created]
    )
    return created


def deal_match_customer(*, vendor: Vendor, lead: Lead) -> Customer | None:
    """An unattributed customer with the deal's contact e-mail, or else (company domains
    only) one on the contact's domain."""
    qs = Customer.objects.for_vendor(vendor).filter(partnership__isnull=True)
    customer = qs.filter(email__iexact=lead.contact_email).order_by("created_at").first()
    if customer is None and lead.contact_domain not in FREE_MAIL_DOMAINS:
        customer = (
            qs.filter(email__iendswith="@" + lead.contact_domain).order_by("created_at").first()
        )
    return customer


def deal_for_customer(*, vendor: Vendor, email: str) -> Lead | None:
    """The oldest accepted deal whose contact e-mail (or company domain) matches."""
    email = email.strip().lower()
    if not email:
        return None
    qs = (
        Lead.objects.for_vendor(vendor)
        .select_related("partnership__program")
        .filter(status=Lead.Status.ACCEPTED, partnership__status=Partnership.Status.APPROVED)
    )
    lead = qs.filter(contact_email=email).order_by("created_at").first()
    domain = email.rpartition("@")[2]
    if lead is None and domain not in FREE_MAIL_DOMAINS:
        lead = qs.filter(contact_email__endswith="@" + domain).order_by("created_at").first()
    return lead


def deal_attribute(*, vendor: Vendor, lead: Lead, customer: Customer, actor: Actor) -> bool:
    """Attribute ``customer`` to the accepted deal's partnership (method ``deal``). A deal
    outranks clicks and codes; it never replaces a manager's manual attribution."""
    if lead.status != Lead.Status.ACCEPTED:
        raise ValidationError({"lead_id": "Only an accepted deal attributes a customer."})
    return customer_attribute(
        vendor=vendor,
        customer=customer,
        partnership=lead.partnership,
        method=AttributionMethod.DEAL,
        ref=lead.public_id,
        replace=customer.attribution_method != AttributionMethod.MANUAL,
        actor=actor,
    )
