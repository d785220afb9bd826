"""The dashboard as a person uses it: sign up, create a vendor, invite, keys, settings."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from partnerhub.accounts.models import User
from partnerhub.api.models import APIKey
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor

pytestmark = pytest.mark.django_db


def test_vendor_sign_up_from_scratch():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "founder@initech.example",
            "password1": "s3cure-Passw0rd!",
            "password2": "s3cure-Passw0rd!",
        },
    )
    assert response.status_code == 302
    # E-mail verification is mandatory: the link arrives by e-mail.
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    response = client.post(link.group(1))
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="founder@initech.example").verified

    # No vendor yet: the picker offers to create one.
    page = client.get("/app/")
    assert page.status_code == 200
    assert "Create a vendor" in page.content.decode()

    response = client.post(
        "/app/new/",
        {
            "name": "Initech",
            "slug": "initech",
            "default_currency": "EUR",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/app/initech/"
    vendor = Vendor.objects.get(slug="initech")
    user = User.objects.get(email="founder@initech.example")
    assert Membership.objects.for_vendor(vendor).get(user=user).role == Role.OWNER
    home = client.get("/app/initech/")
    assert home.status_code == 200
    assert "Initech" in home.content.decode()


def test_vendor_create_form_shows_errors_next_to_fields(owner, client_for):
    client = client_for(owner)
    response = client.post(
        "/app/new/", {"name": "", "slug": "acme", "default_currency": "XXX", "time_zone": "UTC"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "slug", "default_currency"}
    assert "already taken" in errors["slug"][0]


def test_owner_invites_a_member_who_accepts(
    vendor, owner, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            "/app/acme/members/", {"email": "new@acme.example", "role": "manager"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/invitations/[^\s]+/)", mail.outbox[0].body).group(1)

    # Anonymous visitors are asked to sign in first.
    page = Client().get(link)
    assert page.status_code == 200
    assert "new@acme.example" in page.content.decode()

    invitee = User.objects.create_user(email="new@acme.example", password="x-Passw0rd-long")
    accept = client_for(invitee).post(link)
    assert accept.status_code == 302
    assert accept["Location"] == "/app/acme/"
    assert Membership.objects.for_vendor(vendor).get(user=invitee).role == Role.MANAGER
    assert Invitation.objects.for_vendor(vendor).get().accepted_at is not None


def test_invite_with_a_bad_email_shows_the_error_and_sends_nothing(vendor, owner, client_for):
    response = client_for(owner).post(
        "/app/acme/members/", {"email": "not-an-email", "role": "manager"}
    )
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert mail.outbox == []
    assert not Invitation.objects.for_vendor(vendor).exists()


def test_a_manager_cannot_invite_and_a_viewer_cannot_change_settings(
    vendor, manager, viewer, client_for
):
    assert client_for(manager).get("/app/acme/members/").status_code == 200
    assert (
        client_for(manager)
        .post("/app/acme/members/", {"email": "x@y.example", "role": "owner"})
        .status_code
        == 403
    )
    assert client_for(viewer).post("/app/acme/settings/", {"name": "Hacked"}).status_code == 403
    vendor.refresh_from_db()
    assert vendor.name == "Acme Analytics"
    assert not Invitation.objects.for_vendor(vendor).exists()


def test_api_keys_page_shows_a_new_key_once(vendor, admin, manager, client_for):
    client = client_for(admin)
    response = client.post("/app/acme/api-keys/", {"name": "Billing sync", "role": "admin"})
    assert response.status_code == 200
    raw_key = response.context["new_key"]
    assert raw_key in response.content.decode()
    again = client.get("/app/acme/api-keys/").content.decode()
    assert raw_key not in again
    assert "Billing sync" in again
    # Managers do not manage keys.
    assert client_for(manager).get("/app/acme/api-keys/").status_code == 403
    # The key works against the API.
    assert Client().get("/api/v1/vendor", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code == 200


def test_revoking_a_key_asks_for_confirmation_first(vendor, admin, client_for):
    from partnerhub.api.services import api_key_create

    created = api_key_create(actor=Actor.system(), vendor=vendor, name="old")
    client = client_for(admin)
    confirm = client.get(f"/app/acme/api-keys/{created.api_key.public_id}/revoke/")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert APIKey.objects.for_vendor(vendor).get().revoked_at is None
    client.post(f"/app/acme/api-keys/{created.api_key.public_id}/revoke/")
    assert APIKey.objects.for_vendor(vendor).get().revoked_at is not None


def test_settings_are_saved_by_an_admin_and_bad_input_is_refused(vendor, admin, client_for):
    client = client_for(admin)
    bad = client.post(
        "/app/acme/settings/",
        {"name": "Acme", "default_currency": "USD", "time_zone": "Nowhere/City"},
    )
    assert bad.status_code == 400
    assert "time_zone" in bad.context["form"].errors
    ok = client.post(
        "/app/acme/settings/",
        {"name": "Acme Two", "default_currency": "EUR", "time_zone": "Europe/Paris"},
    )
    assert ok.status_code == 302
    vendor.refresh_from_db()
    assert (vendor.name, vendor.default_currency, vendor.time_zone) == (
        "Acme Two",
        "EUR",
        "Europe/Paris",
    )


def test_unknown_and_foreign_vendor_slugs_are_404_alike(vendor, other_vendor, owner, client_for):
    client = client_for(owner)
    assert client.get("/app/globex/").status_code == 404
    assert client.get("/app/no-such-vendor/").status_code == 404


def test_anonymous_dashboard_visits_redirect_to_login(vendor):
    response = Client().get("/app/acme/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_vendor_switcher_lists_every_vendor_of_the_user(vendor, other_vendor, owner, client_for):
    from tests.factories import MembershipFactory

    MembershipFactory(vendor=other_vendor, user=owner, role=Role.VIEWER)
    page = client_for(owner).get("/app/acme/").content.decode()
    assert "/app/globex/" in page
    assert "/app/acme/" in page
