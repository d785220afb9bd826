"""The portal's referral funnel per program: link clicks → customers → paying customers →
earnings, from the partner's own clicks, attributed customers and commissions."""

import datetime as dt

import pytest
from django.test import Client

from payouts.models import Commission, CommissionStatus
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
    invoice_ingest,
    paid_invoice,
    referral_clicks,
)

pytestmark = pytest.mark.django_db


def test_the_funnel_counts_my_clicks_customers_and_earnings_by_hand(vendor, other_vendor):
    user = PartnerUserFactory(partner__email="pat@agency.example")
    program = ProgramFactory(vendor=vendor)  # pays in USD
    CommissionPlanFactory(program=program)  # 15% of every invoice
    partnership = PartnershipFactory(program=program, partner=user.partner, status="approved")
    paying = CustomerFactory.create_batch(3, partnership=partnership)
    # Invoices of 100.00 and 40.00 USD at 15%: 15.00 + 6.00 = 21.00 USD earned.
    invoice_ingest(paying[0], 10000)
    invoice_ingest(paying[1], 4000)
    # A third commission (75.00 USD) that was reversed does not count as earned.
    reversed_one = invoice_ingest(paying[2], 50000)
    Commission.objects.for_vendor(vendor).filter(revenue_event=reversed_one).update(
        status=CommissionStatus.REVERSED
    )
    # One more attributed customer who never paid: 4 customers, 3 paying.
    CustomerFactory(partnership=partnership)
    referral_clicks(partnership, 40)
    # Noise that must not count: another partnership of the vendor, another vendor.
    referral_clicks(PartnershipFactory(program=program), 7)
    paid_invoice(other_vendor, amount=99900)

    client = Client()
    client.force_login(user.user)
    html = client.get(f"/portal/partnerships/{partnership.public_id}/").content.decode()

    assert '<td class="num" data-funnel="clicks">40</td>' in html
    assert '<td class="num" data-funnel="customers">4</td>' in html
    assert '<span title="of link clicks">10.0%</span>' in html  # 4 / 40
    assert '<td class="num" data-funnel="paying">3</td>' in html
    assert '<span title="of customers">75.0%</span>' in html  # 3 / 4
    assert "<strong>21.00 USD</strong>" in html  # 15.00 + 6.00, the reversed 75.00 left out
    assert '"values": [40, 4, 3]' in html  # the chart's data (json_script)
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_a_new_partner_sees_zeros_and_what_to_do_next(vendor):
    user = PartnerUserFactory(partner__email="new@agency.example")
    partnership = PartnershipFactory(
        program=ProgramFactory(vendor=vendor),
        partner=user.partner,
        status="approved",
        approved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    client = Client()
    client.force_login(user.user)

    html = client.get(f"/portal/partnerships/{partnership.public_id}/").content.decode()

    assert "No clicks yet. Share your customer referral link" in html
    assert '<td class="num" data-funnel="clicks">0</td>' in html
    assert "0.00 USD" in html
    assert "referral-funnel-chart" not in html
