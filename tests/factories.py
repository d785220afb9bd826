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
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor
from partnerhub.webhooks.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from partnerhub.webhooks.services import webhook_secret_generate


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


class EventFactory(TenantFactory):
    class Meta:
        model = Event

    vendor = factory.SubFactory(VendorFactory)
    type = "partnership.created"
    data = factory.LazyAttribute(lambda o: {"id": "ptn_test", "status": "active"})
    actor_type = "system"


class WebhookEndpointFactory(TenantFactory):
    class Meta:
        model = WebhookEndpoint

    vendor = factory.SubFactory(VendorFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/partnerhub")
    event_types = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(webhook_secret_generate)


class WebhookDeliveryFactory(TenantFactory):
    class Meta:
        model = WebhookDelivery

    vendor = factory.SubFactory(VendorFactory)
    endpoint = factory.SubFactory(WebhookEndpointFactory, vendor=factory.SelfAttribute("..vendor"))
    event = factory.SubFactory(EventFactory, vendor=factory.SelfAttribute("..vendor"))
    status = DeliveryStatus.FAILED
    attempt_count = 1


class WebhookDeliveryAttemptFactory(TenantFactory):
    class Meta:
        model = WebhookDeliveryAttempt

    vendor = factory.SubFactory(VendorFactory)
    delivery = factory.SubFactory(WebhookDeliveryFactory, vendor=factory.SelfAttribute("..vendor"))
    number = 1
    succeeded = False
    response_status = factory.LazyAttribute(lambda o: 200 if o.succeeded else 500)
    duration_ms = 42
