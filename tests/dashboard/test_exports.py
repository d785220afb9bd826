import csv
import io

import pytest

from tests.factories import (
    ApplicationFactory,
    CustomerFactory,
    PartnerFactory,
    PartnershipFactory,
    ProgramFactory,
    paid_invoice,
)

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_partnership_export_streams_the_filtered_list_of_this_vendor_only(
    vendor, other_vendor, viewer, client_for
):
    program = ProgramFactory(vendor=vendor, name="Resellers")
    PartnershipFactory(program=program, stage="activation", partner__name="Ada Agency")
    PartnershipFactory(program=program, stage="recruitment", partner__name="Bo Builder")
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor), stage="activation")

    response = client_for(viewer).get("/app/acme/exports/partnerships.csv?stage=activation")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="acme-partnerships-' in response["Content-Disposition"]
    rows = _rows(response)
    assert [(r["partner"], r["program"], r["stage"]) for r in rows] == [
        ("Ada Agency", "Resellers", "activation")
    ]


def test_export_neutralises_spreadsheet_formulas(vendor, viewer, client_for):
    partner = PartnerFactory(name='=HYPERLINK("http://evil")')
    PartnershipFactory(program=ProgramFactory(vendor=vendor), partner=partner)

    rows = _rows(client_for(viewer).get("/app/acme/exports/partnerships.csv"))

    assert rows[0]["partner"] == '\'=HYPERLINK("http://evil")'


def test_money_exports_carry_minor_units_and_currency(vendor, viewer, client_for):
    paid_invoice(vendor, amount=10000)
    app = client_for(viewer)

    commissions = _rows(app.get("/app/acme/exports/commissions.csv"))
    customers = _rows(app.get("/app/acme/exports/customers.csv?status=active"))

    assert [(c["amount"], c["currency"]) for c in commissions] == [("1500", "USD")]
    assert [(c["mrr_amount"], c["mrr_currency"]) for c in customers] == [("10000", "USD")]


def test_every_list_page_links_its_export_keeping_the_filters(vendor, viewer, client_for):
    ApplicationFactory(partnership__program=ProgramFactory(vendor=vendor))
    CustomerFactory(partnership__program__vendor=vendor)
    app = client_for(viewer)
    for page, export in (
        ("partnerships/?stage=activation", "partnerships.csv?stage=activation"),
        ("applications/", "applications.csv"),
        ("customers/", "customers.csv"),
        ("commissions/", "commissions.csv"),
        ("payout-runs/", "payout-runs.csv"),
    ):
        html = app.get(f"/app/acme/{page}").content.decode()
        assert f'href="/app/acme/exports/{export}' in html, page
        assert app.get(f"/app/acme/exports/{export}").status_code == 200


@pytest.mark.slow
def test_export_of_1000_partnerships_costs_a_bounded_number_of_queries(
    vendor, viewer, client_for, django_assert_max_num_queries
):
    PartnershipFactory.create_batch(1000, program=ProgramFactory(vendor=vendor))
    app = client_for(viewer)
    with django_assert_max_num_queries(12):
        rows = _rows(app.get("/app/acme/exports/partnerships.csv"))
    assert len(rows) == 1000
