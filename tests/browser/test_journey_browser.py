"""The journey funnel page in a real browser: the vendored Chart.js draws the funnel."""

import pytest

from partnerhub.tenancy.models import Vendor
from tests.browser.test_dashboard_browser import log_in
from tests.factories import PartnershipFactory, ProgramFactory, StageTransitionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_funnel_page_draws_the_chart_and_the_cohort_table(page, screenshot, demo):
    vendor = Vendor.objects.get(slug="acme")
    program = ProgramFactory(vendor=vendor, name="Journey program")
    for n in range(6):
        partnership = PartnershipFactory(program=program)
        if n < 3:
            StageTransitionFactory(partnership=partnership)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, "owner@acme.example")
    page.wait_for_url("**/app/acme/")
    page.get_by_role("link", name="Journey").first.click()
    page.wait_for_url("**/app/acme/journey/")
    page.wait_for_function("window.Chart && Chart.getChart('funnel-chart') !== undefined")
    assert page.evaluate("Chart.getChart('funnel-chart').data.datasets[0].data[2]") >= 3
    assert page.locator("#cohorts tbody tr").count() >= 1
    assert not errors
    screenshot("journey-funnel")
