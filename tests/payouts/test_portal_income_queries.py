"""The portal's passive-income page reads every program of the partner in a fixed number of
queries: a partner in five programs (at two vendors) costs what a partner in one costs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
    invoice_ingest,
)

pytestmark = pytest.mark.django_db


def _earning_program(vendor: Any, partner: Any, name: str, amount: int) -> None:
    """A program with a 15% plan, the partner in it, one customer who paid ``amount``."""
    program = ProgramFactory(vendor=vendor, name=name)
    CommissionPlanFactory(program=program)
    customer = CustomerFactory(partnership=PartnershipFactory(program=program, partner=partner))
    invoice_ingest(customer, amount)


def _income_page(client: Any) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/portal/income/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_income_page_queries_do_not_grow_with_the_partners_programs(
    vendor, other_vendor, client_for, django_assert_max_num_queries
):
    link = PartnerUserFactory()
    partner = link.partner
    PartnerPayoutDetailsFactory(vendor=vendor, partner=partner)
    client = client_for(link.user)
    _earning_program(vendor, partner, "Program A", 10000)

    page, one = _income_page(client)
    assert "Program A" in page
    assert "100.00 USD" in page  # attributed MRR
    assert "15.00 USD" in page  # 15% of 100.00: earned this month, and each projected month

    _earning_program(vendor, partner, "Program B", 20000)
    _earning_program(vendor, partner, "Program C", 40000)
    _earning_program(other_vendor, partner, "Program D", 80000)
    _earning_program(other_vendor, partner, "Program E", 100)
    page, five = _income_page(client)
    assert five == one, f"{one} queries with 1 program, {five} with 5"
    with django_assert_max_num_queries(one):
        client.get("/portal/income/")

    # Each program still shows its own figures (15% of each customer's payment, by hand).
    for name, mrr, earned in [
        ("Program B", "200.00 USD", "30.00 USD"),
        ("Program C", "400.00 USD", "60.00 USD"),
        ("Program D", "800.00 USD", "120.00 USD"),
        ("Program E", "1.00 USD", "0.15 USD"),
    ]:
        section = page.split(f"<h2>{name} ")[1].split("</section>")[0]
        assert mrr in section, name
        assert earned in section, name
    # Payout details are complete with Acme only: Globex's programs say what is missing.
    assert page.split("<h2>Program C ")[1].split("</section>")[0].count("held until") == 0
    assert page.split("<h2>Program D ")[1].split("</section>")[0].count("held until") == 1
