"""factory-boy factories. Tenant models are created through the named bypass
(``objects_unscoped``), because a factory runs outside any request or task scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import factory
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class: Any) -> Any:
        return model_class.objects_unscoped


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    default_currency = "USD"
    time_zone = "UTC"


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    vendor = factory.SubFactory(VendorFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    vendor = factory.SubFactory(VendorFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MANAGER
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(16)).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class AuditEntryFactory(TenantFactory):
    class Meta:
        model = AuditEntry

    vendor = factory.SubFactory(VendorFactory)
    actor_label = "system"
    action = "api_key.created"
    target_type = "api_key"
    target_id = factory.Sequence(lambda n: f"key_{n:06d}")
