"""Idempotency-Key: one key, one execution, for every POST of the API."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connections
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from partnerhub.api.models import IdempotencyRecord
from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import WebhookEndpoint

ENDPOINTS = "/api/v1/webhook-endpoints"
BODY = {"url": "https://hooks.example.com/partnerhub", "event_types": ["partnership.created"]}


def _post(client, body, key):
    return client.post(ENDPOINTS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_replay_returns_the_first_response_and_writes_nothing(vendor, api_client_for):
    client = api_client_for(vendor)
    first = _post(client, BODY, "key-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    replay = _post(client, BODY, "key-1")
    assert replay.status_code == 201
    assert replay.json() == first.json()  # the same id and the same (once-shown) secret
    assert replay["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 1


@pytest.mark.django_db
def test_json_key_order_and_spacing_do_not_make_a_different_request(vendor, api_client_for):
    client = api_client_for(vendor)
    assert _post(client, BODY, "key-1").status_code == 201
    reordered = json.dumps({"event_types": BODY["event_types"], "url": BODY["url"]}, indent=2)
    replay = client.generic(
        "POST", ENDPOINTS, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_answers_422_and_writes_nothing(vendor, api_client_for):
    client = api_client_for(vendor)
    assert _post(client, BODY, "key-1").status_code == 201
    other = {**BODY, "url": "https://other.example.com/hook"}
    response = _post(client, other, "key-1")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["type"] == "invalid_request_error"
    assert list(WebhookEndpoint.objects.for_vendor(vendor).values_list("url", flat=True)) == [
        BODY["url"]
    ]


@pytest.mark.django_db
def test_without_a_key_each_post_executes(vendor, api_client_for):
    client = api_client_for(vendor)
    client.post(ENDPOINTS, BODY, format="json")
    client.post(ENDPOINTS, BODY, format="json")
    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 2


@pytest.mark.django_db
def test_keys_are_per_vendor(vendor, other_vendor, api_client_for):
    mine, theirs = api_client_for(vendor), api_client_for(other_vendor)
    a = _post(mine, BODY, "shared-key")
    b = _post(theirs, {**BODY, "url": "https://globex.example.com/h"}, "shared-key")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b
    assert WebhookEndpoint.objects.for_vendor(other_vendor).get().url == (
        "https://globex.example.com/h"
    )


@pytest.mark.django_db
def test_a_validation_error_is_stored_and_replayed_too(vendor, api_client_for):
    client = api_client_for(vendor)
    bad = {"url": "https://hooks.example.com", "event_types": ["Not A Type"]}
    first = _post(client, bad, "key-bad")
    assert first.status_code == 400
    assert first.json()["error"]["field"] == "event_types"
    replay = _post(client, bad, "key-bad")
    assert replay.status_code == 400
    assert replay["Idempotent-Replayed"] == "true"
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()


@pytest.mark.django_db
def test_records_are_kept_24_hours_then_the_key_may_be_used_again(vendor, api_client_for):
    client = api_client_for(vendor)
    first = _post(client, BODY, "key-1")
    record = IdempotencyRecord.objects.for_vendor(vendor).get(key="key-1")
    assert record.expires_at >= timezone.now() + dt.timedelta(hours=24) - dt.timedelta(minutes=1)
    assert record.response_status == 201
    IdempotencyRecord.objects.for_vendor(vendor).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    again = _post(client, BODY, "key-1")
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_an_overlong_key_is_a_400_naming_the_header(vendor, api_client_for):
    response = _post(api_client_for(vendor), BODY, "k" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()


@pytest.mark.django_db
def test_a_key_on_a_request_that_fails_authentication_stores_nothing(vendor):
    from rest_framework.test import APIClient

    response = _post(APIClient(), BODY, "key-1")
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.unscoped().exists()


@pytest.mark.django_db(transaction=True)
def test_one_hundred_parallel_replays_create_one_object(
    vendor, other_vendor, live_server, monkeypatch
):
    """100 requests with one key against a live threaded server: one endpoint is created and
    every request answers with it. 25 requests are in flight at once (each holds a database
    connection while it waits for the first one, and PostgreSQL allows 100 in all)."""
    raw_key = api_key_create(actor=Actor.system(), vendor=vendor, name="parallel").raw_key
    # Server threads close their connection after each request (not kept for a minute).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    start = threading.Barrier(25)

    def send(_: int) -> requests.Response:
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=10)
        # The test server's listen backlog is small: a refused connection is retried, with
        # the same key, as a real client would.
        session = requests.Session()
        retry = Retry(total=10, connect=10, read=10, allowed_methods=None, backoff_factor=0.05)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        return session.post(
            f"{live_server.url}{ENDPOINTS}",
            json=BODY,
            headers={"Authorization": f"Bearer {raw_key}", "Idempotency-Key": "same-key"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(send, range(100)))

    assert [r.status_code for r in responses] == [201] * 100
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") != "true") == 1
    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 1
    assert not WebhookEndpoint.objects.for_vendor(other_vendor).exists()
    assert IdempotencyRecord.objects.for_vendor(vendor).count() == 1


def test_every_api_view_inherits_the_idempotency_mechanism():
    """Idempotency lives in the API base class; a view outside it would silently lack it."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from partnerhub.api.base import VendorScopedMixin

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith(
                "api/v1/"
            ):
                yield getattr(entry.callback, "cls", None) or entry.callback.view_class

    api_views = {view for view in walk(get_resolver().url_patterns)}
    public = {"SpectacularAPIView"}  # the schema document: GET only, no tenant data
    tenant_views = {view for view in api_views if view.__name__ not in public}
    assert len(tenant_views) >= 5
    assert all(issubclass(view, VendorScopedMixin) for view in tenant_views), tenant_views


@pytest.mark.django_db
def test_action_posts_are_idempotent_too(
    vendor, api_client_for, django_capture_on_commit_callbacks, monkeypatch
):
    from partnerhub.webhooks import tasks
    from tests.factories import WebhookDeliveryFactory

    queued = []
    monkeypatch.setattr(
        tasks.webhook_delivery_attempt_task, "delay", lambda *args: queued.append(args)
    )
    delivery = WebhookDeliveryFactory(vendor=vendor)
    client = api_client_for(vendor)
    url = f"/api/v1/webhook-deliveries/{delivery.public_id}/resend"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, HTTP_IDEMPOTENCY_KEY="resend-1")
        second = client.post(url, HTTP_IDEMPOTENCY_KEY="resend-1")
    assert (first.status_code, second.status_code) == (202, 202)
    assert second["Idempotent-Replayed"] == "true"
    assert len(queued) == 1


@pytest.mark.django_db
def test_the_hourly_purge_forgets_only_expired_records(vendor, other_vendor, api_client_for):
    from partnerhub.api.tasks import idempotency_records_purge_task

    _post(api_client_for(vendor), BODY, "old")
    _post(api_client_for(other_vendor), BODY, "fresh")
    IdempotencyRecord.objects.for_vendor(vendor).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert idempotency_records_purge_task() == 1
    assert list(IdempotencyRecord.objects.unscoped().values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db(transaction=True)
def test_a_request_waiting_too_long_for_the_same_key_gets_409_then_can_retry(
    vendor, api_client_for, settings
):
    """The first request with the key is still running (its transaction holds the key):
    the second waits IDEMPOTENCY_WAIT_SECONDS, answers 409 and writes nothing."""
    from django.db import connections as db_connections
    from django.db import transaction

    from partnerhub.api.idempotency import request_fingerprint

    settings.IDEMPOTENCY_WAIT_SECONDS = 0.3
    client = api_client_for(vendor)
    holding, release = threading.Event(), threading.Event()

    def first_request_in_flight():
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.for_vendor(vendor).create(
                    vendor=vendor,
                    key="busy",
                    fingerprint=request_fingerprint(
                        method="POST", path=ENDPOINTS, body=json.dumps(BODY).encode()
                    ),
                    method="POST",
                    path=ENDPOINTS,
                    expires_at=timezone.now() + dt.timedelta(hours=24),
                )
                holding.set()
                release.wait(10)
                transaction.set_rollback(True)  # the first request fails (a 5xx)
        finally:
            db_connections.close_all()

    thread = threading.Thread(target=first_request_in_flight)
    thread.start()
    assert holding.wait(10)
    try:
        response = _post(client, BODY, "busy")
    finally:
        release.set()
        thread.join(10)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert not WebhookEndpoint.objects.for_vendor(vendor).exists()
    # The first request rolled back, so a retry with the key runs.
    assert _post(client, BODY, "busy").status_code == 201
    assert WebhookEndpoint.objects.for_vendor(vendor).count() == 1
