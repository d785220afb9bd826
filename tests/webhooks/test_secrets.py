"""Webhook signing secrets: encrypted at rest, shown once on creation and on rotation, and
a rotated secret signs every delivery from then on while the old one stops verifying."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.webhooks.crypto import secret_decrypt
from partnerhub.webhooks.models import WebhookEndpoint
from partnerhub.webhooks.services.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_secret_rotate,
)
from partnerhub.webhooks.services.outbox import event_record

BODY = {"url": "https://hooks.example.com/partnerhub", "event_types": ["*"]}


def _stored_secret_column(endpoint_pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM webhooks_webhookendpoint WHERE id = %s", [endpoint_pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_database_holds_no_plaintext_secret(vendor, api_client_for):
    body = api_client_for(vendor).post("/api/v1/webhook-endpoints", BODY, format="json").json()
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get(public_id=body["id"])
    stored = _stored_secret_column(endpoint.pk)
    assert body["secret"] not in stored
    assert not stored.startswith("whsec_")
    assert secret_decrypt(stored) == body["secret"]
    columns = [c.name for c in connection.introspection.get_table_description(
        connection.cursor(), "webhooks_webhookendpoint"
    )]  # fmt: skip
    assert "secret" not in columns


@pytest.mark.django_db
def test_rotating_through_the_api_shows_the_new_secret_once(vendor, api_client_for):
    client = api_client_for(vendor)
    created = client.post("/api/v1/webhook-endpoints", BODY, format="json").json()
    rotated = client.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()
    assert new["id"] == created["id"]
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != created["secret"]
    assert "secret" not in client.get(f"/api/v1/webhook-endpoints/{created['id']}").json()
    entry = AuditEntry.objects.for_vendor(vendor).get(action="webhook_endpoint.secret_rotated")
    assert entry.target_id == created["id"]
    assert new["secret"] not in str(entry.before) + str(entry.after)


@pytest.mark.django_db
def test_a_manager_key_cannot_rotate(vendor, api_client_for):
    from partnerhub.tenancy.models import Role

    admin = api_client_for(vendor)
    created = admin.post("/api/v1/webhook-endpoints", BODY, format="json").json()
    manager = api_client_for(vendor, role=Role.MANAGER)
    answer = manager.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret")
    assert answer.status_code == 403


@pytest.mark.django_db
def test_an_admin_rotates_on_the_dashboard_and_sees_the_secret_once(vendor, admin, client_for):
    created = webhook_endpoint_create(
        actor=Actor.system(), vendor=vendor, url=BODY["url"], event_types=["*"]
    )
    client = client_for(admin)
    url = f"/app/acme/webhooks/{created.endpoint.public_id}/"
    answer = client.post(url, {"action": "rotate_secret"})
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get()
    new_secret = endpoint.signing_secret
    assert new_secret != created.secret
    assert new_secret.encode() in answer.content
    assert new_secret.encode() not in client.get(url).content


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_celery", "allow_local_targets")
def test_after_rotation_deliveries_verify_with_the_new_secret_only(
    vendor, receiver, django_capture_on_commit_callbacks
):
    created = webhook_endpoint_create(
        actor=Actor.system(), vendor=vendor, url=receiver.url, event_types=["*"]
    )
    rotated = webhook_endpoint_secret_rotate(
        actor=Actor.system(), vendor=vendor, endpoint_id=created.endpoint.public_id
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(vendor=vendor, type="partnership.created", data={"id": "ptn_1"})
    (request,) = receiver.requests
    assert Webhook(rotated.secret).verify(request.body, request.headers)["data"] == {"id": "ptn_1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(created.secret).verify(request.body, request.headers)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plaintext_secrets(vendor, settings):
    # Migrations run as the owner of the tables, not as the application role.
    settings.DATABASE_SESSION_ROLE = ""
    connection.close()
    executor = MigrationExecutor(connection)
    before = [("webhooks", "0002_webhookendpoint_webhookdelivery_and_more")]
    after = [("webhooks", "0003_endpoint_secret_encrypted")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("webhooks", "WebhookEndpoint")
        row = old._base_manager.create(
            vendor_id=vendor.pk, public_id="we_legacy", url=BODY["url"], event_types=["*"],
            secret="whsec_bGVnYWN5LXNlY3JldC1iZWZvcmUtZW5jcnlwdGlvbg==",
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    stored = _stored_secret_column(row.pk)
    connection.close()  # the next test's connection acts as the application role again
    assert "legacy" not in stored
    assert secret_decrypt(stored) == "whsec_bGVnYWN5LXNlY3JldC1iZWZvcmUtZW5jcnlwdGlvbg=="


@pytest.mark.django_db
def test_a_new_key_takes_over_after_reencrypting(vendor, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBHOOK_SECRET_KEYS = [old_key]
    created = webhook_endpoint_create(
        actor=Actor.system(), vendor=vendor, url=BODY["url"], event_types=["*"]
    )
    settings.WEBHOOK_SECRET_KEYS = [new_key, old_key]
    call_command("webhook_secrets_reencrypt")
    settings.WEBHOOK_SECRET_KEYS = [new_key]  # the old key is gone
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get()
    assert endpoint.signing_secret == created.secret
