"""Hostile input: script payloads in every user-supplied text, forged cross-site POSTs and
oversized bodies, against every route the isolation matrix enumerates."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from partnerhub.accounts.models import User
from partnerhub.api.authentication import APIKeyAuthentication
from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Invitation, Membership, Role, TenantModel, Vendor
from partners.models import Partner, Partnership, PartnershipNote
from partners.services.applications import Tracking, application_confirmation_token
from payouts.models import RevenueEvent
from programs.models import Certification, Program
from tests.factories import (
    AuditEntryFactory,
    InvitationFactory,
    MembershipFactory,
    PartnershipFactory,
    PartnerUserFactory,
    UserFactory,
    VendorFactory,
)
from tests.test_isolation_matrix import (
    OBJECT_MAKERS,
    PUBLIC_NAMES,
    Route,
    _is_partner,
    _partner_world,
    all_routes,
)

pytestmark = pytest.mark.django_db

PAYLOAD = '"><script>alert(1)</script>'
ESCAPED = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
# Text that is not user-supplied, or whose format the application enforces.
NOT_FREE_TEXT = {"public_id", "prefix", "key_hash", "token_hash", "slug", "password"}
# Audit rows are immutable (a database trigger), so the payload goes in when they are created.
APPEND_ONLY = {AuditEntry, RevenueEvent}


def _free_text_fields(model: type[models.Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and field.name not in NOT_FREE_TEXT
        and (field.max_length is None or field.max_length >= len(PAYLOAD) + 12)
    ]


def _fill_with_payload(queryset: models.QuerySet[Any]) -> int:
    """Overwrite every free-text column of these rows with the payload (unique per row)."""
    fields = _free_text_fields(queryset.model)
    filled = 0
    for pk in queryset.values_list("pk", flat=True):
        if fields:
            queryset.model._base_manager.filter(pk=pk).update(
                **{name: f"{PAYLOAD} {pk}" for name in fields}
            )
            filled += 1
    return filled


@pytest.fixture
def hostile():
    """A vendor whose every user-supplied text is a script payload, with objects of every
    kind the isolation matrix knows, and an invitation link whose token we know."""
    vendor = VendorFactory(slug="evil")
    owner = UserFactory(email="owner@evil.example")
    MembershipFactory(vendor=vendor, user=owner, role=Role.OWNER)
    objects = {kwarg: make(vendor) for kwarg, make in OBJECT_MAKERS.items()}
    partner_user = PartnerUserFactory(partner__email="partner@evil.example")
    # The partner's own partnership, lesson and certification (used by portal routes).
    partner_objects = _partner_world(vendor, partner_user.partner)
    program = (
        Partnership.objects.for_vendor(vendor)
        .get(public_id=partner_objects["partnership_id"])
        .program
    )
    token = "known-token-for-the-accept-page"
    invitation = InvitationFactory(
        vendor=vendor,
        email="invitee@evil.example",
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    AuditEntryFactory(
        vendor=vendor,
        actor_label=PAYLOAD,
        action=PAYLOAD,
        target_type="api_key",
        target_id="key_x",
        before={"name": PAYLOAD},
        after={"name": PAYLOAD},
        reason=PAYLOAD,
    )
    filled = _fill_with_payload(Vendor.objects.filter(pk=vendor.pk))
    filled += _fill_with_payload(Partner.objects.filter(pk=partner_user.partner_id))
    for model in apps.get_models():
        if issubclass(model, TenantModel) and model not in APPEND_ONLY:
            filled += _fill_with_payload(model.objects.for_vendor(vendor))
    member_ids = Membership.objects.for_vendor(vendor).values_list("user_id", flat=True)
    # Users: the name is free text; the e-mail is checked at sign-up, but not by every path.
    for user_id in member_ids:
        User.objects.filter(pk=user_id).update(
            full_name=PAYLOAD, email=f"{PAYLOAD}{user_id}@evil.example"
        )
    EmailAddress.objects.create(user=owner, email=f"{PAYLOAD}@evil.example", primary=True)
    # Vendor-written questions live in JSON: application form fields and quiz questions.
    Program.objects.for_vendor(vendor).update(
        application_fields=[
            {"name": "size", "label": PAYLOAD, "type": "choice", "choices": [PAYLOAD, "b"]},
            {"name": "pitch", "label": PAYLOAD, "type": "text", "required": False},
        ]
    )
    Certification.objects.for_vendor(vendor).update(
        questions=[{"text": PAYLOAD, "choices": [PAYLOAD, "b"], "answer": 0}]
    )
    assert filled >= len(OBJECT_MAKERS) + 1
    # A referral link whose code can be put in a URL (the filled codes hold the payload): it
    # redirects to the (payload-named) program page.
    referral_code = PartnershipFactory(program=program, referral_code="hostileref01").referral_code
    return {
        "vendor": Vendor.objects.get(pk=vendor.pk),
        "owner": owner,
        "partner_user": partner_user.user,
        "objects": {**objects, **partner_objects},
        "kwargs": {
            "vendor_slug": vendor.slug,
            "vendor": vendor.slug,
            "program_slug": program.slug,
            "token": token,
            "confirmation": application_confirmation_token(
                program=program,
                email="applicant@evil.example",
                name=PAYLOAD,
                company_name=PAYLOAD,
                answers={"pitch": PAYLOAD},
                tracking=Tracking(),
            ),
            "referral_code": referral_code,
            **objects,
            **partner_objects,
        },
        "invitation": invitation,
        "token": token,
    }


def _html_routes(method: str) -> list[Route]:
    """Every non-API route of the matrix answering ``method``: dashboard, public, portal."""
    return [
        r
        for r in all_routes()
        if method in r.methods
        and r.name
        and not r.path.startswith("api/")
        and ("vendor_slug" in r.kwargs or r.name in PUBLIC_NAMES or _is_partner(r))
    ]


def _url_for(route: Route, hostile: dict[str, Any]) -> str:
    return reverse(route.name, kwargs={k: hostile["kwargs"][k] for k in route.kwargs})


def _assert_escaped(url: str, response: Any) -> str:
    assert response.status_code == 200, (url, response.status_code)
    if not response["Content-Type"].startswith("text/html"):
        # Downloads (CSV) are data, not pages: a browser must save them, never render them.
        assert response["Content-Disposition"].startswith("attachment;"), url
        return ESCAPED
    body = response.content.decode()
    assert "<script>alert(1)" not in body, f"{url} renders the payload unescaped"
    assert '"><script' not in body, f"{url} lets the payload break out of an attribute"
    return body


def test_every_page_escapes_script_payloads_in_user_text(hostile, capsys):
    owner, partner = Client(), Client()
    owner.force_login(hostile["owner"])
    partner.force_login(hostile["partner_user"])
    pages = 0
    for route in _html_routes("GET"):
        url = _url_for(route, hostile)
        if route.name == "dashboard:vendor_picker":
            url += "?stay=1"
        client = partner if _is_partner(route) else owner
        body = _assert_escaped(url, client.get(url, follow=True))
        if route.name != "invitation_accept":
            assert "&lt;script&gt;alert(1)" in body, f"{url} shows no user text at all"
        pages += 1
    for name in ("account_email", "mfa_index", "account_change_password"):
        url = reverse(name)
        body = _assert_escaped(url, owner.get(url, follow=True))
        assert name != "account_email" or "&lt;script&gt;alert(1)" in body
        pages += 1
    with capsys.disabled():
        print(f"\nhostile input: {pages} pages render script payloads escaped")
    assert pages >= 15


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("members", 5),  # vendor name, member names and e-mails, invitation e-mails
        ("api_keys", 2),
        ("audit_log", 4),
    ],
)
def test_user_text_is_shown_escaped_where_it_belongs(hostile, page, expected):
    client = Client()
    client.force_login(hostile["owner"])
    url = reverse(f"dashboard:{page}", kwargs={"vendor_slug": "evil"})
    body = _assert_escaped(url, client.get(url))
    assert body.count("&lt;script&gt;alert(1)") >= expected


def test_the_invitation_page_escapes_the_vendor_name_for_anonymous_visitors(hostile):
    url = reverse("invitation_accept", kwargs={"token": hostile["token"]})
    body = _assert_escaped(url, Client().get(url))
    assert ESCAPED in body


# --- CSRF --------------------------------------------------------------------------------

ALLAUTH_FORMS = [
    "account_login",
    "account_signup",
    "account_logout",
    "account_reset_password",
    "account_email",
    "account_change_password",
    "mfa_activate_totp",
]


def test_every_form_refuses_a_post_without_the_csrf_token(hostile, capsys):
    vendor = hostile["vendor"]
    owner, partner = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    owner.force_login(hostile["owner"])
    partner.force_login(hostile["partner_user"])
    requests = [
        (partner if _is_partner(route) else owner, _url_for(route, hostile))
        for route in _html_routes("POST")
    ]
    requests += [(owner, reverse(name)) for name in ALLAUTH_FORMS]
    form = {"name": "Forged", "email": "forged@example.com", "role": "owner", "slug": "forged"}
    for client, url in requests:
        response = client.post(url, form)
        assert response.status_code == 403, (url, response.status_code)
        assert b"CSRF" in response.content, url
    # Nothing was written: no rename, no new vendor, members, invitations or keys.
    vendor.refresh_from_db()
    assert vendor.name.startswith(PAYLOAD)
    assert not Vendor.objects.filter(slug="forged").exists()
    assert Membership.objects.for_vendor(vendor).count() == 2  # the owner, the matrix's member
    assert not Invitation.objects.for_vendor(vendor).filter(email__startswith="forged").exists()
    with capsys.disabled():
        print(f"hostile input: {len(requests)} POST routes refuse a request without a CSRF token")
    assert len(requests) >= 20


def test_the_same_forms_accept_a_post_with_the_token(vendor, owner):
    """The control: the refusal above is CSRF, not something else."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/app/acme/settings/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/app/acme/settings/",
        {"name": "Renamed", "default_currency": "USD", "time_zone": "UTC"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.name == "Renamed"


def test_the_api_needs_no_csrf_because_it_never_reads_cookies():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        f"{APIKeyAuthentication.__module__}.{APIKeyAuthentication.__name__}"
    ]


def test_a_signed_in_browser_cannot_use_the_api_with_its_session(vendor, owner, client_for):
    response = client_for(owner).patch(
        "/api/v1/vendor", {"time_zone": "Europe/Paris"}, content_type="application/json"
    )
    assert response.status_code == 401
    vendor.refresh_from_db()
    assert vendor.time_zone == "UTC"


# --- oversized bodies --------------------------------------------------------------------

MB = 1024 * 1024


def test_an_oversized_api_body_is_refused_with_413_in_the_error_shape(vendor, api_client_for):
    api = api_client_for(vendor)
    body = b'{"time_zone": "' + b"x" * (6 * MB) + b'"}'
    response = api.generic("PATCH", "/api/v1/vendor", body, content_type="application/json")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert "limit here is 5.0 MB" in error["message"]
    vendor.refresh_from_db()
    assert vendor.time_zone == "UTC"


def test_an_oversized_form_post_is_refused_before_login_or_csrf(vendor, owner, client_for):
    response = client_for(owner).generic(
        "POST",
        "/app/acme/settings/",
        b"name=" + b"x" * (6 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert b"limit here is 5.0 MB" in response.content
    anonymous = Client().generic(
        "POST", "/accounts/login/", b"x" * (6 * MB), content_type="application/json"
    )
    assert anonymous.status_code == 413


def test_uploads_may_be_larger_but_not_above_their_own_limit(vendor, owner, client_for):
    client = client_for(owner)
    big = client.generic(
        "POST",
        "/app/acme/settings/",
        b"x" * (11 * MB),
        content_type="multipart/form-data; boundary=xyz",
    )
    assert big.status_code == 413
    assert b"limit here is 10.0 MB" in big.content
    # A 6 MB multipart body passes the size check and reaches the form (which ignores it).
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("import.csv", b"a,b\n" * (6 * MB // 4), "text/csv")
    ok = client.post(
        "/app/acme/settings/",
        {"name": "Acme", "default_currency": "USD", "time_zone": "UTC", "file": upload},
    )
    assert ok.status_code == 302


def test_a_bad_content_length_is_refused(vendor, api_client_for):
    api = api_client_for(vendor)
    response = api.generic(
        "PATCH", "/api/v1/vendor", b"{}", content_type="application/json", CONTENT_LENGTH="-5"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_content_length"


def test_too_many_form_fields_are_refused_with_400(vendor, owner, client_for):
    fields = "&".join(f"f{n}=1" for n in range(2001))
    response = client_for(owner).generic(
        "POST",
        "/app/acme/settings/",
        fields.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    vendor.refresh_from_db()
    assert vendor.name == "Acme Analytics"


def test_vendor_written_questions_are_escaped_on_the_program_page_and_in_quizzes(hostile):
    kwargs = hostile["kwargs"]
    page = reverse(
        "program_page", kwargs={"vendor": kwargs["vendor"], "program_slug": kwargs["program_slug"]}
    )
    body = _assert_escaped(page, Client().get(page))
    assert body.count(ESCAPED) >= 3  # two labels and a choice, besides the names
    partner = Client()
    partner.force_login(hostile["partner_user"])
    quiz = reverse(
        "portal:certification",
        kwargs={
            "partnership_id": kwargs["partnership_id"],
            "certification_id": kwargs["certification_id"],
        },
    )
    body = _assert_escaped(quiz, partner.get(quiz))
    assert body.count(ESCAPED) >= 2  # the question and a choice


def test_notes_are_escaped_in_the_timeline_and_in_the_htmx_answer(hostile):
    """A note's text and author are user text: escaped on the partnership page, and in the
    partial htmx swaps in after a note with a payload is posted."""
    owner = Client()
    owner.force_login(hostile["owner"])
    note = PartnershipNote.objects.for_vendor(hostile["vendor"]).select_related("partnership").get()
    kwargs = {"vendor_slug": "evil", "partnership_id": note.partnership.public_id}
    page = reverse("partners:partnership_detail", kwargs=kwargs)
    body = _assert_escaped(page, owner.get(page))
    timeline = body[body.index('id="timeline"') : body.index("<h2>Customers")]
    assert timeline.count("&lt;script&gt;alert(1)") >= 2  # the note's body and its author

    url = reverse("partners:partnership_note_add", kwargs=kwargs)
    answer = _assert_escaped(url, owner.post(url, {"body": PAYLOAD}, HTTP_HX_REQUEST="true"))
    assert "<html" not in answer
    assert ESCAPED in answer
    assert PartnershipNote.objects.for_vendor(hostile["vendor"]).count() == 2
