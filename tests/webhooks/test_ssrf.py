"""The SSRF guard: deliveries never reach loopback, private or link-local addresses unless
development allows it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt
from partnerhub.webhooks.services.endpoints import webhook_endpoint_create
from partnerhub.webhooks.services.outbox import event_record
from partnerhub.webhooks.ssrf import BlockedTarget, check_url, is_public_address
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

BLOCKED_URLS = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://[::1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://localhost:8000/hook",
    "http://api.localhost/hook",
    "http://printer.local/hook",
    "ftp://example.com/hook",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_non_public_targets_are_refused_when_the_endpoint_is_saved(vendor, url):
    with pytest.raises(ValidationError) as excinfo:
        webhook_endpoint_create(actor=Actor.system(), vendor=vendor, url=url, event_types=["*"])
    assert "url" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert is_public_address(address)


def test_public_urls_are_accepted(vendor):
    created = webhook_endpoint_create(
        actor=Actor.system(),
        vendor=vendor,
        url="https://hooks.example.com/partnerhub",
        event_types=["*"],
    )
    assert created.endpoint.enabled


def test_the_development_setting_allows_local_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    check_url("http://127.0.0.1:8000/hook")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(BlockedTarget):
        check_url("http://127.0.0.1:8000/hook")


def test_a_host_name_resolving_to_loopback_is_blocked_when_connecting(
    vendor, receiver, eager_celery, django_capture_on_commit_callbacks, settings
):
    """The save-time check cannot see where a name resolves; the connection check can."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    port = receiver.url.split(":")[2].split("/")[0]
    # "localhost" resolves to 127.0.0.1; stored directly, as if DNS had changed after saving.
    WebhookEndpointFactory(vendor=vendor, url=f"http://localhost:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(vendor=vendor, type="customer.created", data={})
    assert receiver.requests == []
    attempt = WebhookDeliveryAttempt.objects.for_vendor(vendor).get()
    assert not attempt.succeeded
    assert attempt.response_status is None
    assert attempt.error.startswith("Blocked")
    assert WebhookDelivery.objects.for_vendor(vendor).get().status == "pending"  # retried later


def test_the_same_receiver_is_reached_when_development_allows_it(
    vendor, receiver, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    port = receiver.url.split(":")[2].split("/")[0]
    WebhookEndpointFactory(vendor=vendor, url=f"http://localhost:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(vendor=vendor, type="customer.created", data={})
    assert len(receiver.requests) == 1
