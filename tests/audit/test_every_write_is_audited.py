"""Every write of the integrator API leaves exactly one audit row naming the API key that made
it (``core.Actor``); the write routes are read from the OpenAPI schema, so a new route fails
here until it is driven (or listed, with the reason, as not audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from journey.machine import Mover, allowed_moves
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.services.partnerships import partnership_update
from tests.factories import (
    ApplicationFactory,
    CommissionPlanFactory,
    CustomerFactory,
    LeadFactory,
    MembershipFactory,
    PartnerPayoutDetailsFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PayoutFactory,
    PayoutRunFactory,
    ProgramFactory,
    ReferralDestinationFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db

# Data the vendor's systems send in bulk, as they happen (like the revenue they pay): announced
# on the outbox with the key as actor, not audited one by one.
NOT_AUDITED = {
    ("POST", "/api/v1/customers"): "a customer record from the vendor's billing",
    ("POST", "/api/v1/revenue-events"): "revenue from the vendor's billing",
    ("POST", "/api/v1/revenue-events/bulk"): "revenue from the vendor's billing",
}

Request = tuple[str, dict[str, Any]]  # path, body


def _payout(vendor: Vendor, status: str = "draft") -> Any:
    run = PayoutRunFactory(vendor=vendor, program=ProgramFactory(vendor=vendor))
    payout = PayoutFactory(run=run, status=status)
    PartnerPayoutDetailsFactory(vendor=vendor, partner=payout.partnership.partner)
    return payout


def _stage_move(vendor: Vendor) -> Request:
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    to_stage = sorted(allowed_moves(partnership.stage, Mover.MANAGER))[0]
    path = f"/api/v1/partnerships/{partnership.public_id}/transition"
    return path, {"to_stage": to_stage, "reason": "Agreed on the call"}


def _churn(vendor: Vendor) -> Request:
    customer = CustomerFactory(
        partnership=PartnershipFactory(program=ProgramFactory(vendor=vendor)),
        status="active",
        first_paid_at=timezone.now() - dt.timedelta(days=40),
    )
    return f"/api/v1/customers/{customer.public_id}/churn", {}


def _program(vendor: Vendor) -> str:
    return str(ProgramFactory(vendor=vendor).public_id)


def _partnership(vendor: Vendor) -> str:
    return str(PartnershipFactory(program=ProgramFactory(vendor=vendor)).public_id)


DRIVERS: dict[tuple[str, str], Callable[[Vendor], Request]] = {
    ("POST", "/api/v1/applications/{application_id}/approve"): lambda v: (
        f"/api/v1/applications/"
        f"{ApplicationFactory(partnership__program__vendor=v).public_id}/approve",
        {},
    ),
    ("POST", "/api/v1/applications/{application_id}/reject"): lambda v: (
        f"/api/v1/applications/"
        f"{ApplicationFactory(partnership__program__vendor=v).public_id}/reject",
        {"reason": "Not a fit"},
    ),
    ("POST", "/api/v1/commission-plans"): lambda v: (
        "/api/v1/commission-plans",
        {"program": _program(v), "name": "15%", "kind": "percent", "rate": "0.15"},
    ),
    ("PATCH", "/api/v1/commission-plans/{commission_plan_id}"): lambda v: (
        f"/api/v1/commission-plans/{CommissionPlanFactory(program__vendor=v).public_id}",
        {"name": "Renamed"},
    ),
    ("POST", "/api/v1/commission-plans/{commission_plan_id}/deactivate"): lambda v: (
        f"/api/v1/commission-plans/{CommissionPlanFactory(program__vendor=v).public_id}/deactivate",
        {"reason": "Promo over"},
    ),
    ("POST", "/api/v1/commission-plans/{commission_plan_id}/reactivate"): lambda v: (
        "/api/v1/commission-plans/"
        f"{CommissionPlanFactory(program__vendor=v, is_active=False).public_id}/reactivate",
        {"reason": "Back on"},
    ),
    ("POST", "/api/v1/customers/{customer_id}/churn"): _churn,
    ("POST", "/api/v1/join-sources"): lambda v: (
        "/api/v1/join-sources",
        {"name": "Web", "code": "web"},
    ),
    ("PATCH", "/api/v1/join-sources/{join_source_id}"): lambda v: (
        f"/api/v1/join-sources/{_join_source(v)}",
        {"name": "Renamed"},
    ),
    ("POST", "/api/v1/leads/{lead_id}/accept"): lambda v: (
        f"/api/v1/leads/{LeadFactory(partnership__program__vendor=v).public_id}/accept",
        {},
    ),
    ("POST", "/api/v1/leads/{lead_id}/reject"): lambda v: (
        f"/api/v1/leads/{LeadFactory(partnership__program__vendor=v).public_id}/reject",
        {"reason": "Already a customer"},
    ),
    ("POST", "/api/v1/partnerships"): lambda v: (
        "/api/v1/partnerships",
        {"program_id": _program(v), "email": "gina@example.com"},
    ),
    ("PATCH", "/api/v1/partnerships/{partnership_id}"): lambda v: (
        f"/api/v1/partnerships/{_partnership(v)}",
        {"status": "suspended"},
    ),
    ("POST", "/api/v1/partnerships/{partnership_id}/notes"): lambda v: (
        f"/api/v1/partnerships/{_partnership(v)}/notes",
        {"body": "Called them."},
    ),
    ("POST", "/api/v1/partnerships/{partnership_id}/transition"): _stage_move,
    ("POST", "/api/v1/payout-runs"): lambda v: (
        "/api/v1/payout-runs",
        {"program": _program(v), "period": "2026-01"},
    ),
    ("POST", "/api/v1/payouts/{payout_id}/approve"): lambda v: (
        f"/api/v1/payouts/{_payout(v).public_id}/approve",
        {},
    ),
    ("POST", "/api/v1/payouts/{payout_id}/mark-paid"): lambda v: (
        f"/api/v1/payouts/{_payout(v, status='approved').public_id}/mark-paid",
        {"reference": "BANK-42"},
    ),
    ("POST", "/api/v1/payouts/approve"): lambda v: (
        "/api/v1/payouts/approve",
        {"payouts": [_payout(v).public_id]},
    ),
    ("POST", "/api/v1/personas"): lambda v: ("/api/v1/personas", {"name": "Agency"}),
    ("PATCH", "/api/v1/personas/{persona_id}"): lambda v: (
        f"/api/v1/personas/{PartnerPersonaFactory(vendor=v).public_id}",
        {"name": "Renamed"},
    ),
    ("POST", "/api/v1/programs"): lambda v: ("/api/v1/programs", {"name": "X", "slug": "x"}),
    ("PATCH", "/api/v1/programs/{program_id}"): lambda v: (
        f"/api/v1/programs/{_program(v)}",
        {"name": "Renamed"},
    ),
    ("PUT", "/api/v1/programs/{program_id}/referral-destination"): lambda v: (
        f"/api/v1/programs/{_program(v)}/referral-destination",
        {"website_url": "https://acme.example"},
    ),
    ("DELETE", "/api/v1/programs/{program_id}/referral-destination"): lambda v: (
        "/api/v1/programs/"
        f"{ReferralDestinationFactory(program=ProgramFactory(vendor=v)).program.public_id}"
        "/referral-destination",
        {},
    ),
    ("POST", "/api/v1/referrals"): lambda v: (
        "/api/v1/referrals",
        {
            "external_id": "c-1",
            "referral_code": PartnershipFactory(program=ProgramFactory(vendor=v)).referral_code,
        },
    ),
    ("PATCH", "/api/v1/vendor"): lambda v: ("/api/v1/vendor", {"name": "Acme Renamed"}),
    ("POST", "/api/v1/webhook-deliveries/{delivery_id}/resend"): lambda v: (
        f"/api/v1/webhook-deliveries/{WebhookDeliveryFactory(vendor=v).public_id}/resend",
        {},
    ),
    ("POST", "/api/v1/webhook-endpoints"): lambda v: (
        "/api/v1/webhook-endpoints",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]},
    ),
    ("PATCH", "/api/v1/webhook-endpoints/{webhook_endpoint_id}"): lambda v: (
        f"/api/v1/webhook-endpoints/{WebhookEndpointFactory(vendor=v).public_id}",
        {"enabled": False},
    ),
    ("DELETE", "/api/v1/webhook-endpoints/{webhook_endpoint_id}"): lambda v: (
        f"/api/v1/webhook-endpoints/{WebhookEndpointFactory(vendor=v).public_id}",
        {},
    ),
    ("POST", "/api/v1/webhook-endpoints/{webhook_endpoint_id}/rotate-secret"): lambda v: (
        f"/api/v1/webhook-endpoints/{WebhookEndpointFactory(vendor=v).public_id}/rotate-secret",
        {},
    ),
}


def _join_source(vendor: Vendor) -> str:
    from tests.factories import JoinSourceFactory

    return str(JoinSourceFactory(vendor=vendor).public_id)


def _write_routes() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }


def test_every_write_route_of_the_schema_is_driven_here_or_said_not_audited():
    routes = _write_routes()
    assert routes == set(DRIVERS) | set(NOT_AUDITED)


@pytest.mark.parametrize("route", sorted(DRIVERS), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_api_write_leaves_one_audit_row_naming_the_key(
    route, vendor, api_client_for, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # no DNS look-up of the test receiver
    client = api_client_for(vendor)
    key = client.api_key
    path, body = DRIVERS[route](vendor)
    before = set(AuditEntry.objects.for_vendor(vendor).values_list("pk", flat=True))
    response = getattr(client, route[0].lower())(path, body, format="json")
    assert response.status_code < 300, response.content
    new = list(AuditEntry.objects.for_vendor(vendor).exclude(pk__in=before))
    assert len(new) == 1, [e.action for e in new]
    entry = new[0]
    assert (entry.actor_type, entry.actor_id) == ("api_key", key.public_id)
    assert entry.actor_label == f"api key {key.prefix}"
    assert entry.actor_user is None


def test_a_partnership_status_change_by_an_api_key_is_audited_with_the_key(vendor, api_client_for):
    client = api_client_for(vendor)
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    response = client.patch(
        f"/api/v1/partnerships/{partnership.public_id}", {"status": "suspended"}, format="json"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.for_vendor(vendor).get(action="partnership.status_changed")
    assert entry.actor_label == f"api key {client.api_key.prefix}"
    assert (entry.actor_type, entry.actor_id) == ("api_key", client.api_key.public_id)
    assert (entry.before, entry.after) == ({"status": "approved"}, {"status": "suspended"})


def test_a_managers_change_on_the_dashboard_is_audited_with_the_managers_email(vendor, client_for):
    manager = MembershipFactory(vendor=vendor, role="manager").user
    response = client_for(manager).post(
        "/app/acme/join-sources/new/", {"name": "Newsletter", "kind": "email", "code": "news"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.for_vendor(vendor).get(action="join_source.created")
    assert entry.actor_label == manager.email
    assert entry.actor_user == manager
    assert (entry.actor_type, entry.actor_id) == ("user", manager.public_id)


def test_a_service_records_the_actor_on_the_audit_row_and_the_event_alike(vendor):
    from partnerhub.webhooks.models import Event

    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    partnership_update(
        vendor=vendor,
        partnership_id=partnership.public_id,
        actor=Actor.rule("inactivity"),
        status="suspended",
    )
    entry = AuditEntry.objects.for_vendor(vendor).get(action="partnership.status_changed")
    event = Event.objects.for_vendor(vendor).get(type="partnership.updated")
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == (
        "rule",
        "inactivity",
        "inactivity",
    )
    assert (event.actor_type, event.actor_id) == ("rule", "inactivity")
