"""The hot lists (partnerships, commissions) are rendered from ``.values()`` rows
(partnerhub/api/lean.py): the JSON must be exactly what the output serializer gives for the
same objects, the number of queries must not grow with the data, and the cursor must walk
rows that share a ``created_at`` without skipping or repeating any."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerhub.api.lean import row_plan
from partnerhub.tenancy.ids import new_public_id
from partners.models import Partner, Partnership
from partners.serializers import ApplicationOutputSerializer, PartnershipOutputSerializer
from payouts.models import Commission
from payouts.serializers import CommissionOutputSerializer
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    JoinSourceFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PayoutFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice, refund

pytestmark = pytest.mark.django_db


def _serializer_rows(model: Any, serializer: Any, vendor: Any, ids: list[str]) -> list[dict]:
    """What the ModelSerializer renders for these objects, in the order of ``ids``."""
    objects = {o.public_id: o for o in model.objects.for_vendor(vendor).filter(public_id__in=ids)}
    return [dict(serializer(objects[i]).data) for i in ids]


def test_partnership_list_is_exactly_the_serializer_output(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor)
    recruiter = PartnershipFactory(program=program)
    PartnershipFactory(
        program=program,
        persona=PartnerPersonaFactory(vendor=vendor),
        join_source=JoinSourceFactory(vendor=vendor),
        recruited_by=recruiter,
        utm_source="newsletter",
        utm_campaign="spring",
        referrer="https://blog.example/post",
        partner__company_name="Acme GmbH",
        partner__country="DE",
    )
    PartnershipFactory(program=program, status="applied", approved_at=None, stage="onboarding")

    body = api_client_for(vendor).get("/api/v1/partnerships?limit=100").json()

    ids = [row["id"] for row in body["results"]]
    assert len(ids) == 3
    assert body["results"] == _serializer_rows(
        Partnership, PartnershipOutputSerializer, vendor, ids
    )
    detailed = next(r for r in body["results"] if r["recruited_by"])
    assert detailed["tracking"]["utm_source"] == "newsletter"
    assert detailed["partner"]["company_name"] == "Acme GmbH"


def test_commission_list_is_exactly_the_serializer_output(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor, hold_period_days=0)
    CommissionPlanFactory(program=program, rate="0.150000")
    customer = CustomerFactory(partnership=PartnershipFactory(program=program))
    report = revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice("in-1", customer.external_id, 10000),
            invoice("in-2", customer.external_id, 3333, when=T0 + dt.timedelta(days=2)),
        ],
    )
    refunded = revenue_events_ingest(
        vendor=vendor, items=[refund("re-1", customer.external_id, 4000, of="in-1")]
    )
    assert [r.outcome for r in report.results + refunded.results] == ["stored"] * 3
    # One commission in a payout, so that link is rendered too.
    paid = Commission.objects.for_vendor(vendor).get(revenue_event__external_id="in-2")
    payout = PayoutFactory(run__program=program, partnership=paid.partnership, amount=500)
    linked = Commission.objects.for_vendor(vendor).filter(pk=paid.pk)
    linked.update(status="available")  # the ledger's guard: pending → available → in_payout
    linked.update(payout=payout, status="in_payout")

    body = api_client_for(vendor).get("/api/v1/commissions?limit=100").json()

    ids = [row["id"] for row in body["results"]]
    assert len(ids) == 3
    assert body["results"] == _serializer_rows(Commission, CommissionOutputSerializer, vendor, ids)
    by_amount = {row["amount"]: row for row in body["results"]}
    # 15% of 10,000; 15% of 3,333 = 499.95 → 500 (half-even); refund of 4,000 → -600.
    assert set(by_amount) == {1500, 500, -600}
    assert by_amount[-600]["reverses"] == by_amount[1500]["id"]
    assert by_amount[500]["payout"] == payout.public_id
    assert by_amount[1500]["rate"] == "0.150000"


def test_timestamps_render_as_the_serializer_does_in_every_zone_and_year(vendor, api_client_for):
    """Lists write UTC timestamps with a fast path (isoformat); anything else — a zone other
    than UTC, a year before 1000 (which strftime does not pad) — must still come out as the
    serializer writes it."""
    program = ProgramFactory(vendor=vendor)
    plain = PartnershipFactory(program=program)
    Partnership.objects.for_vendor(vendor).filter(pk=plain.pk).update(
        approved_at=dt.datetime(2026, 3, 1, 9, 0, 0, tzinfo=dt.UTC),  # no microseconds
        invited_at=dt.datetime(999, 12, 31, 23, 59, 59, 5, tzinfo=dt.UTC),
        stage_entered_at=dt.datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=dt.UTC),
    )

    body = api_client_for(vendor).get("/api/v1/partnerships?limit=100").json()
    (row,) = body["results"]
    assert row["approved_at"] == "2026-03-01T09:00:00.000000Z"
    assert row["invited_at"] == "999-12-31T23:59:59.000005Z"
    assert row["stage_entered_at"] == "2026-03-29T01:30:00.250000Z"
    assert body["results"] == _serializer_rows(
        Partnership, PartnershipOutputSerializer, vendor, [row["id"]]
    )

    # In another zone (1:30 UTC on 29 March 2026 is 3:30 summer time in Berlin) the rows
    # render as the serializer renders them in that zone.
    plan = row_plan(PartnershipOutputSerializer, "created_at", "id")
    values = plan.select(Partnership.objects.for_vendor(vendor)).get()
    with timezone.override("Europe/Berlin"):
        rendered = plan.render(values, timezone.get_current_timezone())
        (expected,) = _serializer_rows(
            Partnership, PartnershipOutputSerializer, vendor, [row["id"]]
        )
    assert rendered == expected
    assert rendered["stage_entered_at"] == "2026-03-29T03:30:00.250000Z"


def test_partnership_page_reads_each_partner_once(vendor, api_client_for):
    """The nested partner is joined for its fields; its id comes from the same join rather
    than from a second lookup of the partner per row."""
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program)
    api = api_client_for(vendor)
    api.get("/api/v1/partnerships")  # the key's first use records last_used_at
    with CaptureQueriesContext(connection) as captured:
        body = api.get("/api/v1/partnerships?limit=100").json()
    assert body["results"][0]["partner"]["id"] == partnership.partner.public_id
    (page,) = [q["sql"] for q in captured if "partners_partnership" in q["sql"]]
    assert page.count('"partners_partner" ') == 1  # the JOIN; no `FROM "partners_partner" r`


def _bulk_partnerships(vendor: Any, program: Any, count: int, at: dt.datetime) -> None:
    batch = secrets.token_hex(4)
    partners = Partner.objects.bulk_create(
        Partner(
            name=f"P{i}",
            email=f"bulk{i}-{batch}@partners.example",
            public_id=new_public_id("par"),
        )
        for i in range(count)
    )
    made = Partnership.objects_unscoped.bulk_create(
        Partnership(
            vendor=vendor,
            program=program,
            partner=p,
            referral_code=f"{batch}-{i}",
            public_id=Partnership.new_public_id(),
        )
        for i, p in enumerate(partners)
    )
    # created_at is auto_now_add: set the shared time afterwards, as one statement would.
    Partnership.objects_unscoped.filter(pk__in=[m.pk for m in made]).update(created_at=at)


def _queries(api: Any, url: str) -> int:
    api.get(url)  # the key's first use records last_used_at (at most once a minute)
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_rows(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor)
    _bulk_partnerships(vendor, program, 10, timezone.now())
    api = api_client_for(vendor)
    url = "/api/v1/partnerships?limit=100"
    few = _queries(api, url)
    _bulk_partnerships(vendor, program, 990, timezone.now())
    assert len(api.get(url).json()["results"]) == 100
    assert _queries(api, url) == few
    assert few <= 2  # the key, the page

    plan = CommissionPlanFactory(program=program)
    customer = CustomerFactory(partnership=PartnershipFactory(program=program))
    items = [invoice(f"q-{i}", customer.external_id, 1000 + i) for i in range(10)]
    revenue_events_ingest(vendor=vendor, items=items)
    few = _queries(api, "/api/v1/commissions?limit=100")
    more = [invoice(f"r-{i}", customer.external_id, 1000 + i) for i in range(990)]
    revenue_events_ingest(vendor=vendor, items=more)
    assert Commission.objects.for_vendor(vendor).filter(plan=plan).count() == 1000
    assert _queries(api, "/api/v1/commissions?limit=100") == few <= 2


def test_cursor_walks_rows_sharing_created_at_once_each_newest_first(vendor, api_client_for):
    program = ProgramFactory(vendor=vendor)
    now = timezone.now()
    _bulk_partnerships(vendor, program, 25, now)  # one statement: one created_at
    _bulk_partnerships(vendor, program, 7, now - dt.timedelta(hours=1))
    api = api_client_for(vendor)
    seen: list[str] = []
    url: str | None = "/api/v1/partnerships?limit=10"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = list(
        Partnership.objects.for_vendor(vendor)
        .order_by("-created_at", "-id")
        .values_list("public_id", flat=True)
    )
    assert seen == expected
    assert len(set(seen)) == 32


def test_a_method_field_without_a_values_mapping_is_refused():
    with pytest.raises(TypeError, match=r"ApplicationOutputSerializer\.tracking"):
        row_plan(ApplicationOutputSerializer)


def test_the_fast_renderer_writes_the_same_bytes_as_drfs():
    import decimal
    import uuid

    from django.utils.translation import gettext_lazy
    from rest_framework.exceptions import ErrorDetail
    from rest_framework.renderers import JSONRenderer
    from rest_framework.utils.serializer_helpers import ReturnDict

    from partnerhub.api.renderers import FastJSONRenderer

    data = {
        "results": [
            ReturnDict({"id": "ptn_1", "amount": -600, "rate": "0.150000"}, serializer=None),
            {"when": dt.datetime(2026, 1, 5, 12, 0, 0, 123456, tzinfo=dt.UTC)},
            {"day": dt.date(2026, 1, 5), "time": dt.time(9, 30, 0, 500000)},
        ],
        "error": ErrorDetail("Line\u2028separated, «quoted» ✓", code="invalid"),
        "lazy": gettext_lazy("Not found."),
        "decimal": decimal.Decimal("1.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "tuple": (1, None, True),
        "huge": 2**70,  # orjson refuses it: DRF's renderer writes it
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert FastJSONRenderer().render(None) == b""
