"""Every dashboard page that lists something renders with the same number of SQL queries
with 1,000+ partnerships as with 10 — enumerated from the URL resolver like the isolation
matrix, so a new list page is covered the moment it is added."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ApplicationFactory,
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    PayoutFactory,
    PayoutRunFactory,
    ProgramFactory,
    StageTransitionFactory,
    paid_invoice,
)
from tests.test_isolation_matrix import tenant_routes

pytestmark = pytest.mark.django_db

MAX_QUERIES = 40  # any page; the point is that the count does not grow with the data


def dashboard_list_routes() -> list[str]:
    """GET dashboard routes whose only argument is the vendor: the home page and the lists."""
    return sorted(
        {
            r.path
            for r in tenant_routes()
            if r.path.startswith("app/") and "GET" in r.methods and not r.object_kwargs
        }
    )


def _grow(vendor, program, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` partnerships with what hangs off them: applications, stage moves, customers,
    payouts."""
    run = PayoutRunFactory(program=program, period_start=f"2025-{1 + n % 12:02d}-01")
    for i, partnership in enumerate(PartnershipFactory.create_batch(n, program=program)):
        if i % 10 == 0:
            ApplicationFactory(partnership__program=program)
            StageTransitionFactory(partnership=partnership)
            CustomerFactory(partnership=partnership, status="active", mrr_amount=1000)
            PayoutFactory(run=run, partnership=partnership)


def assert_bounded(few: dict[str, int], many: dict[str, int]) -> None:
    """The same count per page with 1,010 partnerships as with 10, and no page above the cap."""
    grew = {url: (few[url], many[url]) for url in few if many[url] != few[url]}
    assert not grew, f"query count grows with the data (10 → 1,010 partnerships): {grew}"
    too_many = {url: n for url, n in many.items() if n > MAX_QUERIES}
    assert not too_many, too_many


def _counts(client, vendor_slug: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for path in dashboard_list_routes():
        url = "/" + path.replace("<slug:vendor_slug>", vendor_slug)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


def test_there_are_dashboard_list_pages_to_check():
    paths = dashboard_list_routes()
    assert "app/<slug:vendor_slug>/" in paths
    assert "app/<slug:vendor_slug>/partnerships/" in paths
    assert len(paths) >= 15


@pytest.mark.slow
def test_every_dashboard_list_page_costs_the_same_queries_with_1000_partnerships_as_with_10(
    vendor, other_vendor, owner, client_for
):
    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program)
    paid_invoice(vendor)
    paid_invoice(other_vendor)
    _grow(vendor, program, 10)
    client = client_for(owner)
    _counts(client, vendor.slug)  # warm caches (content types, sessions, rate limits)
    few = _counts(client, vendor.slug)

    _grow(vendor, program, 1000)
    many = _counts(client, vendor.slug)

    assert_bounded(few, many)
