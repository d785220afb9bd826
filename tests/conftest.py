"""Fixtures shared by the suite: two vendors, one member per role, clients per credential."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from partnerhub.accounts.models import User
from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role, Vendor
from tests.factories import MembershipFactory, UserFactory, VendorFactory

# Property-based tests are reproducible by default (a fixed seed per test), so CI never fails
# on a case it did not try before; `HYPOTHESIS_PROFILE=explore make test` searches anew.
hypothesis_settings.register_profile("default", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False, max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session", autouse=True)
def _act_as_the_application_role(django_db_setup, django_db_blocker):
    """The suite runs as the application role, bound by row-level security like the web and
    worker processes in production, not as the superuser that created the test database."""
    from django.db import connection, connections

    role = settings.DATABASE_APP_ROLE
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            # Transactional tests are cleaned up with TRUNCATE (the application never is).
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')
        connections.close_all()
    settings.DATABASE_SESSION_ROLE = role
    yield
    settings.DATABASE_SESSION_ROLE = ""


def cache_keys() -> list[bytes]:
    """The raw Redis keys of this run's cache namespace (rate-limit counters live there)."""
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    return list(client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))


def cache_empty() -> None:
    keys = cache_keys()
    if keys:
        cache._cache.get_client(write=True).delete(*keys)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts and ends with an empty cache, like the database: rate-limit counters
    (log-in, sign-up, password reset) would otherwise leak from one test into the next.
    The API's per-process cache of vendor rate limits is emptied too."""
    from partnerhub.api.ratelimit import _limits

    cache_empty()
    _limits.clear()
    yield
    cache_empty()
    _limits.clear()


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
        created = api_key_create(
            actor=Actor.system(), vendor=vendor, name=f"test {role}", role=role
        )
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
