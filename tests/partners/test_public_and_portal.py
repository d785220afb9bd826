import re

import pytest
from django.core import mail
from django.test import Client

from partners.models import Application, Partnership, PartnerUser
from partners.services import applications
from tests.factories import (
    CertificationFactory,
    CourseFactory,
    JoinSourceFactory,
    LessonFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _apply(client, url, **data):
    """Fill in the public form; anonymously, follow the link e-mailed to the address and
    confirm, as the owner of the address does."""
    payload = {"name": "Ada Agency", "email": "ada@agency.example", "company_name": "", **data}
    sent = len(mail.outbox)
    response = client.post(url, payload)
    if response.status_code != 200 or len(mail.outbox) == sent:
        return response  # refused, or signed in (applied at once)
    return client.post(confirmation_link(mail.outbox[-1]))


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/p/\S+/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_program_page_captures_source_utm_and_first_referrer(vendor, other_vendor):
    ProgramFactory(vendor=vendor, slug="resellers", landing_headline="Sell with us")
    source = JoinSourceFactory(vendor=vendor, code="linkedin", kind="paid_ads")
    JoinSourceFactory(vendor=other_vendor, code="linkedin")
    client = Client()
    url = "/p/acme/resellers/?source=linkedin&utm_campaign=x&utm_medium=cpc"
    page = client.get(url, HTTP_REFERER="https://www.linkedin.com/feed/")
    assert page.status_code == 200
    assert b"Sell with us" in page.content
    assert b'value="https://www.linkedin.com/feed/"' in page.content
    response = _apply(client, url, landing_referrer="https://www.linkedin.com/feed/")
    assert response.status_code == 200, response.content
    application = Application.objects.for_vendor(vendor).get()
    assert application.join_source == source
    assert (application.utm_campaign, application.utm_medium) == ("x", "cpc")
    assert application.referrer == "https://www.linkedin.com/feed/"
    assert b"was received" in response.content


def test_program_page_referral_link_records_recruiter(vendor):
    program = ProgramFactory(vendor=vendor, slug="affiliates")
    recruiter = PartnershipFactory(program=program, referral_code="alice42")
    JoinSourceFactory(
        vendor=vendor, code="partner-ref", kind="partner_referral", name="Partner referral"
    )
    response = _apply(Client(), "/p/acme/affiliates/?ref=alice42")
    assert response.status_code == 200
    partnership = Partnership.objects.for_vendor(vendor).exclude(pk=recruiter.pk).get()
    assert partnership.recruited_by == recruiter
    assert partnership.join_source.kind == "partner_referral"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/p/acme/nope/", 404), ("/p/nobody/resellers/", 404), ("/p/acme/draft/", 404)],
)
def test_unknown_vendor_program_or_draft_program_page_is_404(vendor, path, status):
    ProgramFactory(vendor=vendor, slug="resellers")
    ProgramFactory(vendor=vendor, slug="draft", status="draft")
    response = Client().get(path)
    assert response.status_code == status
    assert b"There is no open partner program at this address" in response.content
    assert Client().post(path, {}).status_code == status


def test_closed_program_page_says_so_and_refuses_posts_without_writing(vendor):
    ProgramFactory(vendor=vendor, slug="old", status="archived")
    client = Client()
    assert b"not accepting applications" in client.get("/p/acme/old/").content
    response = _apply(client, "/p/acme/old/")
    assert response.status_code == 400
    assert b"not accepting applications" in response.content
    assert Partnership.objects.for_vendor(vendor).count() == 0


def test_duplicate_and_invalid_applications_show_field_errors(vendor):
    ProgramFactory(vendor=vendor, slug="resellers")
    client = Client()
    assert _apply(client, "/p/acme/resellers/").status_code == 200
    again = _apply(client, "/p/acme/resellers/")
    assert again.status_code == 400
    assert b"already applied" in again.content
    bad = _apply(client, "/p/acme/resellers/", email="nope")
    assert bad.status_code == 400
    assert b"Enter a valid email address" in bad.content
    assert Partnership.objects.for_vendor(vendor).count() == 1


def test_signed_in_user_applies_as_their_partner_account(vendor):
    ProgramFactory(vendor=vendor, slug="resellers")
    user = UserFactory(email="zoe@example.com")
    client = Client()
    client.force_login(user)
    response = _apply(client, "/p/acme/resellers/", email="ignored@example.com")
    assert response.status_code == 200
    link = PartnerUser.objects.get(user=user)
    assert link.partner.email == "zoe@example.com"
    assert Partnership.objects.for_vendor(vendor).get().partner == link.partner


def test_portal_lists_partnerships_across_vendors_with_referral_links(vendor, other_vendor):
    link = PartnerUserFactory(partner__email="pat@example.com")
    mine = PartnershipFactory(
        program=ProgramFactory(vendor=vendor, name="Acme Resellers", slug="r"),
        partner=link.partner,
        referral_code="patacme",
    )
    PartnershipFactory(
        program=ProgramFactory(vendor=other_vendor, name="Globex Affiliates"), partner=link.partner
    )
    PartnershipFactory(program=ProgramFactory(vendor=vendor, name="Someone else's"))
    client = Client()
    client.force_login(link.user)
    page = client.get("/portal/").content.decode()
    assert "Acme Resellers" in page
    assert "Globex Affiliates" in page
    assert "Someone else" not in page
    assert "/p/acme/r/?ref=patacme" in page
    assert client.get(f"/portal/partnerships/{mine.public_id}/").status_code == 200


def test_user_is_linked_to_an_invited_partner_by_their_verified_email(vendor):
    partnership = PartnershipFactory(
        program=ProgramFactory(vendor=vendor), partner__email="inv@example.com"
    )
    user = UserFactory(email="inv@example.com")
    client = Client()
    client.force_login(user)
    assert partnership.program.name in client.get("/portal/").content.decode()
    assert PartnerUser.objects.get(user=user).partner == partnership.partner


def test_portal_onboarding_lesson_and_quiz_are_recorded(vendor):
    link = PartnerUserFactory()
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program, partner=link.partner)
    lesson = LessonFactory(course=CourseFactory(vendor=vendor, program=program, title="Basics"))
    cert = CertificationFactory(vendor=vendor, program=program, title="Sales cert")
    client = Client()
    client.force_login(link.user)
    base = f"/portal/partnerships/{partnership.public_id}/"
    page = client.get(base).content.decode()
    assert "Basics" in page
    assert "Sales cert" in page
    client.post(f"{base}lessons/{lesson.public_id}/complete/")
    assert partnership.course_progress.get().completed_at is not None
    quiz = f"{base}certifications/{cert.public_id}/"
    assert client.get(quiz).status_code == 200
    assert client.post(quiz, {"q0": "1"}).status_code == 400  # unanswered question
    response = client.post(quiz, {"q0": "1", "q1": "0"})
    assert b"Passed with 100%" in response.content
    assert partnership.certification_attempts.get().passed


def test_onboarding_waits_for_approval(vendor):
    link = PartnerUserFactory()
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program, partner=link.partner, status="applied")
    lesson = LessonFactory(course=CourseFactory(vendor=vendor, program=program))
    client = Client()
    client.force_login(link.user)
    base = f"/portal/partnerships/{partnership.public_id}/"
    assert b"once your partnership is approved" in client.get(base).content
    client.post(f"{base}lessons/{lesson.public_id}/complete/")
    assert not partnership.lesson_completions.exists()
    assert not mail.outbox


def test_portal_home_query_count_does_not_grow_with_partnerships(
    vendor, other_vendor, django_assert_max_num_queries
):
    link = PartnerUserFactory()
    for v in (vendor, other_vendor) * 5:
        PartnershipFactory(program=ProgramFactory(vendor=v), partner=link.partner)
    client = Client()
    client.force_login(link.user)
    with django_assert_max_num_queries(8):
        assert client.get("/portal/").status_code == 200


def test_an_anonymous_application_waits_for_the_emailed_confirmation(vendor):
    ProgramFactory(vendor=vendor, slug="resellers", name="Acme Resellers")
    client = Client()
    payload = {"name": "Ada Agency", "email": "ada@agency.example", "company_name": ""}
    response = client.post("/p/acme/resellers/?source=news", payload)
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    assert not Partnership.objects.for_vendor(vendor).exists()  # nothing before the click
    (message,) = mail.outbox
    assert message.to == ["ada@agency.example"]
    assert "Confirm your application to Acme Resellers" in message.subject
    link = confirmation_link(message)
    # Opening the link (a mail scanner does) shows the application and writes nothing.
    page = client.get(link)
    assert page.status_code == 200
    assert b"ada@agency.example" in page.content
    assert not Partnership.objects.for_vendor(vendor).exists()
    confirmed = Client().post(link)  # from another browser: the link is what counts
    assert confirmed.status_code == 200
    assert b"was received" in confirmed.content
    partnership = Partnership.objects.for_vendor(vendor).get()
    assert partnership.partner.email == "ada@agency.example"
    again = Client().post(link)
    assert again.status_code == 400
    assert b"already applied" in again.content
    assert Partnership.objects.for_vendor(vendor).count() == 1


def test_a_tampered_expired_or_foreign_confirmation_link_makes_nothing(vendor, monkeypatch):
    from django.core import signing

    from partners.services.applications import APPLICATION_CONFIRM_SALT

    ProgramFactory(vendor=vendor, slug="resellers")
    ProgramFactory(vendor=vendor, slug="affiliates")
    Client().post("/p/acme/resellers/", {"name": "Ada", "email": "ada@agency.example"})
    link = confirmation_link(mail.outbox[-1])
    token = link.rstrip("/").rsplit("/", 1)[1]
    payload, _, signature = token.rpartition(":")
    forged = signing.dumps(
        {**signing.loads(token, salt=APPLICATION_CONFIRM_SALT), "email": "x@y.example"},
        salt="not-the-salt",
        compress=True,
    )
    for bad in (
        link.replace(token, payload + ":" + signature[::-1]),  # tampered signature
        link.replace(token, forged),  # signed with another salt
        link.replace("/resellers/", "/affiliates/"),  # made for another program
    ):
        answer = Client().post(bad)
        assert answer.status_code == 400, bad
        assert b"not valid" in answer.content
    monkeypatch.setattr(applications, "APPLICATION_CONFIRM_MAX_AGE", -1)  # every link is too old
    expired = Client().post(link)
    assert expired.status_code == 400
    assert b"expired" in expired.content
    assert not Partnership.objects.for_vendor(vendor).exists()
