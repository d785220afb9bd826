"""Delivering events to webhook endpoints, checked by a receiver written from the docs alone:
it knows only the endpoint's secret and the ``standardwebhooks`` package."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from partnerhub.webhooks.services.deliveries import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    webhook_delivery_resend,
    webhook_sign,
)
from partnerhub.webhooks.services.endpoints import webhook_endpoint_create
from partnerhub.webhooks.services.outbox import event_record
from partnerhub.webhooks.tasks import webhook_deliveries_due_task
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "allow_local_targets")]


def _record(vendor, capture, type="partnership.created", data=None):
    with capture(execute=True), transaction.atomic():
        return event_record(vendor=vendor, type=type, data=data or {"id": "ptn_1"})


def _endpoint(vendor, url, event_types=("*",)):
    return webhook_endpoint_create(
        actor=Actor.system(), vendor=vendor, url=url, event_types=list(event_types)
    )


def _make_retries_due(vendor):
    """Time passes: every pending retry is due now (instead of sleeping through backoff)."""
    WebhookDelivery.objects.for_vendor(vendor).filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_every_delivery_verifies_with_only_the_secret_and_standardwebhooks(
    vendor, other_vendor, receiver, django_capture_on_commit_callbacks
):
    created = _endpoint(vendor, receiver.url)
    _endpoint(other_vendor, receiver.url + "/globex")
    first = _record(vendor, django_capture_on_commit_callbacks, data={"id": "ptn_1"})
    second = _record(
        vendor, django_capture_on_commit_callbacks, type="payout.paid", data={"amount": 1500}
    )

    assert len(receiver.requests) == 2  # nothing for the other vendor's endpoint
    verifier = Webhook(created.secret)
    payloads = [verifier.verify(r.body, r.headers) for r in receiver.requests]
    assert [p["id"] for p in payloads] == [first.public_id, second.public_id]
    assert [p["type"] for p in payloads] == ["partnership.created", "payout.paid"]
    assert payloads[1]["data"] == {"amount": 1500}
    assert receiver.requests[0].headers["webhook-id"] == first.public_id
    assert receiver.requests[0].headers["webhook-signature"].startswith("v1,")
    # Every delivery is logged as one successful attempt.
    attempts = WebhookDeliveryAttempt.objects.for_vendor(vendor)
    assert [(a.number, a.succeeded, a.response_status) for a in attempts] == [
        (1, True, 200),
        (1, True, 200),
    ]
    assert all(a.duration_ms >= 0 for a in attempts)


def test_a_tampered_body_or_a_stale_timestamp_fails_verification(
    vendor, receiver, django_capture_on_commit_callbacks
):
    created = _endpoint(vendor, receiver.url)
    _record(vendor, django_capture_on_commit_callbacks, data={"amount": 1000})
    received = receiver.requests[0]
    verifier = Webhook(created.secret)
    verifier.verify(received.body, received.headers)

    tampered = received.body.replace(b'"amount":1000', b'"amount":9000')
    assert tampered != received.body
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, received.headers)

    # The same request replayed with a changed timestamp does not match its signature…
    with pytest.raises(WebhookVerificationError):
        verifier.verify(received.body, {**received.headers, "webhook-timestamp": "1"})
    # …and a correctly signed request older than five minutes is refused as too old.
    body = received.body.decode()
    old = timezone.now() - dt.timedelta(minutes=5, seconds=30)
    stale = webhook_sign(secret=created.secret, msg_id="evt_x", timestamp=old, body=body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(body, stale)
    fresh = webhook_sign(secret=created.secret, msg_id="evt_x", timestamp=timezone.now(), body=body)
    verifier.verify(body, fresh)
    # Another endpoint's secret does not verify it either.
    with pytest.raises(WebhookVerificationError):
        Webhook(_endpoint(vendor, receiver.url).secret).verify(received.body, received.headers)


def test_500_three_times_then_200_is_one_success_after_four_logged_attempts(
    vendor, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500, 500, 500]
    _endpoint(vendor, receiver.url)
    event = _record(vendor, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.for_vendor(vendor).get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at > timezone.now()  # backing off, not hammering

    webhook_deliveries_due_task()  # nothing is due yet: no request
    assert len(receiver.requests) == 1
    for _ in range(3):
        _make_retries_due(vendor)
        webhook_deliveries_due_task()
    webhook_deliveries_due_task()  # done: re-running the sweep sends nothing more

    assert len(receiver.requests) == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {event.public_id}
    attempts = list(WebhookDeliveryAttempt.objects.for_vendor(vendor).order_by("number"))
    assert [(a.number, a.response_status, a.succeeded) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, False),
        (4, 200, True),
    ]
    assert [a.next_attempt_at is not None for a in attempts] == [True, True, True, False]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_response_status) == (
        DeliveryStatus.SUCCEEDED,
        4,
        200,
    )
    assert WebhookEndpoint.objects.for_vendor(vendor).get().consecutive_failures == 0


def test_retries_back_off_over_about_three_days_then_give_up(
    vendor, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    receiver.script = [503] * 50
    _endpoint(vendor, receiver.url)
    before = timezone.now()
    _record(vendor, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.for_vendor(vendor).get()
    first_wait = delivery.next_attempt_at - before
    assert dt.timedelta(seconds=4) < first_wait < dt.timedelta(seconds=10)
    for _ in range(MAX_ATTEMPTS + 2):
        _make_retries_due(vendor)
        webhook_deliveries_due_task()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == MAX_ATTEMPTS == len(receiver.requests)
    assert delivery.next_attempt_at is None
    waits = list(RETRY_SCHEDULE)
    assert waits == sorted(waits)  # backoff: never shorter than the previous wait
    assert dt.timedelta(days=2.5) <= sum(waits, dt.timedelta()) <= dt.timedelta(days=3.5)


def test_410_gone_disables_the_endpoint_and_emails_the_vendors_admins(
    vendor,
    other_vendor,
    owner,
    admin,
    viewer,
    other_owner,
    receiver,
    django_capture_on_commit_callbacks,
):
    receiver.script = [410]
    _endpoint(vendor, receiver.url)
    _record(vendor, django_capture_on_commit_callbacks)
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get()
    assert not endpoint.enabled
    assert "410" in endpoint.disabled_reason
    delivery = WebhookDelivery.objects.for_vendor(vendor).get()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["admin@acme.example", "owner@acme.example"]
    assert endpoint.url in mail.outbox[0].body

    # A disabled endpoint receives nothing more.
    _record(vendor, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1


def test_repeated_failures_disable_the_endpoint_with_one_email(
    vendor, admin, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.script = [500] * 10
    _endpoint(vendor, receiver.url)
    for _ in range(3):
        _record(vendor, django_capture_on_commit_callbacks)
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get()
    assert not endpoint.enabled
    assert "3 deliveries failed in a row" in endpoint.disabled_reason
    assert len(mail.outbox) == 1
    # Pending retries of a disabled endpoint are dropped, not sent.
    _make_retries_due(vendor)
    webhook_deliveries_due_task()
    assert len(receiver.requests) == 3
    assert not WebhookDelivery.objects.for_vendor(vendor).filter(status="pending").exists()


def test_only_subscribed_event_types_are_delivered(
    vendor, receiver, django_capture_on_commit_callbacks
):
    _endpoint(vendor, receiver.url, event_types=["payout.paid"])
    _record(vendor, django_capture_on_commit_callbacks, type="partnership.created")
    _record(vendor, django_capture_on_commit_callbacks, type="payout.paid")
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["payout.paid"]


def test_a_rolled_back_change_announces_nothing(
    vendor, receiver, django_capture_on_commit_callbacks
):
    from partnerhub.webhooks.models import Event

    _endpoint(vendor, receiver.url)

    def failing_change():
        with transaction.atomic():
            event_record(vendor=vendor, type="customer.created", data={})
            raise RuntimeError("the change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        failing_change()
    assert callbacks == []
    assert not Event.objects.for_vendor(vendor).exists()
    assert receiver.requests == []


def test_resend_sends_the_same_event_again_and_logs_another_attempt(
    vendor, receiver, django_capture_on_commit_callbacks
):
    _endpoint(vendor, receiver.url)
    _record(vendor, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.for_vendor(vendor).get()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_resend(actor=Actor.system(), vendor=vendor, delivery_id=delivery.public_id)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)


def test_resend_to_a_disabled_endpoint_is_refused(vendor, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    from tests.factories import WebhookDeliveryFactory

    delivery = WebhookDeliveryFactory(vendor=vendor, endpoint__enabled=False)
    with pytest.raises(ValidationError):
        webhook_delivery_resend(actor=Actor.system(), vendor=vendor, delivery_id=delivery.public_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_the_admin_email_goes_to_admins_and_owners_only(
    vendor, receiver, django_capture_on_commit_callbacks
):
    MembershipFactory(vendor=vendor, user=UserFactory(email="m@acme.example"), role=Role.MANAGER)
    MembershipFactory(vendor=vendor, user=UserFactory(email="a@acme.example"), role=Role.ADMIN)
    receiver.script = [410]
    _endpoint(vendor, receiver.url)
    _record(vendor, django_capture_on_commit_callbacks)
    assert mail.outbox[0].to == ["a@acme.example"]


def test_two_workers_never_attempt_one_delivery_at_once(vendor, receiver):
    from partnerhub.webhooks.services.deliveries import _delivery_lease
    from tests.factories import WebhookDeliveryFactory

    delivery = WebhookDeliveryFactory(
        vendor=vendor, status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
    )
    assert _delivery_lease(vendor=vendor, delivery_id=delivery.pk) is not None
    # The first worker holds the lease (its attempt is in flight): a second finds nothing due.
    assert _delivery_lease(vendor=vendor, delivery_id=delivery.pk) is None
    assert webhook_deliveries_due_task() == 0


def test_bulk_events_are_delivered_in_order_with_one_fanout(
    vendor, receiver, django_capture_on_commit_callbacks
):
    from partnerhub.webhooks.services.outbox import EventSpec, event_record_many

    _endpoint(vendor, receiver.url, event_types=["commission.created"])
    specs = [EventSpec(type="commission.created", data={"amount": n * 100}) for n in (1, 2, 3)]
    specs.append(EventSpec(type="customer.created", data={}))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        events = event_record_many(vendor=vendor, events=specs)
    assert len(callbacks) == 1
    assert len(events) == 4
    assert all(e.public_id.startswith("evt_") for e in events)
    assert [json.loads(r.body)["data"]["amount"] for r in receiver.requests] == [100, 200, 300]


def test_a_vendor_without_endpoints_enqueues_nothing(
    vendor, django_capture_on_commit_callbacks, monkeypatch
):
    from partnerhub.webhooks import tasks

    enqueued = []
    monkeypatch.setattr(tasks.webhook_event_fanout_task, "delay", lambda *a: enqueued.append(a))
    _record(vendor, django_capture_on_commit_callbacks)
    assert enqueued == []
