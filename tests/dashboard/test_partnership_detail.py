import datetime as dt

import pytest

from payouts.models import Commission
from tests.factories import (
    PartnershipFactory,
    PayoutFactory,
    PayoutRunFactory,
    ProgramFactory,
    StageTransitionFactory,
    paid_invoice,
)

pytestmark = pytest.mark.django_db


def test_partnership_page_shows_timeline_customers_commissions_and_payouts(
    vendor, other_vendor, viewer, client_for
):
    event = paid_invoice(vendor, amount=10000)  # a customer paying 100.00, 15.00 commission
    partnership = event.partnership
    StageTransitionFactory(
        partnership=partnership,
        from_stage="recruitment",
        to_stage="activation",
        at=dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC),
    )
    PayoutFactory(
        run=PayoutRunFactory(program=partnership.program), partnership=partnership, amount=1500
    )
    paid_invoice(other_vendor, amount=77700)

    html = client_for(viewer).get(f"/app/acme/partnerships/{partnership.public_id}/")

    text = html.content.decode()
    assert html.status_code == 200
    assert "2026-05-04" in text
    assert "Recruitment → <strong>Activation</strong>" in text
    assert event.customer.external_id in text
    assert "Earned in total: <strong>15.00 USD</strong>" in text
    assert "January 2026" in text  # the payout run's period
    assert "777.00" not in text
    assert "116.55" not in text  # the other vendor's commission


def test_partnership_page_empty_states_say_what_comes_next(vendor, viewer, client_for):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))

    text = client_for(viewer).get(f"/app/acme/partnerships/{partnership.public_id}/").content

    assert b"No stage moves or notes yet" in text
    assert b"No customers attributed yet" in text
    assert b"No commissions yet" in text
    assert b"No payouts yet" in text


def test_partnership_page_queries_do_not_grow_with_its_commissions(
    vendor, viewer, client_for, django_assert_max_num_queries
):
    event = paid_invoice(vendor, amount=10000)
    app = client_for(viewer)
    url = f"/app/acme/partnerships/{event.partnership.public_id}/"
    app.get(url)
    assert Commission.objects.for_vendor(vendor).count() == 1
    with django_assert_max_num_queries(30):
        assert app.get(url).status_code == 200
