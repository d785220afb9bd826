"""A webhook event's payload is the API's representation of its resource: what an integrator
receives equals what ``GET /api/v1/<resource>/<id>`` answers, times in UTC with ``Z``, also
when the change was made on a dashboard page rendered in the vendor's own time zone, and also
when the payload was built by the database (bulk announcements)."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import Event
from payouts.models import Customer, Payout
from payouts.services import runs
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(vendor):
    program = ProgramFactory(
        vendor=vendor, currency="USD", hold_period_days=0, payout_threshold_amount=5000
    )
    CommissionPlanFactory(program=program, rate="0.150000")
    return program


@pytest.fixture
def api(vendor, api_client_for):
    return api_client_for(vendor, Role.ADMIN)


def _event(vendor, type: str, object_id: str) -> Event:
    return Event.objects.for_vendor(vendor).get(type=type, data__id=object_id)


def _get(api, path: str) -> dict:
    response = api.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_commission_and_revenue_events_built_in_sql_equal_the_api(vendor, program, api):
    partnership = PartnershipFactory(program=program)
    CustomerFactory(partnership=partnership, external_id="c1")
    body = invoice("in_1", "c1", 10000, T0)
    assert api.post("/api/v1/revenue-events", body, format="json").status_code == 201
    (commission,) = _get(api, "/api/v1/commissions")["results"]
    # 15 % of 100.00 = 15.00, computed by hand.
    assert (commission["amount"], commission["currency"], commission["rate"]) == (
        1500,
        "USD",
        "0.150000",
    )
    event = _event(vendor, "commission.created", commission["id"])
    assert event.data == _get(api, f"/api/v1/commissions/{commission['id']}")
    assert event.data["occurred_at"] == "2026-01-05T12:00:00.000000Z"


def test_customer_event_equals_the_api_representation(vendor, program, api):
    partnership = PartnershipFactory(program=program)
    response = api.post(
        "/api/v1/customers",
        {
            "external_id": "cus-42",
            "email": "buyer@example.com",
            "partnership": partnership.public_id,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    customer_id = response.json()["id"]
    event = _event(vendor, "customer.created", customer_id)
    assert event.data == _get(api, f"/api/v1/customers/{customer_id}")


def test_churn_on_a_dashboard_page_in_the_vendors_zone_announces_utc(
    vendor, program, api, manager, client_for
):
    vendor.time_zone = "Pacific/Auckland"  # UTC+13 in January
    vendor.save(update_fields=["time_zone"])
    customer = CustomerFactory(partnership=PartnershipFactory(program=program), external_id="c9")
    Customer.objects.for_vendor(vendor).filter(pk=customer.pk).update(
        status=Customer.Status.ACTIVE, first_paid_at=T0
    )
    page = f"/app/{vendor.slug}/customers/{customer.public_id}/churn/"
    # The manager types 2026-02-01 10:00 in Auckland time: 2026-01-31 21:00 UTC.
    response = client_for(manager).post(page, {"at": "2026-02-01T10:00"})
    assert response.status_code == 302, response.content
    event = _event(vendor, "customer.churned", customer.public_id)
    assert event.data["churned_at"] == "2026-01-31T21:00:00.000000Z"
    assert event.data == _get(api, f"/api/v1/customers/{customer.public_id}")


def test_payout_events_built_in_sql_equal_the_api(vendor, program, api):
    partnership = PartnershipFactory(program=program)
    PartnerPayoutDetailsFactory(vendor=vendor, partner=partnership.partner)
    CustomerFactory(partnership=partnership, external_id="c1")
    body = invoice("in_1", "c1", 40000, T0)  # 15 % = 60.00, over the 50.00 threshold
    assert api.post("/api/v1/revenue-events", body, format="json").status_code == 201
    run, _ = runs.payout_run_start(
        vendor=vendor, program_id=program.public_id, period="2026-01", actor=Actor.system()
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    payout = Payout.objects.for_vendor(vendor).get(partnership=partnership)
    assert payout.amount == 6000
    event = _event(vendor, "payout.created", payout.public_id)
    assert event.data == _get(api, f"/api/v1/payouts/{payout.public_id}")


def test_commission_plan_event_equals_the_api_representation(vendor, program, api):
    response = api.post(
        "/api/v1/commission-plans",
        {
            "program": program.public_id,
            "name": "Gold",
            "kind": "bounty_customer",
            "bounty_amount": 2500,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    event = _event(vendor, "commission_plan.created", plan_id)
    assert event.data == _get(api, f"/api/v1/commission-plans/{plan_id}")


def test_note_event_equals_the_api_representation(vendor, program, api):
    partnership = PartnershipFactory(program=program)
    path = f"/api/v1/partnerships/{partnership.public_id}/notes"
    response = api.post(path, {"body": "Called them: launching in March."}, format="json")
    assert response.status_code == 201, response.content
    note = response.json()
    event = _event(vendor, "partnership.note_added", note["id"])
    (listed,) = _get(api, path)["results"]
    assert event.data == listed == note


def test_partnership_event_from_a_dashboard_page_in_the_vendors_zone_is_utc(
    vendor, program, api, manager, client_for
):
    vendor.time_zone = "America/Los_Angeles"
    vendor.save(update_fields=["time_zone"])
    page = f"/app/{vendor.slug}/partnerships/invite/"
    response = client_for(manager).post(
        page, {"email": "new@agency.example", "name": "New Agency", "program": program.public_id}
    )
    assert response.status_code == 302, response.content
    event = Event.objects.for_vendor(vendor).get(type="partnership.created")
    api_body = _get(api, f"/api/v1/partnerships/{event.data['id']}")
    assert event.data == api_body
    created = dt.datetime.fromisoformat(event.data["created_at"].replace("Z", "+00:00"))
    assert event.data["created_at"].endswith("Z")
    assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
