import pytest
from django.db import transaction

from partnerhub.api.services import api_key_create, api_key_revoke
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy import services
from partnerhub.tenancy.models import Membership, Role
from partnerhub.webhooks.models import Event
from partnerhub.webhooks.services.outbox import event_record

pytestmark = pytest.mark.django_db


def test_role_changes_and_api_keys_are_audited_with_actor_and_before_after(vendor, owner, manager):
    member = Membership.objects.for_vendor(vendor).get(user=manager)
    services.membership_change_role(
        vendor=vendor, membership_id=member.public_id, role=Role.ADMIN, actor=Actor.for_user(owner)
    )
    created = api_key_create(vendor=vendor, name="billing", actor=Actor.for_user(owner))
    api_key_revoke(vendor=vendor, key_id=created.api_key.public_id, actor=Actor.for_user(owner))

    entries = list(AuditEntry.objects.for_vendor(vendor).order_by("created_at"))
    assert [e.action for e in entries] == [
        "membership.role_changed",
        "api_key.created",
        "api_key.revoked",
    ]
    role_change = entries[0]
    assert role_change.actor_label == "owner@acme.example"
    assert role_change.before == {"role": "manager", "user": "manager@acme.example"}
    assert role_change.after == {"role": "admin", "user": "manager@acme.example"}
    assert created.raw_key not in str(entries[1].after)


def test_audit_entries_stay_with_their_vendor(vendor, other_vendor, owner, other_owner):
    api_key_create(vendor=other_vendor, name="theirs", actor=Actor.for_user(other_owner))
    assert not AuditEntry.objects.for_vendor(vendor).filter(action="api_key.created").exists()


@pytest.mark.django_db(transaction=True)
def test_events_are_written_in_the_transaction_of_the_change(vendor):
    with pytest.raises(RuntimeError, match="transaction"):
        event_record(vendor=vendor, type="partnership.created", data={})

    def failing_change():
        with transaction.atomic():
            event_record(vendor=vendor, type="partnership.created", data={"id": "ptn_x"})
            raise ZeroDivisionError  # the change fails after the event was recorded

    with pytest.raises(ZeroDivisionError):
        failing_change()
    assert not Event.objects.for_vendor(vendor).exists()
    with transaction.atomic():
        event = event_record(vendor=vendor, type="partnership.created", data={"id": "ptn_y"})
    assert event.public_id.startswith("evt_")
    assert Event.objects.for_vendor(vendor).get().data == {"id": "ptn_y"}
