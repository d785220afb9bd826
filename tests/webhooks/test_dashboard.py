"""Dashboard pages of webhooks: endpoints, delivery log, resend with confirmation."""

from __future__ import annotations

import pytest

from partnerhub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import (
    WebhookDeliveryAttemptFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_endpoint_and_sees_the_secret_once(vendor, admin, client_for):
    client = client_for(admin)
    page = client.get("/app/acme/webhooks/")
    assert page.status_code == 200
    assert b"No webhook endpoints yet" in page.content
    response = client.post(
        "/app/acme/webhooks/",
        {"url": "https://hooks.example.com/ph", "event_types": "partnership.created, payout.paid"},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get()
    assert endpoint.event_types == ["partnership.created", "payout.paid"]
    assert endpoint.signing_secret.encode() in response.content
    again = client.get("/app/acme/webhooks/")
    assert endpoint.signing_secret.encode() not in again.content
    assert b"https://hooks.example.com/ph" in again.content


def test_a_private_url_is_refused_next_to_the_field(vendor, admin, client_for):
    response = client_for(admin).post(
        "/app/acme/webhooks/", {"url": "http://169.254.169.254/", "event_types": "*"}
    )
    assert response.status_code == 400
    assert "has-error" in response.content.decode()
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()


def test_managers_do_not_see_webhooks(vendor, manager, client_for):
    client = client_for(manager)
    assert client.get("/app/acme/webhooks/").status_code == 403
    assert b"/webhooks/" not in client.get("/app/acme/").content


def test_the_delivery_log_shows_attempts_filters_and_stays_cheap(
    vendor, other_vendor, admin, client_for, django_assert_max_num_queries
):
    endpoint = WebhookEndpointFactory(vendor=vendor)
    for _ in range(30):
        delivery = WebhookDeliveryFactory(vendor=vendor, endpoint=endpoint)
        WebhookDeliveryAttemptFactory(vendor=vendor, delivery=delivery, response_status=503)
    WebhookDeliveryFactory(vendor=vendor, endpoint=endpoint, status=DeliveryStatus.SUCCEEDED)
    WebhookDeliveryFactory(vendor=other_vendor)
    client = client_for(admin)
    url = f"/app/acme/webhooks/{endpoint.public_id}/"
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "HTTP 503" in html
    assert "Page 1 of 2" in html
    succeeded = client.get(url, {"status": "succeeded"}).content.decode()
    assert "Page 1 of 1" in succeeded
    assert succeeded.count('badge ok">succeeded') == 1


def test_resend_asks_for_confirmation_then_queues_the_delivery(
    vendor, admin, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    from partnerhub.webhooks import tasks

    queued = []
    monkeypatch.setattr(
        tasks.webhook_delivery_attempt_task, "delay", lambda *args: queued.append(args)
    )
    delivery = WebhookDeliveryFactory(vendor=vendor)
    url = (
        f"/app/acme/webhooks/{delivery.endpoint.public_id}/deliveries/{delivery.public_id}/resend/"
    )
    client = client_for(admin)
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert b"Resend partnership.created?" in confirm.content
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert queued == [(vendor.pk, delivery.pk)]
    assert WebhookDelivery.objects.for_vendor(vendor).get().status == DeliveryStatus.PENDING


def test_a_delivery_of_another_endpoint_is_404_under_this_one(vendor, admin, client_for):
    mine = WebhookEndpointFactory(vendor=vendor)
    delivery = WebhookDeliveryFactory(vendor=vendor)  # of another endpoint of the vendor
    url = f"/app/acme/webhooks/{mine.public_id}/deliveries/{delivery.public_id}/resend/"
    assert client_for(admin).post(url).status_code == 404


def test_disable_enable_and_delete_with_confirmation(vendor, admin, client_for):
    endpoint = WebhookEndpointFactory(vendor=vendor)
    client = client_for(admin)
    url = f"/app/acme/webhooks/{endpoint.public_id}/"
    client.post(url, {"enabled": "false"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(url, {"enabled": "true"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert b"Delete this endpoint?" in client.get(url + "delete/").content
    assert WebhookEndpoint.objects.for_vendor(vendor).exists()
    assert client.post(url + "delete/").status_code == 302
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()
