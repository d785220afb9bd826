import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from partnerhub.core.actor import Actor
from partnerhub.tenancy import services
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_vendor_create_makes_the_user_its_owner():
    user = UserFactory()
    vendor = services.vendor_create(name="  Initech ", slug="Initech", owner=user)
    assert vendor.slug == "initech"
    assert vendor.name == "Initech"
    membership = Membership.objects.for_vendor(vendor).get()
    assert (membership.user, membership.role) == (user, Role.OWNER)


@pytest.mark.parametrize("slug", ["new", "api", "admin"])
def test_vendor_create_refuses_reserved_slugs(slug):
    with pytest.raises(ValidationError) as exc:
        services.vendor_create(name="X", slug=slug, owner=UserFactory())
    assert "reserved" in str(exc.value)
    assert not Vendor.objects.filter(slug=slug).exists()


def test_vendor_create_refuses_a_taken_slug_and_writes_nothing(vendor):
    user = UserFactory()
    with pytest.raises(ValidationError, match="taken"):
        services.vendor_create(name="Copycat", slug=vendor.slug, owner=user)
    assert Membership.objects.unscoped().filter(user=user).count() == 0


def test_vendor_create_refuses_a_bad_currency_and_leaves_no_vendor():
    with pytest.raises(ValidationError) as exc:
        services.vendor_create(name="X", slug="x-co", owner=UserFactory(), default_currency="US")
    assert "default_currency" in exc.value.message_dict
    assert not Vendor.objects.filter(slug="x-co").exists()


def test_invitation_sends_an_email_and_accepting_creates_the_membership(
    vendor, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.invitation_create(
            vendor=vendor,
            email="New.Person@Example.com",
            role=Role.MANAGER,
            actor=Actor.for_user(owner),
            base_url="http://testserver",
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert created.accept_url in mail.outbox[0].body
    assert created.token not in created.invitation.token_hash  # only the hash is stored

    invitee = UserFactory(email="new.person@example.com")
    membership = services.invitation_accept(token=created.token, user=invitee)
    assert (membership.vendor, membership.role) == (vendor, Role.MANAGER)
    # A used link is gone, like an unknown one.
    with pytest.raises(Http404):
        services.invitation_for_token(token=created.token)


def test_invitation_refuses_another_email_address(vendor, owner):
    created = services.invitation_create(
        vendor=vendor, email="a@example.com", role=Role.VIEWER, actor=Actor.for_user(owner)
    )
    intruder = UserFactory(email="b@example.com")
    with pytest.raises(ValidationError, match=r"a@example\.com"):
        services.invitation_accept(token=created.token, user=intruder)
    assert not Membership.objects.for_vendor(vendor).filter(user=intruder).exists()


def test_expired_invitation_answers_404(vendor, owner):
    created = services.invitation_create(
        vendor=vendor, email="late@example.com", role=Role.VIEWER, actor=Actor.for_user(owner)
    )
    Invitation.objects.for_vendor(vendor).update(expires_at=timezone.now() - dt.timedelta(1))
    with pytest.raises(Http404):
        services.invitation_accept(token=created.token, user=UserFactory(email="late@example.com"))


def test_reinviting_replaces_the_open_invitation(vendor, owner):
    first = services.invitation_create(
        vendor=vendor, email="x@example.com", role=Role.VIEWER, actor=Actor.for_user(owner)
    )
    services.invitation_create(
        vendor=vendor, email="x@example.com", role=Role.ADMIN, actor=Actor.for_user(owner)
    )
    with pytest.raises(Http404):
        services.invitation_for_token(token=first.token)
    open_ = Invitation.objects.for_vendor(vendor).filter(revoked_at__isnull=True)
    assert list(open_.values_list("role", flat=True)) == [Role.ADMIN]


def test_inviting_an_existing_member_is_refused(vendor, owner, manager):
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_create(
            vendor=vendor, email=manager.email, role=Role.VIEWER, actor=Actor.for_user(owner)
        )


def test_the_last_owner_can_neither_be_demoted_nor_removed(vendor, owner):
    membership = Membership.objects.for_vendor(vendor).get(user=owner)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_change_role(
            actor=Actor.system(), vendor=vendor, membership_id=membership.public_id, role=Role.ADMIN
        )
    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_remove(
            actor=Actor.system(), vendor=vendor, membership_id=membership.public_id
        )
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_changing_a_role_of_another_vendors_member_is_404(vendor, other_vendor, other_owner):
    theirs = Membership.objects.for_vendor(other_vendor).get(user=other_owner)
    with pytest.raises(Http404):
        services.membership_change_role(
            actor=Actor.system(), vendor=vendor, membership_id=theirs.public_id, role=Role.VIEWER
        )
    theirs.refresh_from_db()
    assert theirs.role == Role.OWNER
