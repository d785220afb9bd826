"""Optional TOTP two-factor authentication, and the vendor policy that requires it of owners."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from django.test import Client

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.tenancy import services
from partnerhub.tenancy.models import Role
from tests.accounts.totp_helper import totp_code
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _log_in(user) -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return client, response


def _require_mfa(vendor):
    vendor.require_mfa_for_owners = True
    vendor.save()


def test_our_totp_helper_matches_the_rfc_6238_test_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits).
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59, digits=8) == "94287082"


def test_an_owner_without_totp_is_shown_how_to_set_it_up_then_gets_in(vendor, owner):
    _verified(owner)
    _require_mfa(vendor)
    client, response = _log_in(owner)
    assert response.status_code == 302

    for url in ("/app/acme/", "/app/acme/members/", "/app/acme/settings/"):
        blocked = client.get(url)
        assert blocked.status_code == 403, url
        page = blocked.content.decode()
        assert "Set up two-factor authentication" in page
        assert 'href="/accounts/2fa/totp/activate/"' in page
    assert client.post("/app/acme/settings/", {"name": "Changed"}).status_code == 403

    # Activate an authenticator app with a code computed from the secret, as a phone would.
    # allauth first asks for the password again (adding a factor is sensitive).
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 302
    assert activate["Location"].startswith("/accounts/reauthenticate/")
    confirmed = client.post(activate["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200
    secret = activate.context["form"].secret
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=owner).exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()

    assert client.get("/app/acme/").status_code == 200


def test_with_totp_the_log_in_asks_for_a_code_and_refuses_a_replayed_one(vendor, owner):
    _verified(owner)
    _require_mfa(vendor)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(owner, secret)

    client, response = _log_in(owner)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # The password alone does not sign in.
    assert client.get("/app/acme/").status_code == 302
    assert client.post("/accounts/2fa/authenticate/", {"code": "123456"}).status_code == 200
    code = totp_code(secret)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert client.get("/app/acme/").status_code == 200

    # The same code cannot be used a second time.
    second, _ = _log_in(owner)
    replay = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200
    assert second.get("/app/acme/").status_code == 302


def test_the_policy_only_concerns_owners_and_only_of_that_vendor(
    vendor, other_vendor, owner, admin, client_for
):
    _require_mfa(vendor)
    assert client_for(admin).get("/app/acme/").status_code == 200
    MembershipFactory(vendor=other_vendor, user=owner, role=Role.OWNER)
    client = client_for(owner)
    assert client.get("/app/acme/").status_code == 403
    assert client.get("/app/globex/").status_code == 200


def test_without_the_policy_mfa_is_optional(vendor, owner, client_for):
    assert client_for(owner).get("/app/acme/").status_code == 200


def test_an_owner_turns_the_policy_on_only_with_totp_of_their_own(vendor, owner, client_for):
    client = client_for(owner)
    refused = client.post("/app/acme/settings/security/", {"require_mfa_for_owners": "on"})
    assert refused.status_code == 400
    errors = refused.context["security_form"].errors
    assert "lock yourself out" in errors["require_mfa_for_owners"][0]
    vendor.refresh_from_db()
    assert vendor.require_mfa_for_owners is False

    TOTP.activate(owner, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    ok = client.post("/app/acme/settings/security/", {"require_mfa_for_owners": "on"})
    assert ok.status_code == 302
    vendor.refresh_from_db()
    assert vendor.require_mfa_for_owners is True
    entry = AuditEntry.objects.for_vendor(vendor).get(action="vendor.mfa_policy_changed")
    assert (entry.before, entry.after) == (
        {"require_mfa_for_owners": False},
        {"require_mfa_for_owners": True},
    )
    assert entry.actor_label == owner.email


def test_admins_cannot_change_the_mfa_policy(vendor, admin, client_for):
    client = client_for(admin)
    assert client.post("/app/acme/settings/security/", {}).status_code == 403
    page = client.get("/app/acme/settings/").content.decode()
    assert re.search(r"Two-factor authentication for owners: <strong>optional", page)


def test_the_policy_service_refuses_an_owner_without_totp(vendor, owner):
    with pytest.raises(ValidationError, match="authenticator app"):
        services.vendor_mfa_policy_set(
            vendor=vendor, require_mfa_for_owners=True, actor=Actor.for_user(owner)
        )
    assert (
        not AuditEntry.objects.for_vendor(vendor)
        .filter(action="vendor.mfa_policy_changed")
        .exists()
    )


def test_a_new_member_is_not_blocked_before_becoming_owner(vendor, owner, client_for):
    _require_mfa(vendor)
    member = UserFactory()
    membership = MembershipFactory(vendor=vendor, user=member, role=Role.MANAGER)
    assert client_for(member).get("/app/acme/").status_code == 200
    services.membership_change_role(
        vendor=vendor,
        membership_id=membership.public_id,
        role=Role.OWNER,
        actor=Actor.for_user(owner),
    )
    assert client_for(member).get("/app/acme/").status_code == 403
