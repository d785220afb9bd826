"""Dashboard pages (customers & revenue upload, commissions, payout runs) and the partner
portal's passive-income page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerhub.core.actor import Actor
from payouts.models import Payout, PayoutRun, RevenueEvent
from payouts.services import runs
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(vendor):
    program = ProgramFactory(vendor=vendor, hold_period_days=0, name="Agencies")
    CommissionPlanFactory(program=program, rate="0.150000")
    partnership = PartnershipFactory(program=program, partner__name="Pixel Agency")
    CustomerFactory(partnership=partnership, external_id="c1")
    return program, partnership


def test_csv_upload_keeps_valid_rows_and_reports_bad_ones(vendor, manager, client_for, world):
    csv = (
        "external_id,kind,customer,amount,currency,occurred_at\n"
        f"in-1,invoice_paid,c1,10000,USD,{T0.isoformat()}\n"
        f"in-2,invoice_paid,c1,49.99,USD,{T0.isoformat()}\n"
        f"in-3,invoice_paid,ghost,100,USD,{T0.isoformat()}\n"
    )
    response = client_for(manager).post(
        "/app/acme/customers/", {"file": SimpleUploadedFile("rev.csv", csv.encode())}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "amount: amount must be an integer" in body
    assert "customer: Unknown customer" in body
    assert list(RevenueEvent.objects.for_vendor(vendor).values_list("external_id", flat=True)) == [
        "in-1"
    ]


def test_csv_upload_without_required_columns_shows_the_error_next_to_the_field(
    vendor, manager, client_for, world
):
    response = client_for(manager).post(
        "/app/acme/customers/", {"file": SimpleUploadedFile("rev.csv", b"a,b\n1,2\n")}
    )
    assert "Missing columns" in response.content.decode()
    assert not RevenueEvent.objects.for_vendor(vendor).exists()


def test_customer_and_commission_lists_are_bounded_in_queries(
    vendor, other_vendor, viewer, client_for, world, django_assert_max_num_queries
):
    revenue_events_ingest(
        vendor=vendor,
        items=[invoice(f"in-{i}", "c1", 1000, T0 + dt.timedelta(days=i)) for i in range(30)],
    )
    client = client_for(viewer)
    with django_assert_max_num_queries(20):
        customers = client.get("/app/acme/customers/")
    with django_assert_max_num_queries(15):
        commissions = client.get("/app/acme/commissions/?status=pending")
    assert "Pixel Agency" in customers.content.decode()
    assert commissions.content.decode().count("150.00 USD") == 0
    assert commissions.content.decode().count("1.50 USD") == 30


def test_run_page_approve_needs_confirmation_then_mark_paid_and_export(
    vendor, admin, client_for, world
):
    program, partnership = world
    PartnerPayoutDetailsFactory(vendor=vendor, partner=partnership.partner, method="paypal",
                                paypal_email="pay@pixel.example")  # fmt: skip
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 100000)])
    client = client_for(admin)
    response = client.post(
        "/app/acme/payout-runs/", {"program": program.public_id, "period": "2026-01"}
    )
    run = PayoutRun.objects.for_vendor(vendor).get()
    assert response.status_code == 302
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    url = f"/app/acme/payout-runs/{run.public_id}/"
    page = client.get(url).content.decode()
    assert "150.00 USD" in page
    payout = Payout.objects.for_vendor(vendor).get()
    confirm = client.post(url, {"payout": [payout.public_id]})
    assert "Yes, approve" in confirm.content.decode()
    assert Payout.objects.for_vendor(vendor).get().status == "draft"
    client.post(url, {"payout": [payout.public_id], "confirm": "yes"})
    assert Payout.objects.for_vendor(vendor).get().status == "approved"
    export = client.get(f"{url}export.csv").content.decode()
    assert "pay@pixel.example" in export
    assert ",150.00,USD,15000" in export
    mark = f"/app/acme/payouts/{payout.public_id}/mark-paid/"
    assert "cannot be undone" in client.get(mark).content.decode()
    empty = client.post(mark, {"reference": ""})
    assert "This field is required" in empty.content.decode()
    client.post(mark, {"reference": "PP-BATCH-9"})
    assert Payout.objects.for_vendor(vendor).get().status == "paid"


def test_held_payout_shows_its_reason(vendor, admin, client_for, world):
    program, _ = world
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 100000)])
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    page = client_for(admin).get(f"/app/acme/payout-runs/{run.public_id}/").content.decode()
    assert "Waiting for the partner&#x27;s payout details" in page


def test_progress_fragment_for_htmx_polling(vendor, admin, client_for, world):
    program, _ = world
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    with CaptureQueriesContext(connection) as queries:
        fragment = client_for(admin).get(
            f"/app/acme/payout-runs/{run.public_id}/", headers={"HX-Request": "true"}
        )
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    # The poll renders the run only: no page of payouts, no per-status summary.
    assert not [q for q in queries.captured_queries if 'FROM "payouts_payout"' in q["sql"]]


def test_portal_passive_income_shows_mrr_earnings_and_projection(vendor, client_for, world):
    _, partnership = world
    link = PartnerUserFactory(partner=partnership.partner)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 25000, now)])
    other = PartnershipFactory(program=ProgramFactory(vendor=vendor, name="Hidden program"))
    page = client_for(link.user).get("/portal/income/").content.decode()
    assert "250.00 USD" in page  # attributed MRR
    assert "37.50 USD" in page  # earned this month, and each projected month
    assert page.count("37.50 USD") >= 13
    assert "Payouts are held until you complete" in page
    assert "Hidden program" not in page
    assert other.public_id not in page


def test_partner_completes_payout_details_then_the_held_payout_can_be_approved(
    vendor, admin, client_for, world
):
    program, partnership = world
    link = PartnerUserFactory(partner=partnership.partner)
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 100000)])
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    payout = Payout.objects.for_vendor(vendor).get()
    assert payout.status == "held"
    client = client_for(link.user)
    url = f"/portal/income/partnerships/{partnership.public_id}/payout-details/"
    wrong = client.post(url, {"method": "paypal", "country": "US", "tax_form": "w8ben"})
    body = wrong.content.decode()
    assert "submit the W9 form" in body
    assert "Give the PayPal e-mail" in body
    ok = client.post(
        url,
        {"method": "paypal", "country": "us", "tax_form": "w9", "paypal_email": "me@pixel.example",
         "minimum_payout_amount": 0},
    )  # fmt: skip
    assert ok.status_code == 302
    details = partnership.partner.payout_details.get()
    assert (details.country, details.tax_form_status) == ("US", "submitted")
    result = runs.payouts_approve(
        vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin)
    )
    assert [p.status for p in result.approved] == ["approved"]


def test_admin_pays_an_approved_payout_with_stripe_from_the_dashboard(
    vendor, admin, client_for, world, fake_stripe
):
    program, partnership = world
    PartnerPayoutDetailsFactory(
        vendor=vendor, partner=partnership.partner, method="stripe", stripe_account_id="acct_9"
    )
    revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "c1", 100000)])
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    payout = Payout.objects.for_vendor(vendor).get()
    runs.payouts_approve(vendor=vendor, payout_ids=[payout.public_id], actor=Actor.for_user(admin))
    url = f"/app/acme/payouts/{payout.public_id}/mark-paid/"
    client = client_for(admin)
    assert "acct_9" in client.get(url).content.decode()
    client.post(url, {"provider": "stripe"})
    client.post(url, {"provider": "stripe"})  # a double click pays once
    payout.refresh_from_db()
    assert (payout.status, payout.provider, payout.provider_reference) == ("paid", "stripe", "tr_1")
    assert len(fake_stripe.transfers) == 1


def test_admin_verifies_a_submitted_tax_form(vendor, admin, viewer, client_for, world):
    _, partnership = world
    details = PartnerPayoutDetailsFactory(
        vendor=vendor, partner=partnership.partner, tax_form_status="submitted"
    )
    page = client_for(admin).get("/app/acme/payout-details/").content.decode()
    assert "Mark verified" in page
    url = f"/app/acme/payout-details/{details.public_id}/verify/"
    assert client_for(viewer).post(url).status_code == 403
    client_for(admin).post(url)
    details.refresh_from_db()
    assert details.tax_form_status == "verified"


def test_commission_list_pages_newer_and_older_without_counting_the_ledger(
    vendor, viewer, client_for, world
):
    revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice(f"in-{i}", "c1", 1000 + 100 * i, T0 + dt.timedelta(days=i)) for i in range(51)
        ],
    )
    client = client_for(viewer)

    with CaptureQueriesContext(connection) as first_queries:
        first = client.get("/app/acme/commissions/").content.decode()
    second = client.get("/app/acme/commissions/?page=2").content.decode()
    beyond = client.get("/app/acme/commissions/?page=9").content.decode()

    # newest first: page 1 holds the 50 newest (in-50 … in-1: 15 % of 60.00 = 9.00 down to
    # 15 % of 11.00 = 1.65), page 2 the oldest, in-0 (15 % of 10.00 = 1.50)
    assert first.count(" USD</td>") == 50
    assert "9.00 USD" in first
    assert "1.50 USD" not in first
    assert "Page 1<" in first
    assert "page=2" in first
    assert "Newer" not in first
    assert second.count(" USD</td>") == 1
    assert "1.50 USD" in second
    assert "Page 2<" in second
    assert "page=1" in second
    assert "Older" not in second
    assert "Page 1<" in beyond  # past the end: the first page
    assert not any("COUNT(" in q["sql"] for q in first_queries.captured_queries)


def test_run_page_pages_filters_and_sums_payouts_by_status(
    vendor, admin, client_for, world, monkeypatch, django_assert_max_num_queries
):
    program, partnership = world
    PartnerPayoutDetailsFactory(vendor=vendor, partner=partnership.partner, method="paypal",
                                paypal_email="pay@pixel.example")  # fmt: skip
    for name, ext in (("Bright Studio", "c2"), ("Copper Co", "c3")):
        other = PartnershipFactory(program=program, partner__name=name)
        CustomerFactory(partnership=other, external_id=ext)
    revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice("in-1", "c1", 100000),  # 15% = 150.00, Pixel has details: draft
            invoice("in-2", "c2", 20000),  # 30.00, no details: held
            invoice("in-3", "c3", 4999),  # 15% of 49.99 = 7.4985 -> 7.50, held
        ],
    )
    run, _ = runs.payout_run_start(
        actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
    )
    runs.payout_run_execute(vendor=vendor, run_id=run.pk)
    monkeypatch.setattr("partnerhub.core.pages.PAGE_SIZE", 2)
    client = client_for(admin)
    url = f"/app/acme/payout-runs/{run.public_id}/"
    with django_assert_max_num_queries(15):
        first = client.get(url).content.decode()
    # Summary: held 2 payouts, 30.00 + 7.50 = 37.50; draft 1, 150.00.
    assert "37.50 USD" in first
    assert "150.00 USD" in first
    assert "Bright Studio" in first
    assert "Copper Co" in first
    assert "Pixel Agency" not in first.split("<tbody>")[2]
    second = client.get(url, {"page": 2}).content.decode()
    assert "Pixel Agency" in second
    assert "Page 2 of 2" in second
    assert "← Previous" in second
    held = client.get(url, {"status": "held"}).content.decode()
    rows = held.split("<tbody>")[2]
    assert "Bright Studio" in rows
    assert "Copper Co" in rows
    assert "Pixel Agency" not in rows
    found = client.get(url, {"partner": "pix"}).content.decode().split("<tbody>")[2]
    assert "Pixel Agency" in found
    assert "Bright Studio" not in found
    nothing = client.get(url, {"partner": "nobody"}).content.decode()
    assert "No payout of this run matches the filter." in nothing
    bogus = client.get(url, {"status": "<script>"})
    assert bogus.status_code == 200  # an unknown status is ignored, not an error
