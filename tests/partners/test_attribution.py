"""Referral links, clicks, attaching referrals to signups, self-referral, manual attribution."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from attribution.services.referrals import ip_hash, referral_attach
from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partners.models import ReferralClick
from payouts.models import Customer
from tests.factories import (
    CustomerFactory,
    PartnerFactory,
    PartnershipFactory,
    ProgramFactory,
    ReferralClickFactory,
    ReferralDestinationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(vendor):
    return PartnershipFactory(
        program=ProgramFactory(
            vendor=vendor, attribution_window_days=30, attribution_model="first_click"
        ),
        partner=PartnerFactory(email="ann@agency.example"),
    )


def _clicks(vendor):
    return ReferralClick.objects.for_vendor(vendor)


# --- the link -------------------------------------------------------------------------------


def test_referral_link_records_click_sets_cookie_and_redirects_to_vendor_site(vendor, partnership):
    ReferralDestinationFactory(program=partnership.program, allowed_paths=["/pricing"])
    response = Client(REMOTE_ADDR="203.0.113.7").get(
        f"/r/{partnership.referral_code}?to=/pricing",
        HTTP_REFERER="https://blog.example/post",
        HTTP_USER_AGENT="Mozilla/5.0",
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "acme.example",
        "/pricing",
    )
    click = _clicks(vendor).get()
    assert parse_qs(location.query) == {
        "ph_ref": [partnership.referral_code],
        "ph_click": [click.public_id],
    }
    assert click.partnership == partnership
    assert click.referrer == "https://blog.example/post"
    assert click.user_agent == "Mozilla/5.0"
    assert click.landing == "https://acme.example/pricing"
    assert click.ip_hash == ip_hash(vendor=vendor, ip="203.0.113.7")
    assert "203.0.113.7" not in click.ip_hash
    assert len(click.ip_hash) == 64
    cookie = response.cookies["ph_ref"]
    assert cookie.value == f"{vendor.slug}.{partnership.referral_code}.{click.public_id}"
    assert cookie["max-age"] == 30 * 86400
    assert cookie["samesite"] == "Lax"


def test_ip_hash_is_salted_per_vendor(vendor, other_vendor):
    assert ip_hash(vendor=vendor, ip="203.0.113.7") != ip_hash(
        vendor=other_vendor, ip="203.0.113.7"
    )


@pytest.mark.parametrize(
    "to",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/pri\ncing",
        "/admin",  # relative but not on the allowed landing list
        "evil.example",
    ],
)
def test_referral_link_refuses_open_redirects(vendor, partnership, to):
    ReferralDestinationFactory(program=partnership.program, allowed_paths=["/pricing", "/blog/"])
    response = Client().get(f"/r/{partnership.referral_code}", {"to": to})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "acme.example"
    assert location.path == "/"


def test_referral_link_allows_paths_under_an_allowed_prefix(vendor, partnership):
    ReferralDestinationFactory(program=partnership.program, allowed_paths=["/blog/"])
    response = Client().get(f"/r/{partnership.referral_code}", {"to": "/blog/launch?x=1"})
    assert response["Location"].startswith("https://acme.example/blog/launch?x=1&ph_ref=")


def test_referral_link_without_destination_goes_to_program_page(vendor, partnership):
    response = Client().get(f"/r/{partnership.referral_code}", {"to": "https://evil.example"})
    location = urlsplit(response["Location"])
    assert location.path == f"/p/{vendor.slug}/{partnership.program.slug}/"
    assert location.netloc == "testserver"


def test_referral_link_unknown_or_unapproved_code_is_404_and_records_nothing(vendor):
    suspended = PartnershipFactory(program__vendor=vendor, status="suspended")
    assert Client().get("/r/nosuchcode").status_code == 404
    assert Client().get(f"/r/{suspended.referral_code}").status_code == 404
    assert not _clicks(vendor).exists()


def test_referral_code_shared_by_two_vendors_needs_the_vendor_slug(vendor, other_vendor):
    mine = PartnershipFactory(program__vendor=vendor, referral_code="samecode01")
    PartnershipFactory(program__vendor=other_vendor, referral_code="samecode01")
    assert Client().get("/r/samecode01").status_code == 404
    response = Client().get(f"/r/{vendor.slug}/samecode01")
    assert response.status_code == 302
    assert _clicks(vendor).get().partnership == mine
    assert not _clicks(other_vendor).exists()


def test_referral_link_is_one_insert(vendor, partnership, django_assert_max_num_queries):
    client = Client()
    client.get(f"/r/{partnership.referral_code}")  # warm up sessions/caches
    with django_assert_max_num_queries(4):  # partnership, destination, insert (+ savepoint)
        client.get(f"/r/{partnership.referral_code}")


# --- attaching a referral to a signup -------------------------------------------------------


def test_referral_with_click_creates_and_attributes_the_customer(vendor, partnership):
    click = ReferralClickFactory(partnership=partnership)
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="bob@customer.example",
        click_id=click.public_id,
    )
    assert (result.outcome, result.created) == ("attributed", True)
    customer = Customer.objects.for_vendor(vendor).get(external_id="c-1")
    assert customer.partnership == partnership
    assert (customer.attribution_method, customer.attribution_ref) == ("click", click.public_id)


def test_referral_with_code_attributes_by_referral_code(vendor, partnership):
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        referral_code=partnership.referral_code,
    )
    assert result.customer.attribution_method == "referral_code"
    assert result.customer.partnership == partnership


def test_expired_click_is_not_attributed(vendor, partnership):
    click = ReferralClickFactory(partnership=partnership)
    ReferralClick.objects.for_vendor(vendor).filter(pk=click.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    result = referral_attach(
        actor=Actor.system(), vendor=vendor, external_id="c-1", click_id=click.public_id
    )
    assert result.outcome == "expired"
    assert Customer.objects.for_vendor(vendor).get(external_id="c-1").partnership is None


def test_click_just_inside_the_window_is_attributed(vendor, partnership):
    click = ReferralClickFactory(partnership=partnership)
    ReferralClick.objects.for_vendor(vendor).filter(pk=click.pk).update(
        created_at=timezone.now() - dt.timedelta(days=29, hours=23)
    )
    result = referral_attach(
        actor=Actor.system(), vendor=vendor, external_id="c-1", click_id=click.public_id
    )
    assert result.outcome == "attributed"


def test_first_click_model_keeps_the_first_partnership(vendor, partnership):
    other = PartnershipFactory(program=partnership.program)
    referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        referral_code=partnership.referral_code,
    )
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        click_id=ReferralClickFactory(partnership=other).public_id,
    )
    assert result.outcome == "kept"
    assert Customer.objects.for_vendor(vendor).get(external_id="c-1").partnership == partnership


def test_last_click_model_moves_to_the_latest_click(vendor):
    program = ProgramFactory(vendor=vendor, attribution_model="last_click")
    first, last = PartnershipFactory(program=program), PartnershipFactory(program=program)
    referral_attach(
        actor=Actor.system(), vendor=vendor, external_id="c-1", referral_code=first.referral_code
    )
    click = ReferralClickFactory(partnership=last)
    result = referral_attach(
        actor=Actor.system(), vendor=vendor, external_id="c-1", click_id=click.public_id
    )
    assert result.outcome == "attributed"
    customer = Customer.objects.for_vendor(vendor).get(external_id="c-1")
    assert (customer.partnership, customer.attribution_ref) == (last, click.public_id)


def test_last_click_never_replaces_a_manual_attribution(vendor, manager):
    program = ProgramFactory(vendor=vendor, attribution_model="last_click")
    chosen, clicker = PartnershipFactory(program=program), PartnershipFactory(program=program)
    customer = CustomerFactory(partnership=chosen, attribution_method="manual", external_id="c-1")
    result = referral_attach(
        actor=Actor.system(), vendor=vendor, external_id="c-1", referral_code=clicker.referral_code
    )
    assert result.outcome == "kept"
    customer.refresh_from_db()
    assert customer.partnership == chosen


def test_referral_attach_is_idempotent(vendor, partnership):
    click = ReferralClickFactory(partnership=partnership)
    for _ in range(2):
        referral_attach(
            actor=Actor.system(), vendor=vendor, external_id="c-1", click_id=click.public_id
        )
    assert Customer.objects.for_vendor(vendor).filter(external_id="c-1").count() == 1
    audits = AuditEntry.objects.for_vendor(vendor).filter(action="customer.attributed")
    assert audits.count() == 1


def test_self_referral_by_the_partners_own_email_is_flagged_not_attributed(vendor, partnership):
    result = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="ANN@agency.example",
        referral_code=partnership.referral_code,
    )
    assert result.outcome == "self_referral"
    customer = Customer.objects.for_vendor(vendor).get(external_id="c-1")
    assert customer.partnership is None
    assert customer.flagged_partnership == partnership
    assert "Self-referral" in customer.flag_reason


def test_self_referral_on_a_company_partners_domain_is_flagged(vendor):
    company = PartnershipFactory(
        program__vendor=vendor, partner=PartnerFactory(kind="company", email="ops@bigco.example")
    )
    person = PartnershipFactory(
        program__vendor=vendor, partner=PartnerFactory(kind="person", email="me@gmail.com")
    )
    flagged = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="cfo@bigco.example",
        referral_code=company.referral_code,
    )
    not_flagged = referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-2",
        email="friend@gmail.com",
        referral_code=person.referral_code,
    )
    assert flagged.outcome == "self_referral"
    assert not_flagged.outcome == "attributed"


def test_unknown_code_or_click_is_refused_naming_the_field_and_writes_nothing(vendor):
    with pytest.raises(ValidationError) as exc:
        referral_attach(
            actor=Actor.system(), vendor=vendor, external_id="c-1", referral_code="nope"
        )
    assert "referral_code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_attach(actor=Actor.system(), vendor=vendor, external_id="c-1", click_id="clk_nope")
    assert "click_id" in exc.value.message_dict
    assert not Customer.objects.for_vendor(vendor).exists()


def test_another_vendors_click_is_unknown(vendor, other_vendor):
    theirs = ReferralClickFactory(partnership__program__vendor=other_vendor)
    with pytest.raises(ValidationError):
        referral_attach(
            actor=Actor.system(), vendor=vendor, external_id="c-1", click_id=theirs.public_id
        )


# --- API ------------------------------------------------------------------------------------


def test_api_referrals_creates_attributed_customer(vendor, partnership, api_client_for):
    click = ReferralClickFactory(partnership=partnership)
    api = api_client_for(vendor)
    body = {"external_id": "c-9", "email": "x@y.example", "click_id": click.public_id}
    response = api.post("/api/v1/referrals", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "attributed"
    assert response.json()["customer"]["partnership"] == partnership.public_id
    again = api.post("/api/v1/referrals", body, format="json")
    assert again.status_code == 200
    assert Customer.objects.for_vendor(vendor).count() == 1


def test_api_referrals_bad_input_names_the_field(vendor, other_vendor, api_client_for):
    theirs = PartnershipFactory(program__vendor=other_vendor)
    api = api_client_for(vendor)
    response = api.post(
        "/api/v1/referrals",
        {"external_id": "c-9", "referral_code": theirs.referral_code},
        format="json",
    )
    assert response.status_code == 400
    assert "referral_code" in str(response.json())
    response = api.post("/api/v1/referrals", {"referral_code": "x"}, format="json")
    assert response.status_code == 400
    assert "external_id" in str(response.json())
    assert not Customer.objects.for_vendor(vendor).exists()


def test_api_customer_shows_the_self_referral_flag(vendor, partnership, api_client_for):
    referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="ann@agency.example",
        referral_code=partnership.referral_code,
    )
    customer = Customer.objects.for_vendor(vendor).get()
    data = api_client_for(vendor).get(f"/api/v1/customers/{customer.public_id}").json()
    assert data["flagged_partnership"] == partnership.public_id
    assert data["partnership"] is None


# --- manual attribution in the dashboard ----------------------------------------------------


def test_manager_attributes_a_customer_manually_after_confirmation(
    vendor, partnership, manager, client_for
):
    referral_attach(
        actor=Actor.system(),
        vendor=vendor,
        external_id="c-1",
        email="ann@agency.example",
        referral_code=partnership.referral_code,
    )
    customer = Customer.objects.for_vendor(vendor).get()
    client = client_for(manager)
    url = f"/app/{vendor.slug}/customers/{customer.public_id}/attribution/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Self-referral" in page.content
    form = {"partnership": partnership.public_id, "reason": "Partner's own company, agreed"}
    confirm = client.post(url, form)
    assert confirm.status_code == 200
    assert b"Confirm attribution" in confirm.content
    customer.refresh_from_db()
    assert customer.partnership is None  # nothing before the confirmation
    done = client.post(url, {**form, "confirmed": "1"})
    assert done.status_code == 302
    customer.refresh_from_db()
    assert (customer.partnership, customer.attribution_method) == (partnership, "manual")
    assert customer.flag_reason == ""
    entry = AuditEntry.objects.for_vendor(vendor).get(action="customer.attributed")
    assert entry.reason == "Partner's own company, agreed"
    assert entry.actor_user == manager


def test_manual_attribution_requires_a_reason_and_a_partnership_of_the_vendor(
    vendor, other_vendor, manager, client_for
):
    customer = CustomerFactory(partnership=None, vendor=vendor, attribution_method="")
    theirs = PartnershipFactory(program__vendor=other_vendor)
    url = f"/app/{vendor.slug}/customers/{customer.public_id}/attribution/"
    response = client_for(manager).post(
        url, {"partnership": theirs.public_id, "reason": "", "confirmed": "1"}
    )
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.partnership is None


def test_viewer_cannot_attribute_manually(vendor, partnership, viewer, client_for):
    customer = CustomerFactory(partnership=None, vendor=vendor, attribution_method="")
    url = f"/app/{vendor.slug}/customers/{customer.public_id}/attribution/"
    response = client_for(viewer).post(
        url, {"partnership": partnership.public_id, "reason": "x", "confirmed": "1"}
    )
    assert response.status_code == 403


def test_portal_shows_the_customer_referral_link(vendor, partnership, client_for):
    from tests.factories import PartnerUserFactory

    user = PartnerUserFactory(partner=partnership.partner).user
    page = client_for(user).get(f"/portal/partnerships/{partnership.public_id}/")
    assert f"/r/{vendor.slug}/{partnership.referral_code}".encode() in page.content


def test_the_referral_snippet_is_a_served_static_file():
    from django.contrib.staticfiles import finders

    path = finders.find("js/partnerhub-referral.js")
    assert path
    with open(path) as fh:
        source = fh.read()
    assert "ph_click" in source
    assert "/api/v1/referrals" in source
