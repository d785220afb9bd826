"""The pages about one object (a partnership, a payout run, a lead, …) and every partner
portal page cost the same number of SQL queries with 1,000+ partnerships as with 10 —
enumerated from the URL resolver like the list pages in test_query_counts.py, so a new
detail or portal page is covered the moment it is added."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import Partnership
from payouts.models import PayoutRun
from tests.dashboard.test_query_counts import assert_bounded
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    PartnershipNoteFactory,
    PartnerUserFactory,
    PayoutFactory,
    StageTransitionFactory,
    invoice_ingest,
    referral_clicks,
)
from tests.test_isolation_matrix import (
    OBJECT_MAKERS,
    Route,
    _partner_world,
    partner_routes,
    tenant_routes,
)

pytestmark = pytest.mark.django_db


def object_routes() -> list[Route]:
    """GET dashboard routes about one object (their kwargs name more than the vendor)."""
    return sorted(
        (
            r
            for r in tenant_routes()
            if r.path.startswith("app/") and "GET" in r.methods and r.object_kwargs
        ),
        key=lambda r: r.path,
    )


def portal_routes() -> list[Route]:
    return sorted((r for r in partner_routes() if "GET" in r.methods), key=lambda r: r.path)


def _counts(client: Client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


def _more_about(partnership: Partnership, n: int) -> None:
    """``n`` more of everything the pages show about one partnership: notes, stage moves,
    customers with invoices (commissions), link clicks."""
    for _ in range(n):
        PartnershipNoteFactory(partnership=partnership)
        StageTransitionFactory(partnership=partnership)
        invoice_ingest(CustomerFactory(partnership=partnership, status="active"), 4900)
    referral_clicks(partnership, n * 10)


def _grow(run: PayoutRun, partnerships: list[Partnership], n: int) -> None:
    """``n`` more partnerships in the payout run's program, each with a payout in the run,
    and more of everything about the partnerships the pages show."""
    for partnership in PartnershipFactory.create_batch(n, program=run.program):
        PayoutFactory(run=run, partnership=partnership)
    for partnership in partnerships:
        _more_about(partnership, max(1, n // 40))


def test_there_are_object_and_portal_pages_to_check():
    paths = {r.path for r in object_routes()}
    assert "app/<slug:vendor_slug>/partnerships/<str:partnership_id>/" in paths
    assert "app/<slug:vendor_slug>/payout-runs/<str:payout_run_id>/" in paths
    assert len(paths) >= 20
    assert {r.name for r in portal_routes()} >= {
        "portal:home",
        "portal:partnership",
        "portal_income:home",
    }


@pytest.mark.slow
def test_every_object_page_costs_the_same_queries_with_1000_partnerships_as_with_10(
    vendor, owner, client_for
):
    objects: dict[str, Any] = {kwarg: make(vendor) for kwarg, make in OBJECT_MAKERS.items()}
    run = PayoutRun.objects.for_vendor(vendor).get(public_id=objects["payout_run_id"])
    CommissionPlanFactory(program=run.program)
    partnership = Partnership.objects.for_vendor(vendor).get(public_id=objects["partnership_id"])
    CommissionPlanFactory(program=partnership.program)
    urls = []
    for route in object_routes():
        assert route.name
        kwargs = {k: objects[k] for k in route.object_kwargs}
        urls.append(reverse(route.name, kwargs={"vendor_slug": vendor.slug, **kwargs}))
    _grow(run, [partnership], 10)
    client = client_for(owner)
    _counts(client, urls)  # warm caches (content types, sessions, rate limits)
    few = _counts(client, urls)

    _grow(run, [partnership], 1000)
    many = _counts(client, urls)

    assert_bounded(few, many)


@pytest.mark.slow
def test_every_portal_page_costs_the_same_queries_with_1000_partnerships_as_with_10(
    vendor, other_vendor
):
    user = PartnerUserFactory(partner__email="pat@agency.example")
    objects = _partner_world(vendor, user.partner)
    _partner_world(other_vendor, user.partner)  # a second program, at another vendor
    mine = Partnership.objects.for_vendor(vendor).get(public_id=objects["partnership_id"])
    Partnership.objects.for_vendor(vendor).filter(pk=mine.pk).update(status="approved")
    CommissionPlanFactory(program=mine.program)
    run = PayoutFactory(run__program=mine.program, partnership=mine).run
    urls = []
    for route in portal_routes():
        assert route.name
        urls.append(reverse(route.name, kwargs={k: objects[k] for k in route.kwargs}))
    _grow(run, [mine], 10)
    client = Client()
    client.force_login(user.user)
    _counts(client, urls)
    few = _counts(client, urls)

    _grow(run, [mine], 1000)
    many = _counts(client, urls)

    assert_bounded(few, many)
