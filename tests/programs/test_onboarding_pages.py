import json

import pytest

from programs.models import Certification, Course, Lesson
from tests.factories import CourseFactory, PartnerPersonaFactory, ProgramFactory

pytestmark = pytest.mark.django_db

QUESTIONS = [{"text": "Who pays?", "choices": ["We do", "You do"], "answer": 0}]


def test_manager_creates_course_with_lessons_for_a_persona(vendor, manager, client_for):
    program = ProgramFactory(vendor=vendor)
    persona = PartnerPersonaFactory(vendor=vendor, name="Agency")
    client = client_for(manager)
    response = client.post(
        "/app/acme/onboarding/courses/new/",
        {
            "title": "Agency track",
            "program": program.public_id,
            "persona": persona.public_id,
            "position": 1,
            "is_required": "on",
            "is_published": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    course = Course.objects.for_vendor(vendor).get()
    assert (course.program, course.persona) == (program, persona)
    url = f"/app/acme/onboarding/courses/{course.public_id}/"
    no_url = client.post(url, {"add_lesson": "1", "title": "Docs", "kind": "link", "position": 1})
    assert no_url.status_code == 400
    assert b"A link lesson needs a URL." in no_url.content
    ok = client.post(
        url,
        {
            "add_lesson": "1",
            "title": "Docs",
            "kind": "link",
            "position": 1,
            "url": "https://docs.example.com",
        },
    )
    assert ok.status_code == 302
    assert Lesson.objects.for_vendor(vendor).get().course == course
    listing = client.get("/app/acme/onboarding/").content.decode()
    assert "Agency track" in listing


def test_certification_questions_are_validated(vendor, manager, client_for):
    client = client_for(manager)
    bad = client.post(
        "/app/acme/onboarding/certifications/new/",
        {
            "title": "Cert",
            "questions": json.dumps([{"text": "Q", "choices": ["a"], "answer": 0}]),
            "pass_mark_percent": 80,
        },
    )
    assert bad.status_code == 400
    assert b"two or more choices" in bad.content
    ok = client.post(
        "/app/acme/onboarding/certifications/new/",
        {"title": "Cert", "questions": json.dumps(QUESTIONS), "pass_mark_percent": 80},
    )
    assert ok.status_code == 302
    assert Certification.objects.for_vendor(vendor).get().questions == QUESTIONS


def test_course_of_another_vendor_is_404_and_its_program_cannot_be_chosen(
    vendor, other_vendor, manager, client_for
):
    theirs = CourseFactory(vendor=other_vendor)
    client = client_for(manager)
    assert client.get(f"/app/acme/onboarding/courses/{theirs.public_id}/").status_code == 404
    their_program = ProgramFactory(vendor=other_vendor)
    response = client.post(
        "/app/acme/onboarding/courses/new/",
        {"title": "Sneaky", "program": their_program.public_id, "position": 0},
    )
    assert response.status_code == 400
    assert Course.objects.for_vendor(vendor).count() == 0
