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
from tests import databases
from tests.factories import MembershipFactory, UserFactory, VendorFactory
from tests.waiting import TaskTracker

# Property-based tests are reproducible by default (a fixed seed per test), so CI never fails
# on a case it did not try before; `HYPOTHESIS_PROFILE=explore make test` searches anew.
hypothesis_settings.register_profile("default", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False, max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test that starts a real Celery worker or a browser is in that tier even when its
    module forgot the marker (``make test-fast`` leaves both out). The slow tiers run first,
    so that with xdist their long tests start at once rather than last on one worker
    (``--random-order`` shuffles after this)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "celery_worker" in fixtures and not item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.worker)
        if "browser" in fixtures and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
    tiers = ("slow", "browser", "worker")

    def tier(item: pytest.Item) -> int:
        marked = [i for i, name in enumerate(tiers) if item.get_closest_marker(name)]
        return marked[0] if marked else len(tiers)

    items.sort(key=tier)  # stable: collection order within a tier


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """This process's test database, cloned from a template migrated once per run (see
    tests/databases.py); ``--reuse-db`` keeps the template while its migrations are
    unchanged. Replaces pytest-django's fixture, which migrates every process's database."""
    from django.db import connection

    worker = connection.creation._get_test_db_name()
    workerid = getattr(request.config, "workerinput", {}).get("workerid")
    base = worker.removesuffix(f"_{workerid}") if workerid else worker
    template = f"{base}_template"
    wanted = f"{databases.schema_fingerprint()} {databases.run_id(request.config)}"
    reuse = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        with (
            databases.maintenance(connection.settings_dict) as cursor,
            databases.build_lock(cursor, template),
        ):
            stamp = databases.database_comment(cursor, template)
            current = stamp == wanted or (
                reuse and stamp is not None and stamp.split()[:1] == wanted.split()[:1]
            )
            if not current:
                connection.settings_dict["TEST"]["NAME"] = template
                try:
                    connection.creation.create_test_db(
                        verbosity=request.config.option.verbose,
                        autoclobber=True,
                        serialize=False,
                    )
                finally:
                    connection.settings_dict["TEST"]["NAME"] = worker
                databases.point_django_at(worker)
                databases.stamp(cursor, template, wanted)
            databases.clone(cursor, template, worker)
        databases.point_django_at(worker)
    request.config._partnerhub_databases = (template, f"{base}_demo", worker)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            from django.db import connections

            connections.close_all()
            with databases.maintenance(connection.settings_dict) as cursor:
                databases.drop(cursor, worker)


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


@pytest.fixture(scope="session")
def _demo_rows(
    request,
    django_db_setup,
    _act_as_the_application_role,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
):
    """The demo data set (``demo_seed``), built once per run into its own database by the
    first process that needs it, and read into this process's memory once. ``--reuse-db``
    keeps it for the day (its dates are relative to today) while the code is unchanged."""
    import datetime as dt

    from django.db import connection, transaction

    from devtools.demo import demo_seed

    template, demo, worker = request.config._partnerhub_databases
    if django_db_keepdb and not django_db_createdb:
        made_from = f"{databases.code_fingerprint()} {dt.date.today().isoformat()}"
    else:
        made_from = databases.run_id(request.config)
    wanted = f"{databases.schema_fingerprint()} {made_from}"
    with django_db_blocker.unblock():
        with (
            databases.maintenance(connection.settings_dict) as cursor,
            databases.build_lock(cursor, demo),
        ):
            if databases.database_comment(cursor, demo) != wanted:
                build = f"{demo}_build"
                databases.clone(cursor, template, build)
                databases.point_django_at(build)
                try:
                    with transaction.atomic():
                        demo_seed()
                        # As inside a test: the demo's on-commit hooks (task messages,
                        # e-mails) never run.
                        connection.run_on_commit.clear()
                finally:
                    databases.point_django_at(worker)
                databases.rename(cursor, build, demo)
                databases.stamp(cursor, demo, wanted)
        return databases.dump(connection.settings_dict, demo)


@pytest.fixture
def demo(_demo_rows) -> Vendor:
    """The demo vendor of ``make run`` with all its data, fresh for this test: a copy of the
    data set ``demo_seed`` built once per run (in a rolled-back test, gone afterwards; in a
    transactional one, until its flush)."""
    from devtools.demo import DEMO_VENDOR_SLUG

    databases.demo_restore(_demo_rows)
    return Vendor.objects.get(slug=DEMO_VENDOR_SLUG)


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
    """A real Celery worker (threads) on the real broker and this test process's own queue
    (settings.test names it after the pid: one per xdist worker). ``worker.idle()`` says
    whether every task published since has run to its end."""
    from celery.contrib.testing.worker import start_worker

    from partnerhub.celery import app

    app.control.purge()
    with (
        TaskTracker() as tracker,
        start_worker(app, pool="threads", concurrency=2, perform_ping_check=False) as worker,
    ):
        worker.idle = tracker.idle
        yield worker
