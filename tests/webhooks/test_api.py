"""The events and webhook endpoints API."""

from __future__ import annotations

import pytest

from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import WebhookEndpoint
from tests.factories import (
    EventFactory,
    WebhookDeliveryAttemptFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db

BODY = {"url": "https://hooks.example.com/partnerhub", "event_types": ["partnership.created"]}


def test_creating_an_endpoint_shows_the_secret_once(vendor, api_client_for):
    client = api_client_for(vendor)
    created = client.post("/api/v1/webhook-endpoints", BODY, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id"].startswith("we_")
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["partnership.created"]
    assert body["enabled"] is True
    shown = client.get(f"/api/v1/webhook-endpoints/{body['id']}").json()
    assert "secret" not in shown
    listed = client.get("/api/v1/webhook-endpoints").json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**BODY, "url": "not a url"}, "url"),
        ({**BODY, "url": "http://10.0.0.1/hook"}, "url"),
        ({**BODY, "event_types": []}, "event_types"),
        ({**BODY, "event_types": ["Partnership Created"]}, "event_types"),
        ({"event_types": ["*"]}, "url"),
    ],
)
def test_bad_endpoints_get_400_naming_the_field_and_create_nothing(
    vendor, api_client_for, payload, field
):
    response = api_client_for(vendor).post("/api/v1/webhook-endpoints", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()


def test_an_endpoint_can_be_updated_disabled_and_deleted(vendor, api_client_for):
    client = api_client_for(vendor)
    endpoint = WebhookEndpointFactory(vendor=vendor)
    url = f"/api/v1/webhook-endpoints/{endpoint.public_id}"
    response = client.patch(url, {"enabled": False, "event_types": ["payout.paid"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is False
    assert response.json()["disabled_reason"]
    response = client.patch(url, {"enabled": True}, format="json")
    assert response.json()["enabled"] is True
    assert response.json()["disabled_reason"] == ""
    bad = client.patch(url, {"url": "http://192.168.0.1/x"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "url"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER])
def test_only_admin_keys_may_see_or_manage_endpoints(vendor, api_client_for, role):
    client = api_client_for(vendor, role=role)
    assert client.get("/api/v1/webhook-endpoints").status_code == 403
    assert client.post("/api/v1/webhook-endpoints", BODY, format="json").status_code == 403
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()


def test_events_are_listed_newest_first_and_filter_by_type(
    vendor, other_vendor, api_client_for, django_assert_max_num_queries
):
    older = EventFactory(vendor=vendor, type="partnership.created")
    newer = EventFactory(vendor=vendor, type="payout.paid", data={"amount": 2500})
    EventFactory(vendor=other_vendor, type="payout.paid")
    client = api_client_for(vendor, role=Role.VIEWER)
    with django_assert_max_num_queries(6):
        results = client.get("/api/v1/events").json()["results"]
    assert [e["id"] for e in results] == [newer.public_id, older.public_id]
    assert results[0]["data"] == {"amount": 2500}
    assert results[0]["created_at"].endswith("Z")
    filtered = client.get("/api/v1/events", {"type": "payout.paid"}).json()["results"]
    assert [e["id"] for e in filtered] == [newer.public_id]
    one = client.get(f"/api/v1/events/{older.public_id}").json()
    assert one["type"] == "partnership.created"


def test_the_deliveries_of_an_endpoint_list_their_attempts_in_bounded_queries(
    vendor, other_vendor, api_client_for, django_assert_max_num_queries
):
    endpoint = WebhookEndpointFactory(vendor=vendor)
    for _ in range(5):
        delivery = WebhookDeliveryFactory(vendor=vendor, endpoint=endpoint, attempt_count=2)
        WebhookDeliveryAttemptFactory(vendor=vendor, delivery=delivery, number=1)
        WebhookDeliveryAttemptFactory(vendor=vendor, delivery=delivery, number=2, succeeded=True)
    WebhookDeliveryFactory(vendor=vendor)  # another endpoint's
    WebhookDeliveryFactory(vendor=other_vendor)
    client = api_client_for(vendor)
    with django_assert_max_num_queries(9):
        response = client.get(f"/api/v1/webhook-endpoints/{endpoint.public_id}/deliveries")
    results = response.json()["results"]
    assert len(results) == 5
    assert {r["endpoint"] for r in results} == {endpoint.public_id}
    assert [a["number"] for a in results[0]["attempts"]] == [1, 2]
    filtered = client.get("/api/v1/webhook-deliveries", {"endpoint": endpoint.public_id})
    assert len(filtered.json()["results"]) == 5
    assert len(client.get("/api/v1/webhook-deliveries").json()["results"]) == 6


def test_resend_by_api_queues_the_delivery_again(
    vendor, api_client_for, django_capture_on_commit_callbacks, monkeypatch
):
    from partnerhub.webhooks import tasks

    queued = []
    monkeypatch.setattr(
        tasks.webhook_delivery_attempt_task, "delay", lambda *args: queued.append(args)
    )
    delivery = WebhookDeliveryFactory(vendor=vendor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(vendor).post(
            f"/api/v1/webhook-deliveries/{delivery.public_id}/resend"
        )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert queued == [(vendor.pk, delivery.pk)]


@pytest.mark.parametrize("limit", ["0", "-1", "abc"])
def test_a_bad_limit_is_a_400_naming_it(vendor, api_client_for, limit):
    response = api_client_for(vendor).get("/api/v1/events", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "limit"


def test_a_bad_cursor_is_a_400_naming_it(vendor, api_client_for):
    response = api_client_for(vendor).get("/api/v1/events", {"cursor": "garbage"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "cursor"


def test_cursor_pagination_walks_every_event_once(vendor, api_client_for):
    made = {EventFactory(vendor=vendor).public_id for _ in range(5)}
    client = api_client_for(vendor)
    seen, url = [], "/api/v1/events?limit=2"
    while url:
        page = client.get(url).json()
        seen += [e["id"] for e in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+15:00", "yesterday"])
def test_a_timestamp_filter_out_of_range_or_malformed_is_a_400_naming_it(
    vendor, api_client_for, value
):
    response = api_client_for(vendor).get("/api/v1/events", {"created_after": value})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "created_after"


def test_timestamp_filters_take_any_offset_and_compare_in_utc(vendor, api_client_for):
    event = EventFactory(vendor=vendor)
    client = api_client_for(vendor)
    # The event's own wall-clock time read as +02:00 is two hours before it: included.
    shifted = event.created_at.replace(tzinfo=None).isoformat() + "+02:00"
    found = client.get("/api/v1/events", {"created_after": shifted}).json()["results"]
    assert [e["id"] for e in found] == [event.public_id]
    # An offset PostgreSQL could not store (+21:50) is normalised to UTC first: no error.
    far = client.get("/api/v1/events", {"created_after": "5700-07-30T06:31:52+21:50"})
    assert far.status_code == 200
    assert far.json()["results"] == []
