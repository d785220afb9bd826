"""Per-key rate limits: 429 with Retry-After, per vendor limits, bulk requests count items."""

from __future__ import annotations

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from partnerhub.api.base import BulkRateLimitMixin, VendorAPIView
from partnerhub.api.services import api_key_create, vendor_api_settings_set
from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import reset_current_vendor, set_current_vendor

pytestmark = pytest.mark.django_db


def test_a_key_over_its_vendors_limit_gets_429_with_retry_after(
    vendor, other_vendor, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        vendor_api_settings_set(actor=Actor.system(), vendor=vendor, requests_per_minute=3)
    client = api_client_for(vendor)
    assert [client.get("/api/v1/vendor").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/vendor")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "throttled")
    # Another vendor (default limit) is not affected, nor is another key of the same vendor.
    assert api_client_for(other_vendor).get("/api/v1/vendor").status_code == 200
    assert api_client_for(vendor).get("/api/v1/vendor").status_code == 200


def test_a_throttled_post_writes_nothing(
    vendor, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        vendor_api_settings_set(actor=Actor.system(), vendor=vendor, requests_per_minute=1)
    client = api_client_for(vendor)
    body = {"url": "https://hooks.example.com/h", "event_types": ["*"]}
    assert client.post("/api/v1/webhook-endpoints", body, format="json").status_code == 201
    response = client.post(
        "/api/v1/webhook-endpoints", body, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 429
    from partnerhub.api.models import IdempotencyRecord
    from partnerhub.webhooks.models import WebhookEndpoint

    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 1
    assert not IdempotencyRecord.objects.for_vendor(vendor).exists()


def test_a_vendor_limit_below_one_is_refused(vendor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        vendor_api_settings_set(actor=Actor.system(), vendor=vendor, requests_per_minute=0)
    assert "requests_per_minute" in excinfo.value.message_dict


class _BulkEchoApi(BulkRateLimitMixin, VendorAPIView):
    """A stand-in bulk endpoint: the real ones (revenue events) use the same mixin."""

    def post(self, request, *args, **kwargs):
        return Response({"received": len(request.data["items"])})


def test_bulk_requests_count_each_item_against_the_limit(
    vendor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        vendor_api_settings_set(actor=Actor.system(), vendor=vendor, requests_per_minute=10)
    raw_key = api_key_create(actor=Actor.system(), vendor=vendor, name="bulk").raw_key
    view = _BulkEchoApi.as_view()
    factory = APIRequestFactory()

    def send(n: int):
        request = factory.post(
            "/api/v1/bulk",
            {"items": [{"n": i} for i in range(n)]},
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        )
        token = set_current_vendor(None)  # the middleware's job when a view runs in a request
        try:
            return view(request)
        finally:
            reset_current_vendor(token)

    assert send(6).status_code == 200  # 6 of 10 used
    assert send(4).status_code == 200  # 10 of 10 used
    response = send(1)
    assert response.status_code == 429
    assert "Retry-After" in response


def test_the_api_keeps_answering_when_the_rate_limit_store_is_down(
    vendor, api_client_for, monkeypatch
):
    import redis

    from partnerhub.api import ratelimit

    class Down:
        def __getattr__(self, name):
            raise redis.ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit, "_redis", lambda: Down())
    assert api_client_for(vendor).get("/api/v1/vendor").status_code == 200


def test_a_burst_across_a_minute_boundary_cannot_pass_twice_the_limit(
    vendor, api_client_for, monkeypatch, django_capture_on_commit_callbacks
):
    """A fixed window let 2 x limit through around hh:mm:59.9 → hh:mm+1:00.1; the token
    bucket lets ``limit`` through at once, then limit/60 per second."""
    from partnerhub.api.ratelimit import APIKeyRateThrottle

    clock = [1_800_000_059.9]  # 0.1 s before a minute boundary
    monkeypatch.setattr(APIKeyRateThrottle, "timer", staticmethod(lambda: clock[0]))
    with django_capture_on_commit_callbacks(execute=True):
        vendor_api_settings_set(
            actor=Actor.system(), vendor=vendor, requests_per_minute=6
        )  # one token per 10 s
    client = api_client_for(vendor)

    def burst(n: int) -> list[int]:
        return [client.get("/api/v1/vendor").status_code for _ in range(n)]

    assert burst(7) == [200] * 6 + [429]
    clock[0] += 0.2  # the next minute has begun: a fixed window would allow 6 more
    refused = client.get("/api/v1/vendor")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 10  # a whole token is 10 s away (9.8 s, rounded up)
    clock[0] += 10  # one token has dripped back, and only one
    assert burst(2) == [200, 429]
    clock[0] += 60  # a full minute refills the bucket, never beyond the limit
    assert burst(7) == [200] * 6 + [429]
