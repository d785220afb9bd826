import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerhub.core.actor import Actor
from tests.factories import (
    ApplicationFactory,
    CustomerFactory,
    PartnershipFactory,
    PayoutFactory,
    PayoutRunFactory,
    ProgramFactory,
    StageTransitionFactory,
    paid_invoice,
)
from web.selectors import activation_rate, home_figures, quarter_start

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _approved(program, *, days_ago: int, activated_after: int | None = None, stage="recruitment"):
    approved_at = NOW - dt.timedelta(days=days_ago)
    partnership = PartnershipFactory(program=program, approved_at=approved_at, stage=stage)
    if activated_after is not None:
        StageTransitionFactory(
            partnership=partnership, at=approved_at + dt.timedelta(days=activated_after)
        )
    return partnership


def test_activation_rate_counts_partnerships_whose_deadline_fell_this_quarter(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor, activation_target_days=30)
    _approved(program, days_ago=40, activated_after=20)  # deadline passed, in time
    _approved(program, days_ago=40)  # deadline passed, never activated
    _approved(program, days_ago=5)  # deadline still ahead: not counted yet
    _approved(program, days_ago=5, activated_after=3)  # activated early: counted
    _approved(program, days_ago=200, activated_after=100)  # last quarter's (and late)
    foreign = ProgramFactory(vendor=other_vendor, activation_target_days=30)
    _approved(foreign, days_ago=40, activated_after=1)
    since = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

    rate = activation_rate(vendor=vendor, since=since, now=NOW)

    assert (rate.activated, rate.eligible) == (2, 3)
    assert rate.percent == 67


def test_quarter_starts_on_the_first_day_of_its_first_month():
    assert quarter_start(dt.date(2026, 11, 21)) == dt.date(2026, 10, 1)
    assert quarter_start(dt.date(2026, 3, 31)) == dt.date(2026, 1, 1)


def test_home_figures_sum_only_this_vendors_rows(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor)
    a = PartnershipFactory(program=program, stage="recruitment")
    b = PartnershipFactory(program=program, stage="activation")
    PartnershipFactory(program=program, status="suspended", stage="devotion")  # not approved
    ApplicationFactory(partnership__program=program)
    ApplicationFactory(partnership__program=program, status="approved")
    CustomerFactory(partnership=a, status="active", mrr_amount=4999, mrr_currency="USD")
    CustomerFactory(partnership=b, status="active", mrr_amount=1000, mrr_currency="USD")
    CustomerFactory(partnership=b, status="churned", mrr_amount=300, mrr_currency="USD")
    run = PayoutRunFactory(program=program)
    PayoutFactory(run=run, partnership=a, amount=1000, status="draft")
    PayoutFactory(run=run, partnership=b, amount=2500, status="approved")
    PayoutFactory(
        run=PayoutRunFactory(program=program, period_start=dt.date(2025, 1, 1)),
        partnership=a,
        amount=999,
        status="paid",
    )
    foreign = ProgramFactory(vendor=other_vendor)
    f = PartnershipFactory(program=foreign, stage="devotion")
    ApplicationFactory(partnership__program=foreign)
    CustomerFactory(partnership=f, status="active", mrr_amount=7777, mrr_currency="USD")
    PayoutFactory(run=PayoutRunFactory(program=foreign), partnership=f, amount=5000)
    paid_invoice(vendor, amount=10000)  # 15% plan: 1500 commission
    paid_invoice(other_vendor, amount=90000)

    figures = home_figures(vendor=vendor)

    stages = {s: n for s, _, n in figures.stages}
    # a, b and the partnership paid_invoice made (recruitment by the factory)
    assert stages == {
        "interest": 0,
        "recruitment": 2,
        "activation": 1,
        "investment": 0,
        "devotion": 0,
    }
    assert figures.applications_waiting == 1
    # paid_invoice's customer pays 10000 a month since its invoice
    assert figures.mrr == {"USD": 4999 + 1000 + 10000}
    assert figures.payouts_due == {"USD": 1000 + 2500}
    assert figures.payouts_due_count == 2
    assert sum(figures.trend["USD"]["commission"]) == 1500
    assert len(figures.months) == 12
    assert figures.months[-1] == timezone.now().date().replace(day=1)


def test_home_page_shows_the_numbers_each_linking_to_its_list(vendor, viewer, client_for):
    program = ProgramFactory(vendor=vendor)
    ApplicationFactory(partnership__program=program)
    paid_invoice(vendor, amount=10000)

    response = client_for(viewer).get("/app/acme/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/app/acme/applications/?status=pending"' in html
    assert 'href="/app/acme/journey/at-risk/"' in html
    assert 'href="/app/acme/payout-runs/"' in html
    assert 'id="stage-data"' in html
    assert 'id="trend-data"' in html


def test_home_page_empty_state_says_what_to_do_next(vendor, owner, client_for):
    html = client_for(owner).get("/app/acme/").content.decode()

    assert "No approved partners yet" in html
    assert "No attributed revenue yet" in html
    assert "stage-chart" not in html


@pytest.mark.slow
def test_home_page_costs_the_same_queries_with_1000_partnerships_as_with_10(
    vendor, owner, client_for
):
    program = ProgramFactory(vendor=vendor)
    PartnershipFactory.create_batch(10, program=program)
    paid_invoice(vendor, amount=10000)
    app = client_for(owner)
    app.get("/app/acme/")  # warm the session / caches
    with CaptureQueriesContext(connection) as few:
        assert app.get("/app/acme/").status_code == 200
    PartnershipFactory.create_batch(1000, program=program)
    with CaptureQueriesContext(connection) as many:
        assert app.get("/app/acme/").status_code == 200

    assert len(many) == len(few) <= 20


def test_portal_program_page_offers_the_referral_link_to_copy_and_as_a_qr_code(vendor, client_for):
    from tests.factories import PartnerUserFactory

    link = PartnerUserFactory()
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor), partner=link.partner)

    html = client_for(link.user).get(f"/portal/partnerships/{partnership.public_id}/")

    text = html.content.decode()
    assert f'data-qr="http://testserver/p/acme/{partnership.program.slug}/?ref=' in text
    assert "Copy link" in text
    assert "vendor/qrcode-generator/qrcode.js" in text


def test_dashboard_times_are_shown_in_the_vendors_time_zone(vendor, owner, client_for):
    from partnerhub.api.models import APIKey
    from partnerhub.api.services import api_key_create

    vendor.time_zone = "Asia/Tokyo"  # UTC+9, no daylight saving
    vendor.save(update_fields=["time_zone"])
    key = api_key_create(actor=Actor.system(), vendor=vendor, name="Billing").api_key
    APIKey.objects.for_vendor(vendor).filter(pk=key.pk).update(
        created_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    )

    html = client_for(owner).get("/app/acme/api-keys/").content.decode()

    assert "2026-03-02 08:30" in html
    assert timezone.get_current_timezone_name() == "UTC"  # not left active after the request
