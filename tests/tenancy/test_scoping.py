import pytest
from rest_framework import mixins

from partnerhub.api.base import VendorViewSet
from partnerhub.tenancy.context import VendorScopeMissing, get_current_vendor, vendor_scope
from partnerhub.tenancy.models import Membership, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_querying_a_tenant_model_without_a_vendor_in_scope_raises(vendor):
    MembershipFactory(vendor=vendor)
    with pytest.raises(VendorScopeMissing):
        list(Membership.objects.all())
    with pytest.raises(VendorScopeMissing):
        Membership.objects.filter(role=Role.OWNER).exists()


def test_scope_shows_only_the_vendor_in_scope(vendor, other_vendor):
    mine = MembershipFactory(vendor=vendor)
    theirs = MembershipFactory(vendor=other_vendor)
    with vendor_scope(vendor):
        ids = set(Membership.objects.values_list("public_id", flat=True))
    assert ids == {mine.public_id}
    assert theirs.public_id not in ids
    assert get_current_vendor() is None  # the scope is reset on exit


def test_for_vendor_and_unscoped_are_the_only_ways_around_the_scope(vendor, other_vendor):
    MembershipFactory(vendor=vendor)
    MembershipFactory(vendor=other_vendor)
    assert Membership.objects.for_vendor(vendor).count() == 1
    assert Membership.objects.unscoped().count() == 2


def test_create_in_scope_fills_in_the_vendor_and_refuses_another(vendor, other_vendor):
    from tests.factories import UserFactory

    with vendor_scope(vendor):
        created = Membership.objects.create(user=UserFactory(), role=Role.VIEWER)
        assert created.vendor_id == vendor.pk
        with pytest.raises(ValueError, match="vendor"):
            Membership.objects.create(vendor=other_vendor, user=UserFactory())


def test_public_ids_are_opaque_and_prefixed(vendor):
    membership = MembershipFactory(vendor=vendor)
    assert membership.public_id.startswith("mem_")
    assert len(membership.public_id) > 20
    assert str(membership.pk) not in membership.public_id[4:6]


def test_an_api_view_cannot_override_get_queryset():
    with pytest.raises(TypeError, match="get_queryset"):

        class LeakyViewSet(mixins.ListModelMixin, VendorViewSet):
            tenant_model = Membership

            def get_queryset(self):  # pragma: no cover - refused at class creation
                return Membership.objects.unscoped()
