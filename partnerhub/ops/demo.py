"""The demo vendor that ``make run`` loads: idempotent, so running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from partnerhub.accounts.models import User
from partnerhub.tenancy.models import Membership, Role, Vendor
from partnerhub.tenancy.services import vendor_create

DEMO_PASSWORD = "partnerhub-demo"  # noqa: S105 - published demo log-in, local only
DEMO_VENDOR_SLUG = "acme"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


DEMO_USERS = [
    DemoLogin("owner@acme.example", Role.OWNER),
    DemoLogin("admin@acme.example", Role.ADMIN),
    DemoLogin("manager@acme.example", Role.MANAGER),
    DemoLogin("viewer@acme.example", Role.VIEWER),
]


def _demo_user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def demo_seed() -> Vendor:
    """Create (or complete) the demo vendor "Acme Analytics" with one member per role."""
    owner = _demo_user(DEMO_USERS[0].email, "Olivia Owner")
    vendor = Vendor.objects.filter(slug=DEMO_VENDOR_SLUG).first()
    if vendor is None:
        vendor = vendor_create(
            name="Acme Analytics",
            slug=DEMO_VENDOR_SLUG,
            owner=owner,
            default_currency="USD",
            time_zone="America/New_York",
        )
    for login in DEMO_USERS[1:]:
        user = _demo_user(login.email, f"{login.role.title()} Demo")
        Membership.objects.for_vendor(vendor).get_or_create(
            vendor=vendor, user=user, defaults={"role": login.role}
        )
    return vendor
