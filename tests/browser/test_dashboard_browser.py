"""A vendor owner in a real browser: log in, see the home page, invite, create an API key."""

import re

import pytest

from devtools.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()


def test_owner_logs_in_and_creates_an_api_key_shown_once(page, screenshot, demo):
    log_in(page, "owner@acme.example")
    page.wait_for_url("**/app/acme/")
    assert page.get_by_role("heading", name="Acme Analytics").is_visible()
    screenshot("dashboard-home")

    page.get_by_role("link", name="API keys").first.click()
    page.get_by_label("Name").fill("Billing sync")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert key.startswith("phk_")
    screenshot("api-key-created")
    page.goto("/app/acme/api-keys/")
    assert "Billing sync" in page.content()
    assert key not in page.content()


def test_viewer_sees_no_admin_navigation(page, screenshot, demo):
    log_in(page, "viewer@acme.example")
    page.wait_for_url("**/app/acme/")
    assert page.get_by_role("link", name="API keys").count() == 0
    page.get_by_role("link", name="Members", exact=True).click()
    assert page.get_by_role("button", name="Send invitation").count() == 0
    screenshot("members-as-viewer")


def test_admin_edits_a_commission_plan_from_the_program_page(page, screenshot, demo):
    from payouts.models import CommissionPlan, CommissionPlanTier
    from programs.models import Program

    vendor = demo
    log_in(page, "admin@acme.example")
    page.wait_for_url("**/app/acme/")
    page.get_by_role("link", name="Programs", exact=True).first.click()
    page.get_by_role("link", name="Agency Referral Program").click()
    page.get_by_role("link", name="See the plans").click()
    assert page.get_by_role("cell", name="15% of revenue, lifetime").is_visible()
    screenshot("commission-plans")

    page.get_by_role("link", name="15% recurring").click()
    page.get_by_label("Rate (%)").first.fill("20")
    page.locator("#id_tiers-0-from_stage").select_option("devotion")
    page.locator("#id_tiers-0-rate").fill("18")  # below the new base rate: refused
    page.get_by_role("button", name="Save plan").click()
    assert page.get_by_role("alert").filter(has_text="must pay more than").is_visible()
    screenshot("commission-plan-form-error")
    page.locator("#id_tiers-0-rate").fill("25")
    page.get_by_role("button", name="Save plan").click()
    assert page.get_by_role("cell", name="Devotion: 25%").is_visible()

    program = Program.objects.for_vendor(vendor).get(slug="agency-referral")
    plan = CommissionPlan.objects.for_vendor(vendor).get(program=program)
    assert str(plan.rate) == "0.200000"
    tier = CommissionPlanTier.objects.for_vendor(vendor).get(plan=plan)
    assert (tier.from_stage, str(tier.rate)) == ("devotion", "0.250000")
