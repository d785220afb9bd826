"""The whole path on real infrastructure: a committed change enqueues the fan-out on the real
broker, a real worker delivers, the receiver verifies."""

from __future__ import annotations

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import WebhookDelivery
from partnerhub.webhooks.services.endpoints import webhook_endpoint_create
from partnerhub.webhooks.services.outbox import event_record
from tests.waiting import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reaches_the_receiver_through_a_real_worker(
    vendor, other_vendor, receiver, allow_local_targets, celery_worker
):
    created = webhook_endpoint_create(
        actor=Actor.system(), vendor=vendor, url=receiver.url, event_types=["*"]
    )
    webhook_endpoint_create(
        actor=Actor.system(), vendor=other_vendor, url=receiver.url + "/other", event_types=["*"]
    )
    with transaction.atomic():
        event = event_record(vendor=vendor, type="commission.created", data={"amount": 1500})

    assert wait_for(lambda: len(receiver.requests) == 1)
    payload = Webhook(created.secret).verify(
        receiver.requests[0].body, receiver.requests[0].headers
    )
    assert (payload["id"], payload["data"]) == (event.public_id, {"amount": 1500})
    assert wait_for(
        lambda: WebhookDelivery.objects.for_vendor(vendor).filter(status="succeeded").exists()
    )
    assert wait_for(celery_worker.idle)  # every task the event led to has run
    assert len(receiver.requests) == 1  # the other vendor's endpoint got nothing
