"""Leads and deals: registration in the portal, review in the dashboard and API, the lead
bounty in the ledger, and deal attribution of the customer it becomes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from attribution.services.leads import lead_accept, lead_bounty_award, lead_register, lead_reject
from attribution.services.referrals import referral_attach
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import Event
from partners.models import Lead
from payouts.models import Commission, Customer
from payouts.services.commissions import commissions_release
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    LeadFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(vendor):
    return PartnershipFactory(program=ProgramFactory(vendor=vendor, currency="USD"))


def _events(vendor, type_):
    return Event.objects.for_vendor(vendor).filter(type=type_)


# --- registration ---------------------------------------------------------------------------


def test_partner_registers_a_lead_in_the_portal(vendor, partnership, client_for):
    user = PartnerUserFactory(partner=partnership.partner).user
    client = client_for(user)
    url = f"/portal/partnerships/{partnership.public_id}/leads/"
    response = client.post(
        url,
        {
            "company": "Initech",
            "contact_name": "Peter",
            "contact_email": "Peter@Initech.example",
            "value_amount": "1250000",
            "notes": "Wants 40 seats",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.for_vendor(vendor).get()
    assert (lead.company, lead.contact_email, lead.value_amount, lead.currency) == (
        "Initech",
        "peter@initech.example",
        1250000,
        "USD",
    )
    assert lead.status == "pending"
    assert _events(vendor, "lead.created").count() == 1
    page = client.get(url).content.decode()
    assert "Initech" in page
    assert "12,500.00 USD" in page  # 1,250,000 cents, shown as money


def test_lead_value_is_shown_as_money_in_the_dashboard(vendor, partnership, manager, client_for):
    lead = LeadFactory(partnership=partnership, value_amount=238800)
    client = client_for(manager)
    assert "2,388.00 USD" in client.get(f"/app/{vendor.slug}/leads/").content.decode()
    detail = client.get(f"/app/{vendor.slug}/leads/{lead.public_id}/").content.decode()
    assert "2,388.00 USD" in detail
    assert "minor units" not in detail


def test_portal_lead_form_refuses_bad_input_next_to_the_field(vendor, partnership, client_for):
    user = PartnerUserFactory(partner=partnership.partner).user
    response = client_for(user).post(
        f"/portal/partnerships/{partnership.public_id}/leads/",
        {"company": "", "contact_email": "not-an-email", "value_amount": "12.50"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"company", "contact_email", "value_amount"}
    assert not Lead.objects.for_vendor(vendor).exists()


def test_another_partners_partnership_leads_are_404(vendor, partnership, client_for):
    stranger = PartnerUserFactory().user
    url = f"/portal/partnerships/{partnership.public_id}/leads/"
    assert client_for(stranger).get(url).status_code == 404


def test_lead_register_refuses_currency_mismatch_negative_value_and_unapproved(vendor, partnership):
    with pytest.raises(ValidationError) as exc:
        lead_register(
            partnership=partnership, company="A", contact_email="a@a.example", currency="EUR"
        )
    assert "currency" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        lead_register(
            partnership=partnership, company="A", contact_email="a@a.example", value_amount=-1
        )
    assert "value_amount" in exc.value.message_dict
    applied = PartnershipFactory(program=partnership.program, status="applied")
    with pytest.raises(ValidationError) as exc:
        lead_register(partnership=applied, company="A", contact_email="a@a.example")
    assert "partnership" in exc.value.message_dict
    assert not Lead.objects.for_vendor(vendor).exists()


def test_lead_value_cannot_be_negative_in_the_database(vendor, partnership):
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(partnership=partnership, value_amount=-5)


# --- review ---------------------------------------------------------------------------------


def test_accepting_a_lead_pays_the_lead_bounty_once(vendor, partnership):
    plan = CommissionPlanFactory(
        program=partnership.program, kind="bounty_lead", rate="0", bounty_amount=5000
    )
    CommissionPlanFactory(program=partnership.program)  # a percent plan pays nothing here
    lead = LeadFactory(partnership=partnership)
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id, reason="Qualified")
    lead.refresh_from_db()
    assert lead.status == "accepted"
    commission = Commission.objects.for_vendor(vendor).get()
    assert (commission.amount, commission.currency, commission.kind) == (5000, "USD", "bounty")
    assert (commission.lead, commission.plan, commission.partnership) == (lead, plan, partnership)
    assert commission.status == "pending"
    # Re-running the award (a retried task, a second click) adds nothing.
    assert lead_bounty_award(vendor=vendor, lead=lead) == []
    assert Commission.objects.for_vendor(vendor).count() == 1
    assert _events(vendor, "lead.accepted").count() == 1
    assert _events(vendor, "commission.created").count() == 1
    assert AuditEntry.objects.for_vendor(vendor).filter(action="lead.accepted").count() == 1


def test_lead_bounty_is_unique_per_lead_and_plan_in_the_database(vendor, partnership):
    plan = CommissionPlanFactory(
        program=partnership.program, kind="bounty_lead", bounty_amount=5000
    )
    lead = LeadFactory(partnership=partnership)
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    first = Commission.objects.for_vendor(vendor).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commission.objects.for_vendor(vendor).create(
            vendor=vendor,
            partnership=partnership,
            plan=plan,
            lead=lead,
            kind="bounty",
            amount=5000,
            currency="USD",
            occurred_at=first.occurred_at,
            available_at=first.available_at,
        )


def test_persona_lead_plan_replaces_the_general_one(vendor):
    program = ProgramFactory(vendor=vendor)
    persona = PartnerPersonaFactory(vendor=vendor, program=program)
    partnership = PartnershipFactory(program=program, persona=persona)
    CommissionPlanFactory(program=program, kind="bounty_lead", bounty_amount=5000)
    CommissionPlanFactory(program=program, kind="bounty_lead", bounty_amount=9000, persona=persona)
    lead = LeadFactory(partnership=partnership)
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    assert list(Commission.objects.for_vendor(vendor).values_list("amount", flat=True)) == [9000]


def test_rejecting_requires_a_reason_and_pays_nothing(vendor, partnership):
    CommissionPlanFactory(program=partnership.program, kind="bounty_lead", bounty_amount=5000)
    lead = LeadFactory(partnership=partnership)
    with pytest.raises(ValidationError) as exc:
        lead_reject(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id, reason=" ")
    assert "reason" in exc.value.message_dict
    lead_reject(
        actor=Actor.system(), vendor=vendor, lead_id=lead.public_id, reason="Already a customer"
    )
    lead.refresh_from_db()
    assert (lead.status, lead.decision_reason) == ("rejected", "Already a customer")
    assert not Commission.objects.for_vendor(vendor).exists()
    assert _events(vendor, "lead.rejected").count() == 1


def test_a_decided_lead_cannot_be_decided_again(vendor, partnership):
    lead = LeadFactory(partnership=partnership)
    lead_reject(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id, reason="No")
    with pytest.raises(ValidationError):
        lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)


def test_manager_accepts_a_lead_in_the_dashboard_after_confirmation(
    vendor, partnership, manager, client_for
):
    CommissionPlanFactory(program=partnership.program, kind="bounty_lead", bounty_amount=2500)
    lead = LeadFactory(partnership=partnership)
    client = client_for(manager)
    url = f"/app/{vendor.slug}/leads/{lead.public_id}/"
    confirm = client.post(url, {"decision": "accept", "reason": ""})
    assert confirm.status_code == 200
    assert b"Confirm: accept" in confirm.content
    lead.refresh_from_db()
    assert lead.status == "pending"
    assert (
        client.post(url, {"decision": "accept", "reason": "", "confirmed": "1"}).status_code == 302
    )
    lead.refresh_from_db()
    assert (lead.status, lead.decided_by) == ("accepted", manager)
    assert Commission.objects.for_vendor(vendor).get().amount == 2500


def test_dashboard_reject_without_reason_shows_the_error_next_to_the_field(
    vendor, partnership, manager, client_for
):
    lead = LeadFactory(partnership=partnership)
    response = client_for(manager).post(
        f"/app/{vendor.slug}/leads/{lead.public_id}/", {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_lead_list_filters_and_bounds_queries(
    vendor, other_vendor, partnership, manager, client_for, django_assert_max_num_queries
):
    for _ in range(5):
        LeadFactory(partnership=partnership)
    LeadFactory(partnership=partnership, status="accepted")
    LeadFactory(partnership__program__vendor=other_vendor, company="Their Lead")
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        response = client.get(f"/app/{vendor.slug}/leads/?status=pending")
    assert len(response.context["items"]) == 5
    assert b"Their Lead" not in response.content
    assert b"No leads match" in client.get(f"/app/{vendor.slug}/leads/?status=rejected").content


def test_api_lists_and_accepts_leads(vendor, other_vendor, partnership, api_client_for):
    lead = LeadFactory(partnership=partnership)
    LeadFactory(partnership__program__vendor=other_vendor)
    api = api_client_for(vendor)
    listed = api.get("/api/v1/leads?status=pending").json()["results"]
    assert [r["id"] for r in listed] == [lead.public_id]
    response = api.post(f"/api/v1/leads/{lead.public_id}/accept", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    again = api.post(f"/api/v1/leads/{lead.public_id}/accept", {}, format="json")
    assert again.status_code == 400


def test_api_reject_needs_a_reason(vendor, partnership, api_client_for):
    lead = LeadFactory(partnership=partnership)
    response = api_client_for(vendor).post(
        f"/api/v1/leads/{lead.public_id}/reject", {}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in str(response.json())


# --- deals become customers -----------------------------------------------------------------


def test_accepted_deal_attributes_the_signup_with_matching_email(vendor, partnership):
    other = PartnershipFactory(program=partnership.program)
    lead = LeadFactory(partnership=partnership, contact_email="cto@initech.example")
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    # The signup arrives with another partner's code: the accepted deal wins.
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="cto@initech.example",
        referral_code=other.referral_code,
    )
    assert result.outcome == "attributed"
    customer = Customer.objects.for_vendor(vendor).get()
    assert (customer.partnership, customer.attribution_method, customer.attribution_ref) == (
        partnership,
        "deal",
        lead.public_id,
    )


def test_accepted_deal_matches_a_colleague_on_the_company_domain(vendor, partnership):
    lead = LeadFactory(partnership=partnership, contact_email="cto@initech.example")
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="buyer@initech.example",
        lead_id=lead.public_id,
    )
    assert result.customer.attribution_method == "deal"


def test_accepting_a_deal_attributes_an_existing_unattributed_customer(vendor, partnership):
    customer = CustomerFactory(
        partnership=None, vendor=vendor, attribution_method="", email="ceo@initech.example"
    )
    lead = LeadFactory(partnership=partnership, contact_email="cto@initech.example")
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    customer.refresh_from_db()
    assert (customer.partnership, customer.attribution_method) == (partnership, "deal")


def test_free_mail_domains_never_match_a_deal_by_domain(vendor, partnership):
    lead = LeadFactory(partnership=partnership, contact_email="someone@gmail.com")
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    stranger = PartnershipFactory(program=partnership.program)
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="other@gmail.com",
        referral_code=stranger.referral_code,
    )
    assert result.customer.partnership == stranger


def test_pending_or_foreign_lead_id_is_refused(vendor, other_vendor, partnership):
    pending = LeadFactory(partnership=partnership)
    theirs = LeadFactory(partnership__program__vendor=other_vendor, status="accepted")
    for lead_id in (pending.public_id, theirs.public_id):
        with pytest.raises(ValidationError) as exc:
            referral_attach(actor=Actor.system(), vendor=vendor, external_id="c-1", lead_id=lead_id)
        assert "lead_id" in exc.value.message_dict
    assert not Customer.objects.for_vendor(vendor).exists()


def test_lead_bounty_follows_the_ledger_hold_and_release(vendor, other_vendor, partnership):
    partnership.program.hold_period_days = 30
    partnership.program.save(update_fields=["hold_period_days"])
    CommissionPlanFactory(program=partnership.program, kind="bounty_lead", bounty_amount=5000)
    lead = LeadFactory(partnership=partnership)
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    commission = Commission.objects.for_vendor(vendor).get()
    assert commission.available_at - commission.occurred_at == dt.timedelta(days=30)
    assert commissions_release(vendor=other_vendor, now=timezone.now() + dt.timedelta(days=31)) == 0
    assert commissions_release(vendor=vendor, now=timezone.now() + dt.timedelta(days=29)) == 0
    assert commissions_release(vendor=vendor, now=timezone.now() + dt.timedelta(days=31)) == 1
    commission.refresh_from_db()
    assert (commission.status, commission.amount) == ("available", 5000)


def test_suspended_partnership_earns_no_lead_bounty(vendor, partnership):
    CommissionPlanFactory(program=partnership.program, kind="bounty_lead", bounty_amount=5000)
    lead = LeadFactory(partnership=partnership)
    partnership.status = "suspended"
    partnership.save(update_fields=["status"])
    lead_accept(actor=Actor.system(), vendor=vendor, lead_id=lead.public_id)
    assert not Commission.objects.for_vendor(vendor).exists()
