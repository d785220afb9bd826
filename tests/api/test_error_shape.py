"""One error shape for every failure of every resource: 400, 401, 403, 404, 405, 406, 415,
422, 429 — checked on the webhook resources, which use only the shared machinery."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from partnerhub.api.services import vendor_api_settings_set
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from tests.api.test_auth_and_errors import assert_error
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_every_failure_uses_the_error_shape(
    vendor, other_vendor, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(vendor)
    theirs = WebhookEndpointFactory(vendor=other_vendor)
    assert_error(client.get(f"/api/v1/webhook-endpoints/{theirs.public_id}"), 404, "not_found")
    assert_error(client.get("/api/v1/webhook-endpoints/we_nope"), 404, "not_found")
    assert_error(client.put("/api/v1/webhook-endpoints", {}, format="json"), 405)
    assert_error(client.get("/api/v1/events", HTTP_ACCEPT="application/xml"), 406)
    assert_error(
        client.generic("POST", "/api/v1/webhook-endpoints", "url=x", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    assert_error(
        client.post("/api/v1/webhook-endpoints", {"event_types": ["*"]}, format="json"),
        400,
        "required",
        field="url",
    )
    assert_error(APIClient().get("/api/v1/events"), 401, "not_authenticated")
    assert_error(
        api_client_for(vendor, role=Role.VIEWER).get("/api/v1/webhook-endpoints"),
        403,
        "permission_denied",
    )
    assert_error(client.get("/api/v1/events/"), 404, "not_found")  # no trailing slashes
    with django_capture_on_commit_callbacks(execute=True):
        vendor_api_settings_set(actor=Actor.system(), vendor=vendor, requests_per_minute=1)
    limited = api_client_for(vendor)
    limited.get("/api/v1/events")
    assert_error(limited.get("/api/v1/events"), 429, "throttled")
