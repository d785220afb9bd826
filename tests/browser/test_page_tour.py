"""Every main page of the dashboard and the portal, on the demo data, in a real browser at
desktop (1280 px) and phone (375 px) width: each answers 200, draws its charts, has nothing
wider than a phone's screen (wide tables scroll inside their own box), and is saved as a
screenshot artifact (test-artifacts/screenshots/tour-<width>-<page>.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from devtools.demo import DEMO_PARTNER_EMAIL, DEMO_PASSWORD
from partnerhub.webhooks.models import WebhookEndpoint
from partners.models import Application, PartnerImport, Partnership
from payouts.models import Customer, PayoutRun
from programs.models import JoinSource, PartnerPersona, Program
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
# Pages whose charts must be drawn (a canvas with pixels), by page name.
CHARTS = {
    "home": ["#stage-chart", "#trend-chart"],
    "journey-funnel": ["#funnel-chart"],
    "portal-program": ["#referral-funnel-chart"],
}


def _dashboard_pages(vendor: Any) -> dict[str, str]:
    def first(model: Any, **filters: Any) -> str:
        return model.objects.for_vendor(vendor).filter(**filters).order_by("id")[0].public_id

    demo_partnership = first(Partnership, partner__email=DEMO_PARTNER_EMAIL)
    program = first(Program)
    base = "/app/acme"
    return {
        "home": f"{base}/",
        "programs": f"{base}/programs/",
        "program": f"{base}/programs/{program}/",
        "personas": f"{base}/personas/",
        "persona": f"{base}/personas/{first(PartnerPersona)}/",
        "join-sources": f"{base}/join-sources/",
        "join-source": f"{base}/join-sources/{first(JoinSource)}/",
        "join-source-report": f"{base}/reports/join-sources/",
        "applications": f"{base}/applications/",
        "application": f"{base}/applications/{first(Application, status='pending')}/",
        "partnerships": f"{base}/partnerships/",
        "partnership": f"{base}/partnerships/{demo_partnership}/",
        "invite": f"{base}/partnerships/invite/",
        "imports": f"{base}/imports/",
        "import": f"{base}/imports/{first(PartnerImport)}/",
        "leads": f"{base}/leads/",
        "onboarding": f"{base}/onboarding/",
        "journey-funnel": f"{base}/journey/",
        "journey-at-risk": f"{base}/journey/at-risk/",
        "journey-partnership": f"{base}/journey/partnerships/{demo_partnership}/",
        "journey-rules": f"{base}/journey/programs/{program}/rules/",
        "customers": f"{base}/customers/",
        "customer-attribution": (
            f"{base}/customers/{first(Customer, partnership__isnull=False)}/attribution/"
        ),
        "commissions": f"{base}/commissions/",
        "payout-runs": f"{base}/payout-runs/",
        "payout-run": f"{base}/payout-runs/{first(PayoutRun)}/",
        "payout-details": f"{base}/payout-details/",
        "members": f"{base}/members/",
        "api-keys": f"{base}/api-keys/",
        "audit-log": f"{base}/audit/",
        "webhooks": f"{base}/webhooks/",
        "webhook": f"{base}/webhooks/{first(WebhookEndpoint)}/",
        "settings": f"{base}/settings/",
    }


def _portal_pages(vendor: Any) -> dict[str, str]:
    mine = Partnership.objects.for_vendor(vendor).get(partner__email=DEMO_PARTNER_EMAIL).public_id
    return {
        "portal-home": "/portal/",
        "portal-program": f"/portal/partnerships/{mine}/",
        "portal-leads": f"/portal/partnerships/{mine}/leads/",
        "portal-income": "/portal/income/",
        "portal-payout-details": f"/portal/income/partnerships/{mine}/payout-details/",
    }


def _log_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_load_state()


def _chart_drawn(page: Any, selector: str) -> bool:
    # Chart.js draws on the canvas; an undrawn one has no non-transparent pixel.
    return bool(
        page.eval_on_selector(
            selector,
            """c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
                return false;
            }""",
        )
    )


# Dates and amounts (cells marked .date / .num) that the browser broke over two lines.
WRAPPED_CELLS = """() => [...document.querySelectorAll('td.date, td.num')].filter(td => {
    const range = document.createRange();
    range.selectNodeContents(td);
    // Boxes on one line overlap vertically (a <small> sits a little lower); a box that starts
    // below the bottom of the first one is on a second line.
    const boxes = [...range.getClientRects()].filter(r => r.width > 0);
    const first = Math.min(...boxes.map(r => r.bottom));
    return boxes.some(r => r.top >= first - 1);
}).map(td => td.innerText.trim())"""
# Boxes in the top bar that scroll sideways (a hidden overflow nobody sees on a phone).
SIDEWAYS_IN_HEADER = """() => [...document.querySelectorAll('header, header *')].filter(
    e => e.checkVisibility() && e.scrollWidth > e.clientWidth + 1
        && getComputedStyle(e).overflowX !== 'visible'
).map(e => e.className || e.tagName)"""


def _tour(browser: Any, base_url: str, email: str, pages: dict[str, str]) -> list[str]:
    """Visit every page at both widths; return what a person would notice."""
    problems = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page, email)
        for name, url in pages.items():
            response = page.goto(url)
            page.wait_for_load_state("networkidle")
            if response is None or response.status != 200:
                problems.append(f"{url}: status {response and response.status}")
                continue
            page.screenshot(path=str(ARTIFACTS / f"tour-{width_name}-{name}.png"), full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                problems.append(f"{url} at {width} px: page is {overflow} px wider than the screen")
            for selector in CHARTS.get(name, []):
                if not _chart_drawn(page, selector):
                    problems.append(f"{url} at {width} px: chart {selector} is not drawn")
            wrapped = page.evaluate(WRAPPED_CELLS)
            if wrapped:
                problems.append(f"{url} at {width} px: on two lines: {wrapped[:3]}")
            sideways = page.evaluate(SIDEWAYS_IN_HEADER)
            if sideways:
                problems.append(f"{url} at {width} px: header scrolls sideways: {sideways}")
            if page.locator("h1").count() != 1:
                problems.append(f"{url}: {page.locator('h1').count()} h1 headings")
        context.close()
    return problems


def test_every_dashboard_page_at_desktop_and_phone_width(browser, live_server, demo):  # type: ignore[no-untyped-def]
    vendor = demo
    pages = _dashboard_pages(vendor)
    problems = _tour(browser, live_server.url, "owner@acme.example", pages)
    assert not problems, "\n".join(problems)
    assert len(list(ARTIFACTS.glob("tour-phone-*.png"))) >= len(pages)


def test_every_portal_page_at_desktop_and_phone_width(browser, live_server, demo):  # type: ignore[no-untyped-def]
    vendor = demo
    problems = _tour(browser, live_server.url, DEMO_PARTNER_EMAIL, _portal_pages(vendor))
    assert not problems, "\n".join(problems)


def test_a_manager_adds_a_note_with_htmx_and_sees_it_in_the_timeline(page, screenshot, demo):  # type: ignore[no-untyped-def]
    vendor = demo
    mine = Partnership.objects.for_vendor(vendor).get(partner__email=DEMO_PARTNER_EMAIL)
    _log_in(page, "manager@acme.example")
    page.goto(f"/app/acme/partnerships/{mine.public_id}/")
    url_before = page.url

    page.get_by_role("button", name="Add note").click()  # empty: refused next to the field
    error = page.locator("#timeline .field.has-error .error")
    error.wait_for()
    assert error.inner_text() == "Write the note first."
    page.get_by_label("Add a note").fill("Called Paula: two more agencies want to join.")
    page.get_by_role("button", name="Add note").click()
    first_entry = page.locator("#timeline ol.timeline li").first
    first_entry.get_by_text("two more agencies").wait_for()

    assert page.url == url_before  # swapped in place, no reload
    assert "by Manager Demo" in first_entry.inner_text()
    assert page.get_by_label("Add a note").input_value() == ""
    screenshot("partnership-note-added")


@pytest.mark.parametrize(
    ("email", "start", "link", "landing"),
    [
        ("owner@acme.example", "/app/acme/", "Payouts", "/app/acme/payout-runs/"),
        (DEMO_PARTNER_EMAIL, "/portal/", "Passive income", "/portal/income/"),
    ],
    ids=["dashboard", "portal"],
)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_menu_button_opens_every_link_with_the_keyboard(  # type: ignore[no-untyped-def]
    browser, live_server, demo, email, start, link, landing, javascript
):
    """At 375 px the top bar shows a "Menu" button instead of a sideways-scrolling row of
    links; Enter opens it (no JavaScript needed: it is a <details>), every link is then
    visible and one tap away, and the desktop bar still shows every link directly."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 812},
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, email)
    page.goto(start)
    menu = page.locator(".navmenu > summary")
    assert menu.inner_text().strip().endswith("Menu")
    assert menu.is_visible()
    target = page.locator(".navmenu").get_by_role("link", name=link, exact=True)
    assert not target.is_visible()  # folded away until asked for
    menu.focus()
    page.keyboard.press("Enter")
    target.wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / f"menu-phone-{email.split('@')[0]}.png"))
    assert page.evaluate(SIDEWAYS_IN_HEADER) == []  # the open menu does not scroll sideways
    box = target.bounding_box()
    assert box is not None
    assert box["height"] >= 40  # a thumb's height
    assert box["x"] + box["width"] <= 375
    target.click()
    page.wait_for_url(f"**{landing}")
    assert menu.is_visible()  # closed again on the new page
    assert not target.is_visible()
    assert page.locator('.navmenu a[aria-current="page"]').text_content() == link

    page.set_viewport_size({"width": 1280, "height": 900})
    assert not menu.is_visible()
    assert page.locator(".mainnav").get_by_role("link", name=link, exact=True).is_visible()
    context.close()
