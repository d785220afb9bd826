"""The demo data of ``make run``: real history through the services, idempotent, and every
page a first log-in lands on shows something."""

from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from devtools.demo import DEMO_PARTNER_EMAIL, DEMO_PASSWORD, DEMO_USERS, demo_seed
from journey.models import StageTransition
from partnerhub.tenancy.models import TenantModel
from partnerhub.webhooks.models import WebhookEndpoint
from partners.models import Partnership
from partners.stages import STAGE_ORDER
from payouts.models import Commission, Customer, Payout, PayoutRun, RevenueEvent

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        manager: Any = model.objects if issubclass(model, TenantModel) else model._default_manager
        # Counting every tenant's rows is the point here (the whole database).
        qs = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
        counts[model._meta.label] = qs.count()
    return counts


def _log_in(email: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    return client


def test_demo_seed_twice_creates_nothing_new(demo):
    before = _row_counts()
    demo_seed()
    assert _row_counts() == before


def test_demo_partnerships_are_in_every_stage_with_rule_history(demo):
    stages = set(Partnership.objects.for_vendor(demo).values_list("stage", flat=True))
    assert stages == set(STAGE_ORDER)
    assert Partnership.objects.for_vendor(demo).count() >= 60
    by_rule = StageTransition.objects.for_vendor(demo).filter(actor_type="rule")
    assert by_rule.filter(to_stage="devotion").exists()
    transition = by_rule.filter(to_stage="activation").first()
    assert transition.rule == "activation entry (default)"
    assert transition.metrics["paying_customers"] >= 1


def test_demo_ledger_has_twelve_months_of_revenue_commissions_and_a_paid_run(demo):
    events = RevenueEvent.objects.for_vendor(demo)
    assert events.filter(kind="refund").count() == 1
    assert events.exclude(period_start=None).exists()  # annual invoices
    months = {e.occurred_at.strftime("%Y-%m") for e in events.filter(kind="invoice_paid")}
    assert len(months) >= 12
    assert Customer.objects.for_vendor(demo).filter(status="active").count() > 50
    assert Commission.objects.for_vendor(demo).filter(kind="clawback").count() >= 1
    run = PayoutRun.objects.for_vendor(demo).get()
    assert run.status == "completed"
    statuses = set(Payout.objects.for_vendor(demo).filter(run=run).values_list("status", flat=True))
    assert {"approved", "paid"} <= statuses


def test_demo_webhook_endpoint_never_delivers(demo):
    endpoint = WebhookEndpoint.objects.for_vendor(demo).get()
    assert endpoint.enabled is False


def test_owner_home_and_dashboard_pages_render_with_data(demo):
    client = _log_in(DEMO_USERS[0].email)
    home = client.get("/app/acme/")
    assert home.status_code == 200
    figures = home.context["figures"]
    # Every stage of the funnel chart and the 12-month trend have real demo data behind them.
    assert all(count > 0 for _, _, count in figures.stages), figures.stages
    assert home.context["has_trend"]
    assert figures.mrr.get("USD", 0) > 0
    pages = {
        "/app/acme/partnerships/": b"Agency Referral Program",
        "/app/acme/applications/": b"@",
        "/app/acme/customers/": b"Client",
        "/app/acme/commissions/": b"USD",
        "/app/acme/payout-runs/": b"completed",
        "/app/acme/journey/": b"devotion",
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert expected.lower() in response.content.lower(), path


def test_partner_portal_shows_passive_income(demo):
    client = _log_in(DEMO_PARTNER_EMAIL)
    response = client.get("/portal/income/")
    assert response.status_code == 200
    [row] = response.context["rows"]
    income = row["income"]
    assert income.paying_customers == 3
    assert income.attributed_mrr > 0
    assert sum(total for _, total in income.monthly) > 0
    assert client.get("/portal/").status_code == 200


def test_the_console_shows_only_the_published_demo_log_ins():
    """``make run`` prints the demo's own log-ins (fixed addresses on the reserved .example
    domain, the published demo password) and no e-mail of the generated partners."""
    import io
    import re

    from django.core.management import call_command

    from partners.models import Partner

    out = io.StringIO()
    call_command("demo_seed", stdout=out)
    printed = set(re.findall(r"[\w.+-]+@[\w.-]+", out.getvalue()))
    assert printed == {login.email for login in DEMO_USERS} | {DEMO_PARTNER_EMAIL}
    assert all(email.endswith(".example") for email in printed)
    others = set(Partner.objects.exclude(email=DEMO_PARTNER_EMAIL).values_list("email", flat=True))
    assert others  # the demo has generated partners, and none of them is printed
    assert not printed & others


def test_demo_has_partners_at_risk_notes_and_clicks_on_first_log_in(demo):
    client = _log_in(DEMO_USERS[2].email)  # the manager
    home = client.get("/app/acme/")
    assert home.context["figures"].at_risk >= 5
    at_risk = client.get("/app/acme/journey/at-risk/").content.decode()
    at_risk_table = at_risk[at_risk.index("<h2>At risk") : at_risk.index("<h2>Slipping")]
    assert at_risk_table.count("Nudge…") >= 5
    demo_partnership = Partnership.objects.for_vendor(demo).get(partner__email=DEMO_PARTNER_EMAIL)
    page = client.get(f"/app/acme/partnerships/{demo_partnership.public_id}/").content.decode()
    assert "Agreed a joint webinar for March" in page
    assert "by Manager Demo" in page
    assert "2 / 3 lessons" in page  # the demo partner is halfway through the course
    assert "Brightside Dental" in client.get("/app/acme/leads/").content.decode()
    assert "Selling Acme Analytics" in client.get("/app/acme/onboarding/").content.decode()


def test_demo_partner_sees_a_funnel_with_clicks_customers_and_earnings(demo):
    client = _log_in(DEMO_PARTNER_EMAIL)
    partnership = Partnership.objects.for_vendor(demo).get(partner__email=DEMO_PARTNER_EMAIL)
    response = client.get(f"/portal/partnerships/{partnership.public_id}/")
    funnel = response.context["funnel"]
    assert funnel.clicks > funnel.customers == 3
    assert funnel.paying_customers == 3
    assert funnel.earnings[0][0] == "USD"
    assert funnel.earnings[0][1] > 0
    assert b"referral-funnel-chart" in response.content
