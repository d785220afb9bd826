import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from partners.models import Application, PartnerImport, Partnership
from partners.services.imports import IMPORT_MAX_BYTES
from programs.models import JoinSource, PartnerPersona, Program
from tests.factories import (
    ApplicationFactory,
    CertificationFactory,
    CourseFactory,
    JoinSourceFactory,
    LessonFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
)
from tests.partners.test_public_and_portal import confirmation_link

pytestmark = pytest.mark.django_db


def test_acceptance_program_personas_sources_apply_approve_portal(
    vendor, manager, client_for, django_capture_on_commit_callbacks
):
    """A manager creates a program with two personas and three join sources; a prospect
    applies through ?source=<code>&utm_campaign=x; the application shows that source and
    campaign; the manager approves; the partner sees program, referral link and onboarding."""
    app = client_for(manager)
    response = app.post(
        "/app/acme/programs/new/",
        {
            "name": "Acme Resellers",
            "slug": "resellers",
            "kind": "reseller",
            "status": "active",
            "currency": "USD",
            "application_mode": "approval",
            "attribution_window_days": 90,
            "attribution_model": "last_click",
            "hold_period_days": 30,
            "payout_threshold_amount": 5000,
            "payout_schedule": "monthly",
            "activation_target_days": 60,
            "application_fields": "[]",
        },
    )
    assert response.status_code == 302, response.content.decode()
    program = Program.objects.for_vendor(vendor).get()
    for name in ("Agency", "Freelancer"):
        response = app.post("/app/acme/personas/new/", {"name": name, "program": program.public_id})
        assert response.status_code == 302, response.content.decode()
    for name, code, kind in (
        ("Website", "web", "website"),
        ("Newsletter", "news", "email"),
        ("Partner referral", "partner", "partner_referral"),
    ):
        response = app.post(
            "/app/acme/join-sources/new/",
            {"name": name, "code": code, "kind": kind, "is_active": "on"},
        )
        assert response.status_code == 302, response.content.decode()
    assert PartnerPersona.objects.for_vendor(vendor).count() == 2
    assert JoinSource.objects.for_vendor(vendor).count() == 3
    CourseFactory(vendor=vendor, program=program, title="Reseller basics")

    prospect = Client()
    response = prospect.post(
        "/p/acme/resellers/?source=news&utm_campaign=x",
        {"name": "Paula Partner", "email": "paula@agency.example"},
    )
    assert response.status_code == 200, response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # she confirms from her inbox
        response = prospect.post(confirmation_link(mail.outbox[-1]))
    assert response.status_code == 200, response.content.decode()
    application = Application.objects.for_vendor(vendor).get()
    detail = app.get(f"/app/acme/applications/{application.public_id}/").content.decode()
    assert "Newsletter" in detail
    assert "campaign x" in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = app.post(
            f"/app/acme/applications/{application.public_id}/",
            {"decision": "approve", "reason": ""},
        )
    assert response.status_code == 302
    partnership = Partnership.objects.for_vendor(vendor).get()
    assert partnership.status == "approved"
    assert "Welcome to Acme Resellers" in [m.subject for m in mail.outbox]

    partner_user = PartnerUserFactory(partner=partnership.partner).user
    portal = client_for(partner_user)
    home = portal.get("/portal/").content.decode()
    assert "Acme Resellers" in home
    assert f"/p/acme/resellers/?ref={partnership.referral_code}" in home
    page = portal.get(f"/portal/partnerships/{partnership.public_id}/").content.decode()
    assert "Reseller basics" in page


def test_each_vendor_sees_only_its_own_partnership_of_a_shared_partner(
    vendor, other_vendor, manager, other_owner, client_for
):
    link = PartnerUserFactory(partner__name="Shared Partner")
    ours = PartnershipFactory(
        program=ProgramFactory(vendor=vendor, name="Ours"), partner=link.partner
    )
    theirs = PartnershipFactory(
        program=ProgramFactory(vendor=other_vendor, name="Theirs"), partner=link.partner
    )
    our_list = client_for(manager).get("/app/acme/partnerships/").content.decode()
    their_list = client_for(other_owner).get("/app/globex/partnerships/").content.decode()
    assert ours.public_id in our_list
    assert theirs.public_id not in our_list
    assert theirs.public_id in their_list
    assert ours.public_id not in their_list
    assert client_for(manager).get(f"/app/acme/partnerships/{theirs.public_id}/").status_code == 404
    portal = client_for(link.user).get("/portal/").content.decode()
    assert "Ours" in portal
    assert "Theirs" in portal


def test_bulk_reject_needs_confirmation_and_a_reason(vendor, manager, client_for):
    apps = [ApplicationFactory(partnership__program__vendor=vendor) for _ in range(3)]
    client = client_for(manager)
    ids = [a.public_id for a in apps[:2]]
    no_reason = client.post(
        "/app/acme/applications/decide/", {"application": ids, "decision": "reject"}
    )
    assert no_reason.status_code == 302
    assert Application.objects.for_vendor(vendor).filter(status="pending").count() == 3
    confirm = client.post(
        "/app/acme/applications/decide/",
        {"application": ids, "decision": "reject", "reason": "Not now"},
    )
    assert confirm.status_code == 200
    assert b"Reject 2 application(s)?" in confirm.content
    assert Application.objects.for_vendor(vendor).filter(status="pending").count() == 3
    done = client.post(
        "/app/acme/applications/decide/",
        {"application": ids, "decision": "reject", "reason": "Not now", "confirmed": "1"},
    )
    assert done.status_code == 302
    assert Application.objects.for_vendor(vendor).filter(status="rejected").count() == 2


def test_bulk_decision_ignores_another_vendors_application(
    vendor, other_vendor, manager, client_for
):
    theirs = ApplicationFactory(partnership__program__vendor=other_vendor)
    client_for(manager).post(
        "/app/acme/applications/decide/",
        {"application": [theirs.public_id], "decision": "approve", "confirmed": "1"},
    )
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_application_list_filters_and_bounded_queries(
    vendor, manager, client_for, django_assert_max_num_queries
):
    web = JoinSourceFactory(vendor=vendor, name="Website")
    for i in range(20):
        ApplicationFactory(partnership__program__vendor=vendor, join_source=web if i % 2 else None)
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        page = client.get("/app/acme/applications/")
    assert page.status_code == 200
    filtered = client.get(
        "/app/acme/applications/", {"join_source": web.public_id}
    ).content.decode()
    assert filtered.count('name="application"') == 10


def test_partnership_list_filters_by_stage_and_bounds_queries(
    vendor, manager, client_for, django_assert_max_num_queries
):
    program = ProgramFactory(vendor=vendor)
    for _ in range(15):
        PartnershipFactory(program=program, persona=PartnerPersonaFactory(vendor=vendor))
    active = PartnershipFactory(program=program, stage="activation")
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        assert client.get("/app/acme/partnerships/").status_code == 200
    page = client.get("/app/acme/partnerships/", {"stage": "activation"}).content.decode()
    assert active.public_id in page
    assert page.count("/app/acme/partnerships/ptn_") == 1


def test_program_form_shows_errors_next_to_fields(vendor, manager, client_for):
    ProgramFactory(vendor=vendor, slug="taken")
    response = client_for(manager).post(
        "/app/acme/programs/new/",
        {
            "name": "X",
            "slug": "taken",
            "kind": "referral",
            "status": "draft",
            "currency": "USD",
            "application_mode": "open",
            "attribution_window_days": 90,
            "attribution_model": "last_click",
            "hold_period_days": 30,
            "payout_threshold_amount": 0,
            "payout_schedule": "monthly",
            "activation_target_days": 60,
            "application_fields": "[{oops",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not valid JSON" in body
    assert Program.objects.for_vendor(vendor).count() == 1


def test_persona_rule_added_from_the_persona_page(vendor, manager, client_for):
    persona = PartnerPersonaFactory(vendor=vendor)
    client = client_for(manager)
    url = f"/app/acme/personas/{persona.public_id}/"
    bad = client.post(url, {"conditions": '[{"field": "size", "op": "huge"}]', "priority": 1})
    assert bad.status_code == 400
    assert b"op must be one of" in bad.content
    ok = client.post(
        url, {"conditions": '[{"field": "size", "op": "gt", "value": 50}]', "priority": 1}
    )
    assert ok.status_code == 302
    assert persona.rules.count() == 1


def test_invite_page_sends_invitation(
    vendor, manager, client_for, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            "/app/acme/partnerships/invite/",
            {"program": program.public_id, "email": "i@example.com"},
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["i@example.com"]


def test_csv_import_page_reports_rows_and_refuses_oversized_files(vendor, manager, client_for):
    program = ProgramFactory(vendor=vendor)
    client = client_for(manager)
    content = b"email,name\nok@example.com,Ok\nbroken,Bad\n"
    response = client.post(
        "/app/acme/imports/",
        {"program": program.public_id, "file": SimpleUploadedFile("p.csv", content)},
    )
    assert response.status_code == 302
    report = client.get(response["Location"]).content.decode()
    assert "1 created" in report
    assert "invalid e-mail address" in report
    big = SimpleUploadedFile("big.csv", b"email\n" + b"a" * IMPORT_MAX_BYTES)
    refused = client.post("/app/acme/imports/", {"program": program.public_id, "file": big})
    assert refused.status_code == 400
    assert b"larger than" in refused.content
    assert PartnerImport.objects.for_vendor(vendor).count() == 1


def test_join_source_report_page_for_a_period(vendor, other_vendor, manager, client_for):
    web = JoinSourceFactory(vendor=vendor, name="Website")
    ApplicationFactory(partnership__program__vendor=vendor, join_source=web, status="approved")
    ApplicationFactory(
        partnership__program__vendor=other_vendor,
        join_source=JoinSourceFactory(vendor=other_vendor, name="Leaky"),
    )
    client = client_for(manager)
    today = timezone.now().date()
    page = client.get(
        "/app/acme/reports/join-sources/",
        {"start": (today - dt.timedelta(days=7)).isoformat(), "end": today.isoformat()},
    ).content.decode()
    assert "Website" in page
    assert "Leaky" not in page
    bad = client.get(
        "/app/acme/reports/join-sources/", {"start": today.isoformat(), "end": "2000-01-01"}
    )
    assert b"The end is before the start" in bad.content


def test_partnership_detail_shows_onboarding_progress_to_managers(vendor, manager, client_for):
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program)
    LessonFactory(course=CourseFactory(vendor=vendor, program=program, title="Basics"))
    CertificationFactory(vendor=vendor, program=program, title="Cert")
    page = (
        client_for(manager).get(f"/app/acme/partnerships/{partnership.public_id}/").content.decode()
    )
    assert "Course: Basics" in page
    assert "0 / 1 lessons" in page
    assert "not taken" in page


def test_empty_lists_say_what_to_do_next(vendor, manager, client_for):
    client = client_for(manager)
    for url, hint in (
        ("/app/acme/programs/", "Create your first program"),
        ("/app/acme/personas/", "Describe your first partner persona"),
        ("/app/acme/join-sources/", "Add one per channel"),
        ("/app/acme/applications/", "Share a program"),
        ("/app/acme/partnerships/", "Invite a partner"),
    ):
        assert hint in client.get(url).content.decode(), url
