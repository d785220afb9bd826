"""The audit log: immutable in the database, readable and exportable by admins only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy import services
from partnerhub.tenancy.models import Invitation, Role, Vendor
from tests.factories import AuditEntryFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(vendor, owner):
    return AuditEntryFactory(vendor=vendor, actor_user=owner, actor_label=owner.email)


def test_an_audit_entry_cannot_be_updated_through_the_orm(vendor, entry):
    entry.reason = "rewritten history"
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        entry.save()
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        AuditEntry.objects.for_vendor(vendor).update(after={"role": "owner"})
    entry.refresh_from_db()
    assert entry.reason == ""


def test_an_audit_entry_cannot_be_deleted_through_the_orm(vendor, entry):
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        entry.delete()
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        AuditEntry.objects.for_vendor(vendor).all().delete()
    assert AuditEntry.objects.for_vendor(vendor).filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'nothing.happened' WHERE id = %s",
        "UPDATE audit_auditentry SET actor_user_id = NULL, reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_audit_entry(entry, sql):
    with (
        pytest.raises(IntegrityError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.action == "api_key.created"


def test_deleting_the_actor_keeps_the_entry_and_only_forgets_the_user_link(entry, owner):
    owner.delete()
    entry.refresh_from_db()
    assert entry.actor_user_id is None
    assert entry.actor_label == "owner@acme.example"
    assert entry.action == "api_key.created"


def test_deleting_a_vendor_needs_the_purge_service_and_spares_other_vendors(
    vendor, other_vendor, entry
):
    theirs = AuditEntryFactory(vendor=other_vendor)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        vendor.delete()
    assert Vendor.objects.filter(pk=vendor.pk).exists()

    services.vendor_delete(vendor=vendor)
    assert not Vendor.objects.filter(pk=vendor.pk).exists()
    assert not AuditEntry.objects.unscoped().filter(pk=entry.pk).exists()
    # The permission ended with that transaction and never covered the other vendor.
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        theirs.delete()


def _page(client, **params):
    return client.get("/app/acme/audit/", params)


def test_admins_see_the_log_newest_first(vendor, admin, client_for):
    AuditEntryFactory(vendor=vendor, action="api_key.created", target_id="key_old")
    AuditEntryFactory(vendor=vendor, action="api_key.revoked", target_id="key_new")
    client = client_for(admin)
    response = _page(client)
    assert response.status_code == 200
    ids = [e.target_id for e in response.context["page"].object_list]
    assert ids == ["key_new", "key_old"]
    assert 'href="/app/acme/audit/"' in client.get("/app/acme/").content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER])
def test_viewers_and_managers_cannot_see_or_export_the_log(vendor, role, client_for):
    user = UserFactory()

    MembershipFactory(vendor=vendor, user=user, role=role)
    client = client_for(user)
    assert client.get("/app/acme/audit/").status_code == 403
    assert client.get("/app/acme/audit/export.csv").status_code == 403
    assert "/app/acme/audit/" not in client.get("/app/acme/").content.decode()


def test_another_vendors_log_is_not_found(vendor, other_vendor, admin, client_for):
    AuditEntryFactory(vendor=other_vendor, target_id="key_theirs")
    client = client_for(admin)
    assert client.get("/app/globex/audit/").status_code == 404
    assert client.get("/app/globex/audit/export.csv").status_code == 404
    assert "key_theirs" not in _page(client).content.decode()


def test_filters_by_action_target_actor_and_period(vendor, other_vendor, admin, client_for):
    january = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=january):
        AuditEntryFactory(
            vendor=vendor,
            action="membership.role_changed",
            target_type="membership",
            target_id="mem_a",
        )
    AuditEntryFactory(
        vendor=vendor,
        action="api_key.created",
        target_type="api_key",
        target_id="key_b",
        actor_label="admin@acme.example",
    )
    AuditEntryFactory(vendor=vendor, action="api_key.revoked", target_id="key_c")
    AuditEntryFactory(vendor=other_vendor, action="api_key.created", target_id="key_theirs")
    client = client_for(admin)

    def ids(**params):
        response = _page(client, **params)
        assert response.status_code == 200, response.context["form"].errors
        return [e.target_id for e in response.context["page"].object_list]

    assert ids(action="api_key.created") == ["key_b"]
    assert ids(target="key_c") == ["key_c"]
    assert ids(target="api_key") == ["key_c", "key_b"]
    assert ids(target="membership") == ["mem_a"]
    assert ids(actor="ADMIN@acme") == ["key_b"]
    assert ids(since="2026-01-01", until="2026-01-31") == ["mem_a"]
    assert "key_theirs" not in ids()


def test_a_bad_filter_is_refused_next_to_its_field(vendor, admin, client_for):
    client = client_for(admin)
    response = _page(client, since="2026-02-01", until="2026-01-01")
    assert response.status_code == 400
    assert "until" in response.context["form"].errors
    assert _page(client, action="no.such_action").status_code == 400
    assert client.get("/app/acme/audit/export.csv", {"since": "yesterday"}).status_code == 400


def test_the_log_paginates_with_a_bounded_number_of_queries(
    vendor, admin, client_for, django_assert_max_num_queries
):
    AuditEntryFactory.create_batch(120, vendor=vendor)
    client = client_for(admin)
    with django_assert_max_num_queries(10):
        first = _page(client)
    assert len(first.context["page"].object_list) == 50
    last = _page(client, page=3)
    assert len(last.context["page"].object_list) == 20
    assert "Older" not in last.content.decode()


def test_an_empty_log_says_what_will_appear(vendor, admin, client_for):
    assert "Nothing recorded yet" in _page(client_for(admin)).content.decode()


def test_the_csv_export_has_the_filtered_entries_and_defuses_formulas(
    vendor, other_vendor, admin, client_for
):
    AuditEntryFactory(
        vendor=vendor,
        action="api_key.created",
        target_id="key_b",
        actor_label='=HYPERLINK("http://evil")',
        before=None,
        after={"name": "billing", "role": "admin"},
    )
    AuditEntryFactory(vendor=vendor, action="api_key.revoked", target_id="key_c")
    AuditEntryFactory(vendor=other_vendor, action="api_key.created", target_id="key_theirs")
    response = client_for(admin).get("/app/acme/audit/export.csv", {"action": "api_key.created"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-acme.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["target_id"] == "key_b"
    assert rows[0]["actor"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["after"] == '{"name": "billing", "role": "admin"}'
    assert rows[0]["before"] == ""


def test_the_export_walks_every_entry_in_batches_without_gaps_or_repeats(vendor):
    from partnerhub.audit.selectors import audit_entry_batches, audit_entry_list

    same_moment = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=same_moment):
        AuditEntryFactory.create_batch(7, vendor=vendor)  # ties on created_at
    AuditEntryFactory.create_batch(4, vendor=vendor)
    entries = audit_entry_list(vendor=vendor)
    walked = [e.pk for e in audit_entry_batches(entries, size=3)]
    assert walked == list(entries.values_list("pk", flat=True))
    assert len(walked) == len(set(walked)) == 11


def test_settings_and_invitation_changes_are_audited_from_the_dashboard(vendor, owner, client_for):
    client = client_for(owner)
    client.post(
        "/app/acme/settings/",
        {"name": "Acme Analytics", "default_currency": "EUR", "time_zone": "UTC"},
    )
    client.post("/app/acme/members/", {"email": "new@acme.example", "role": "admin"})
    invitation = Invitation.objects.for_vendor(vendor).get()
    client.post(f"/app/acme/invitations/{invitation.public_id}/revoke/")

    entries = {e.action: e for e in AuditEntry.objects.for_vendor(vendor)}
    assert set(entries) == {"vendor.updated", "invitation.created", "invitation.revoked"}
    updated = entries["vendor.updated"]
    # Only what changed, with the person who changed it.
    assert (updated.before, updated.after) == (
        {"default_currency": "USD"},
        {"default_currency": "EUR"},
    )
    assert updated.actor_label == "owner@acme.example"
    assert entries["invitation.created"].after == {"email": "new@acme.example", "role": "admin"}
    assert entries["invitation.revoked"].target_id == invitation.public_id


def test_saving_unchanged_settings_writes_no_audit_entry(vendor, owner):
    services.vendor_update(vendor=vendor, name="Acme Analytics", actor=Actor.for_user(owner))
    assert not AuditEntry.objects.for_vendor(vendor).exists()
