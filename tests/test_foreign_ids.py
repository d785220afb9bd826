"""Ids of another vendor's objects given as filter or bulk parameters are refused or ignored,
never honoured: every API list filter on a related id, every dashboard list page with every
foreign id in its query string, the bulk payout approval and revenue events naming another
vendor's customer or invoice."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from payouts.models import Payout, RevenueEvent
from tests.factories import PayoutFactory
from tests.test_isolation_matrix import (
    _foreign_markers,
    _url,
    tenant_routes,
)
from tests.test_isolation_matrix import (
    world as world,  # the shared two-vendor fixture, re-exported for pytest
)

pytestmark = pytest.mark.django_db


def _api(world: dict[str, Any]) -> APIClient:
    client = APIClient()
    key = api_key_create(actor=Actor.system(), vendor=world["mine"], name="filters").raw_key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _id_filters(view_class: Any) -> list[tuple[str, Any]]:
    """(query parameter, related model) of every filter on a related object's public id."""
    filterset = getattr(view_class, "filterset_class", None)
    if filterset is None:
        return []
    found = []
    for name, f in filterset.base_filters.items():
        path = f.field_name.split("__")
        if len(path) == 2 and path[1] == "public_id":
            model = view_class.tenant_model._meta.get_field(path[0]).related_model
            found.append((name, model))
    return found


def test_every_api_list_filter_with_another_vendors_id_returns_nothing(world, capsys):
    client = _api(world)
    markers = _foreign_markers(world)
    checked = []
    for route in tenant_routes():
        if not route.is_api or route.object_kwargs or "GET" not in route.methods:
            continue
        url = _url(route, "mine", {})
        view_class = getattr(resolve(url).func, "cls", None)
        for param, model in _id_filters(view_class):
            theirs = model.objects.unscoped().filter(vendor=world["theirs"]).first()
            assert theirs is not None, f"the world has no {model.__name__} of theirs"
            mine = model.objects.unscoped().filter(vendor=world["mine"]).first()
            assert mine is not None, f"the world has no {model.__name__} of mine"
            # My own id is a working filter (a 200, not a refusal of the parameter) ...
            own = client.get(url, {param: mine.public_id})
            assert own.status_code == 200, (url, param, own.content)
            # ... and theirs matches nothing: never their rows, never an error.
            response = client.get(url, {param: theirs.public_id})
            assert response.status_code == 200, (url, param, response.content)
            assert response.json()["results"] == [], (url, param)
            body = response.content.decode()
            assert not [m for m in markers if m in body], (url, param)
            checked.append(f"{url}?{param}")
    with capsys.disabled():
        print(f"\nforeign ids: {len(checked)} API list filters return nothing for foreign ids")
    # programs, personas, partnerships, applications, customers, revenue events, commissions,
    # payouts: the filters exist, so a discovery that finds none is itself a failure.
    assert len(checked) >= 10, checked


def test_dashboard_list_pages_ignore_foreign_ids_in_the_query_string(world, client_for):
    client = client_for(world["attacker"])
    foreign = {k.removesuffix("_id"): v for k, v in world["their_objects"].items()}
    foreign |= {"run": world["their_objects"]["payout_run_id"]}
    markers = _foreign_markers(world)
    checked = 0
    for route in tenant_routes():
        if route.is_api or route.object_kwargs or "GET" not in route.methods:
            continue
        if "vendor_slug" not in route.kwargs:
            continue
        url = _url(route, "mine", {})
        response = client.get(url, foreign)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode()
        for value in foreign.values():  # the filter form and export link echo the query
            body = body.replace(f"={value}", "=").replace(f'value="{value}"', "")
        assert not [m for m in markers if m in body], url
        checked += 1
    assert checked >= 10


def test_bulk_approval_naming_another_vendors_payout_is_refused_whole(world):
    mine = PayoutFactory(run__program__vendor=world["mine"], status="draft")
    theirs = Payout.objects.for_vendor(world["theirs"]).get(
        public_id=world["their_objects"]["payout_id"]
    )
    theirs_status = theirs.status

    response = _api(world).post(
        "/api/v1/payouts/approve",
        {"payouts": [mine.public_id, theirs.public_id]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "payouts"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "draft"  # nothing half-written
    assert theirs.status == theirs_status


@pytest.mark.parametrize("field", ["customer", "refunds"])
def test_revenue_event_naming_another_vendors_customer_or_invoice_is_refused(world, field):
    their_invoice = RevenueEvent.objects.for_vendor(world["theirs"]).get(
        public_id=world["their_objects"]["revenue_event_id"]
    )
    my_invoice = RevenueEvent.objects.for_vendor(world["mine"]).get(
        public_id=world["my_objects"]["revenue_event_id"]
    )
    their_events = RevenueEvent.objects.for_vendor(world["theirs"]).count()
    body = {
        "external_id": "evt-foreign",
        "kind": "refund" if field == "refunds" else "invoice_paid",
        "customer": my_invoice.customer.external_id,
        "amount": 100,
        "currency": "USD",
        "occurred_at": "2026-11-01T00:00:00Z",
    }
    if field == "customer":
        body["customer"] = their_invoice.customer.public_id
    else:
        body["refunds"] = their_invoice.external_id

    response = _api(world).post("/api/v1/revenue-events", body, format="json")

    assert response.status_code == 400, response.content
    assert (
        not RevenueEvent.objects.for_vendor(world["mine"])
        .filter(external_id="evt-foreign")
        .exists()
    )
    assert RevenueEvent.objects.for_vendor(world["theirs"]).count() == their_events
