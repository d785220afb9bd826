"""A database connection dropped in the middle of a request (the backend terminated by a
superuser, as a failover or restart would) answers 503 — in the API's error shape under
/api/ — and the next request works on a fresh connection."""

from __future__ import annotations

import psycopg2
import pytest
import requests
from django.db import connection

from partnerhub.api.base import VendorViewSet
from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from tests.factories import MembershipFactory, ProgramFactory


def _terminate_own_backend() -> None:
    """Kill the current request's backend from a separate superuser connection."""
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        admin.close()


@pytest.fixture
def drop_once(monkeypatch):
    """The next tenant query made by an API view finds its connection gone."""
    state = {"armed": True}
    original = VendorViewSet.scope_queryset

    def scope_queryset(self, queryset):
        if state["armed"]:
            state["armed"] = False
            _terminate_own_backend()
        return original(self, queryset)

    monkeypatch.setattr(VendorViewSet, "scope_queryset", scope_queryset)
    return state


@pytest.mark.django_db(transaction=True)
def test_api_request_whose_connection_drops_answers_503_then_recovers(
    live_server, vendor, other_vendor, drop_once
):
    ProgramFactory(vendor=vendor, name="Resellers")
    ProgramFactory(vendor=other_vendor, name="Not yours")
    key = api_key_create(actor=Actor.system(), vendor=vendor, name="drop", role="admin").raw_key
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{live_server.url}/api/v1/programs"

    dropped = requests.get(url, headers=headers, timeout=10)
    assert dropped.status_code == 503
    assert dropped.headers["Retry-After"] == "1"
    assert dropped.json()["error"]["code"] == "service_unavailable"
    assert drop_once["armed"] is False

    after = requests.get(url, headers=headers, timeout=10)
    assert after.status_code == 200
    assert [p["name"] for p in after.json()["results"]] == ["Resellers"]


@pytest.mark.django_db(transaction=True)
def test_dashboard_request_whose_connection_drops_answers_503_page(
    live_server, vendor, monkeypatch
):
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from partnerhub.tenancy import pages

    member = MembershipFactory(vendor=vendor, role="owner")
    session = SessionStore()
    session[SESSION_KEY] = str(member.user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = member.user.get_session_auth_hash()
    session.create()
    cookies = {"sessionid": session.session_key}

    armed = {"on": True}
    original = pages.VendorDashboardView.dispatch

    def dispatch(self, request, *args, **kwargs):
        if armed["on"]:
            armed["on"] = False
            _terminate_own_backend()
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(pages.VendorDashboardView, "dispatch", dispatch)
    url = f"{live_server.url}/app/{vendor.slug}/"

    dropped = requests.get(url, cookies=cookies, timeout=10, allow_redirects=False)
    assert dropped.status_code == 503
    assert "Temporarily unavailable" in dropped.text

    after = requests.get(url, cookies=cookies, timeout=10, allow_redirects=False)
    assert after.status_code == 200
