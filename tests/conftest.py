"""Fixtures shared by the suite: two vendors, one member per role, clients per credential."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from partnerhub.accounts.models import User
from partnerhub.api.services import api_key_create
from partnerhub.tenancy.models import Role, Vendor
from tests.factories import MembershipFactory, UserFactory, VendorFactory


@pytest.fixture
def vendor() -> Vendor:
    return VendorFactory(name="Acme Analytics", slug="acme")


@pytest.fixture
def other_vendor() -> Vendor:
    return VendorFactory(name="Globex Payments", slug="globex")


def _member(vendor: Vendor, role: str, email: str) -> User:
    user = UserFactory(email=email)
    MembershipFactory(vendor=vendor, user=user, role=role)
    return user


@pytest.fixture
def owner(vendor: Vendor) -> User:
    return _member(vendor, Role.OWNER, "owner@acme.example")


@pytest.fixture
def admin(vendor: Vendor) -> User:
    return _member(vendor, Role.ADMIN, "admin@acme.example")


@pytest.fixture
def manager(vendor: Vendor) -> User:
    return _member(vendor, Role.MANAGER, "manager@acme.example")


@pytest.fixture
def viewer(vendor: Vendor) -> User:
    return _member(vendor, Role.VIEWER, "viewer@acme.example")


@pytest.fixture
def other_owner(other_vendor: Vendor) -> User:
    return _member(other_vendor, Role.OWNER, "owner@globex.example")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A dashboard client signed in as ``user`` (session auth, like a browser)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client_for() -> Callable[..., APIClient]:
    """An API client with a fresh key of ``vendor`` (role admin unless given)."""

    def make(vendor: Vendor, role: str = Role.ADMIN) -> APIClient:
        created = api_key_create(vendor=vendor, name=f"test {role}", role=role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.raw_key}")
        client.api_key = created.api_key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def celery_worker():
    """A real Celery worker (threads) on the real broker and this test run's own queue."""
    from celery.contrib.testing.worker import start_worker

    from partnerhub.celery import app

    app.control.purge()
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False) as worker:
        yield worker
