import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import Event
from partners.models import Application, Partner, PartnerImport, Partnership
from partners.selectors import join_source_report, onboarding_progress
from partners.services.applications import (
    Tracking,
    application_approve,
    application_reject,
    application_submit,
)
from partners.services.imports import IMPORT_MAX_BYTES, partners_import_csv
from partners.services.onboarding import certification_attempt_submit, lesson_complete
from partners.services.partnerships import partnership_invite, partnership_update
from partners.stages import Stage
from tests.factories import (
    ApplicationFactory,
    CertificationFactory,
    CourseFactory,
    JoinSourceFactory,
    LessonFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PersonaRuleFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def _events(vendor, type_):
    return list(Event.objects.for_vendor(vendor).filter(type=type_))


def test_application_records_join_source_and_utm_from_the_link(
    vendor, other_vendor, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor)
    source = JoinSourceFactory(vendor=vendor, code="newsletter", kind="email")
    JoinSourceFactory(vendor=other_vendor, code="newsletter")
    tracking = Tracking(
        source_code="newsletter",
        utm={"utm_campaign": "x", "utm_source": "mailchimp"},
        referrer="https://blog.example.com/post",
    )
    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(
            program=program, email="Ada@Agency.example", name="Ada", tracking=tracking
        )
    partnership = application.partnership
    assert application.join_source == source
    assert application.utm_campaign == "x"
    assert application.referrer == "https://blog.example.com/post"
    assert partnership.join_source == source
    assert partnership.utm_campaign == "x"
    assert partnership.status == Partnership.Status.APPLIED
    assert partnership.stage == Stage.RECRUITMENT
    assert partnership.partner.email == "ada@agency.example"
    assert application.status == Application.Status.PENDING
    assert len(_events(vendor, "application.submitted")) == 1
    assert len(_events(vendor, "partnership.created")) == 1
    assert not _events(other_vendor, "application.submitted")
    assert mail.outbox[-1].to == ["ada@agency.example"]
    assert "received" in mail.outbox[-1].subject


def test_partner_referral_link_records_partner_referral_source_and_recruiter(vendor):
    program = ProgramFactory(vendor=vendor)
    referral_source = JoinSourceFactory(vendor=vendor, code="partners", kind="partner_referral")
    recruiter = PartnershipFactory(program=program, referral_code="alice123")
    application = application_submit(
        program=program, email="bob@example.com", tracking=Tracking(referral_code="alice123")
    )
    assert application.join_source == referral_source
    assert application.recruited_by == recruiter
    assert application.partnership.recruited_by == recruiter


def test_partner_referral_source_is_created_when_the_vendor_has_none(vendor):
    program = ProgramFactory(vendor=vendor)
    JoinSourceFactory(vendor=vendor, code="web", kind="website")
    recruiter = PartnershipFactory(program=program, referral_code="alice123")
    application = application_submit(
        program=program, email="bob@example.com", tracking=Tracking(referral_code="alice123")
    )
    assert application.join_source.kind == "partner_referral"
    assert application.join_source.name == "Partner referral"
    assert application.recruited_by == recruiter


def test_another_vendors_referral_code_is_not_a_recruiter(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor)
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor), referral_code="theirs1")
    application = application_submit(
        program=program, email="bob@example.com", tracking=Tracking(referral_code="theirs1")
    )
    assert application.recruited_by is None
    assert application.join_source is None


def test_open_program_approves_automatically_and_sends_welcome(
    vendor, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor, application_mode="open")
    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(program=program, email="carol@example.com")
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.partnership.status == Partnership.Status.APPROVED
    assert application.partnership.approved_at is not None
    assert [m.subject for m in mail.outbox] == [
        f"Your application to {program.name} was received",
        f"Welcome to {program.name}",
    ]
    assert len(_events(vendor, "application.approved")) == 1


@pytest.mark.parametrize(
    ("status", "mode", "message"),
    [
        ("archived", "approval", "not accepting applications"),
        ("active", "invite_only", "by invitation only"),
    ],
)
def test_closed_programs_refuse_applications_and_write_nothing(vendor, status, mode, message):
    program = ProgramFactory(vendor=vendor, status=status, application_mode=mode)
    with pytest.raises(ValidationError, match=message):
        application_submit(program=program, email="dan@example.com")
    assert not Partner.objects.filter(email="dan@example.com").exists()
    assert Partnership.objects.for_vendor(vendor).count() == 0
    assert not mail.outbox


def test_duplicate_application_is_refused_with_a_clear_message(vendor):
    program = ProgramFactory(vendor=vendor)
    application_submit(program=program, email="erin@example.com")
    with pytest.raises(ValidationError) as excinfo:
        application_submit(program=program, email="erin@example.com")
    assert "already applied" in str(excinfo.value.message_dict["email"])
    assert Application.objects.for_vendor(vendor).count() == 1


def test_invalid_email_is_refused_and_nothing_is_written(vendor):
    program = ProgramFactory(vendor=vendor)
    with pytest.raises(ValidationError) as excinfo:
        application_submit(program=program, email="not-an-address")
    assert "email" in excinfo.value.message_dict
    assert Partner.objects.count() == 0


def test_required_question_missing_is_refused_naming_the_question(vendor):
    program = ProgramFactory(
        vendor=vendor,
        application_fields=[
            {"name": "company_size", "label": "Size", "type": "number", "required": True}
        ],
    )
    with pytest.raises(ValidationError) as excinfo:
        application_submit(program=program, email="f@example.com", answers={})
    assert "company_size" in excinfo.value.message_dict
    assert Partner.objects.count() == 0


def test_persona_rule_suggests_agency_from_answers(vendor):
    program = ProgramFactory(
        vendor=vendor,
        application_fields=[
            {"name": "company_size", "label": "Size", "type": "number"},
            {"name": "offers_services", "label": "Services?", "type": "boolean"},
        ],
    )
    agency = PartnerPersonaFactory(vendor=vendor, name="Agency", program=program)
    PartnerPersonaFactory(vendor=vendor, name="Creator")
    PersonaRuleFactory(
        persona=agency,
        conditions=[
            {"field": "company_size", "op": "gt", "value": 50},
            {"field": "offers_services", "op": "true"},
        ],
    )
    big = application_submit(
        program=program,
        email="big@example.com",
        answers={"company_size": "120", "offers_services": "on"},
    )
    small = application_submit(
        program=program, email="small@example.com", answers={"company_size": "5"}
    )
    assert big.suggested_persona == agency
    assert big.partnership.persona == agency
    assert small.suggested_persona is None


def test_approve_and_reject_record_decision_send_mail_and_events(
    vendor, other_vendor, manager, django_capture_on_commit_callbacks
):
    first = ApplicationFactory(partnership__program__vendor=vendor)
    second = ApplicationFactory(partnership__program__vendor=vendor)
    application_approve(
        vendor=vendor,
        application_id=first.public_id,
        actor=Actor.for_user(manager),
        reason="Great fit",
    )
    with pytest.raises(ValidationError) as excinfo:
        application_reject(
            vendor=vendor,
            application_id=second.public_id,
            actor=Actor.for_user(manager),
            reason=" ",
        )
    assert "reason" in excinfo.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(
            vendor=vendor,
            application_id=second.public_id,
            actor=Actor.for_user(manager),
            reason="Not a fit",
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.partnership.status) == ("approved", "approved")
    assert first.decided_by == manager
    assert (second.status, second.partnership.status) == ("rejected", "rejected")
    assert second.decision_reason == "Not a fit"
    assert "Not a fit" in mail.outbox[-1].body
    assert len(_events(vendor, "application.approved")) == 1
    assert len(_events(vendor, "application.rejected")) == 1
    with pytest.raises(ValidationError, match="already approved"):
        application_approve(
            vendor=vendor, application_id=first.public_id, actor=Actor.for_user(manager)
        )
    with pytest.raises(Application.DoesNotExist):
        application_approve(
            vendor=other_vendor, application_id=first.public_id, actor=Actor.for_user(manager)
        )


def test_invite_creates_an_approved_partnership_and_sends_the_invitation(
    vendor, manager, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor, application_mode="invite_only")
    with django_capture_on_commit_callbacks(execute=True):
        partnership = partnership_invite(
            vendor=vendor,
            program_id=program.public_id,
            email="gina@example.com",
            actor=Actor.for_user(manager),
        )
    assert partnership.status == Partnership.Status.APPROVED
    assert partnership.invited_at is not None
    assert mail.outbox[-1].to == ["gina@example.com"]
    assert partnership.referral_code in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="already in the program"):
        partnership_invite(
            vendor=vendor,
            program_id=program.public_id,
            email="gina@example.com",
            actor=Actor.for_user(manager),
        )


def test_invite_into_another_vendors_program_is_refused(vendor, other_vendor, manager):
    theirs = ProgramFactory(vendor=other_vendor)
    with pytest.raises(ValidationError) as excinfo:
        partnership_invite(
            vendor=vendor,
            program_id=theirs.public_id,
            email="h@example.com",
            actor=Actor.for_user(manager),
        )
    assert "program_id" in excinfo.value.message_dict
    assert Partnership.objects.unscoped().count() == 0


def test_partnership_update_refuses_another_vendors_persona(vendor, other_vendor, manager):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    theirs = PartnerPersonaFactory(vendor=other_vendor)
    with pytest.raises(ValidationError) as excinfo:
        partnership_update(
            vendor=vendor,
            partnership_id=partnership.public_id,
            actor=Actor.for_user(manager),
            persona_id=theirs.public_id,
        )
    assert "persona_id" in excinfo.value.message_dict
    mine = PartnerPersonaFactory(vendor=vendor)
    updated = partnership_update(
        vendor=vendor,
        partnership_id=partnership.public_id,
        actor=Actor.for_user(manager),
        persona_id=mine.public_id,
    )
    assert updated.persona == mine
    assert _events(vendor, "partnership.updated")[0].data["changed"] == ["persona"]


def test_manager_suspending_a_partnership_is_audited(vendor, manager):
    from partnerhub.audit.models import AuditEntry

    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor))
    partnership_update(
        vendor=vendor,
        partnership_id=partnership.public_id,
        actor=Actor.for_user(manager),
        status="suspended",
    )
    entry = AuditEntry.objects.for_vendor(vendor).get(action="partnership.status_changed")
    assert (entry.before, entry.after) == ({"status": "approved"}, {"status": "suspended"})
    assert entry.actor_user == manager


def _csv(rows):
    return ("email,name,company_name\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.mark.slow
def test_csv_import_of_1000_rows_with_10_bad_creates_990_and_is_idempotent(
    vendor, manager, django_assert_max_num_queries
):
    program = ProgramFactory(vendor=vendor)
    rows = [f"p{i}@import.example,Partner {i}," for i in range(990)]
    bad = [f"bad{i}-at-example,Bad {i}," for i in range(5)] + [",No email," for _ in range(4)]
    bad.append("p0@import.example,Duplicate of row 2,")
    content = _csv(rows + bad)
    with django_assert_max_num_queries(1100):  # one event insert per created partnership
        result = partners_import_csv(
            vendor=vendor,
            program_id=program.public_id,
            content=content,
            actor=Actor.for_user(manager),
        )
    assert (result.rows_total, result.created_count, result.refused_count) == (1000, 990, 10)
    refused = [e for e in result.report if e["outcome"] == "refused"]
    assert [e["row"] for e in refused] == list(range(992, 1002))
    assert refused[0]["reason"] == "invalid e-mail address"
    assert refused[5]["reason"] == "e-mail address missing"
    assert refused[9]["reason"] == "same e-mail as row 2"
    assert Partnership.objects.for_vendor(vendor).count() == 990
    again = partners_import_csv(
        vendor=vendor, program_id=program.public_id, content=content, actor=Actor.for_user(manager)
    )
    assert (again.created_count, again.existing_count, again.refused_count) == (0, 990, 10)
    assert Partnership.objects.for_vendor(vendor).count() == 990
    assert Partner.objects.count() == 990


def test_oversized_or_headerless_upload_is_refused_and_writes_nothing(vendor, manager):
    program = ProgramFactory(vendor=vendor)
    with pytest.raises(ValidationError, match="larger than"):
        partners_import_csv(
            vendor=vendor,
            program_id=program.public_id,
            content=b"email\n" + b"x" * IMPORT_MAX_BYTES,
            actor=Actor.for_user(manager),
        )
    with pytest.raises(ValidationError, match="email column"):
        partners_import_csv(
            vendor=vendor,
            program_id=program.public_id,
            content=b"name\nBob\n",
            actor=Actor.for_user(manager),
        )
    assert PartnerImport.objects.for_vendor(vendor).count() == 0
    assert Partner.objects.count() == 0


def test_import_links_existing_partner_accounts_across_vendors(vendor, other_vendor, manager):
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    program = ProgramFactory(vendor=vendor)
    result = partners_import_csv(
        vendor=vendor,
        program_id=program.public_id,
        content=_csv([f"{theirs.partner.email},X,"]),
        actor=Actor.for_user(manager),
    )
    assert result.created_count == 1
    assert Partner.objects.count() == 1


def test_onboarding_progress_records_lessons_courses_and_quiz(vendor):
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program)
    course = CourseFactory(vendor=vendor, program=program)
    first, second = LessonFactory(course=course), LessonFactory(course=course)
    CourseFactory(vendor=vendor, program=ProgramFactory(vendor=vendor))  # another program's
    cert = CertificationFactory(vendor=vendor, program=program, pass_mark_percent=100)
    lesson_complete(partnership=partnership, lesson_id=first.public_id)
    lesson_complete(partnership=partnership, lesson_id=first.public_id)  # idempotent
    progress = onboarding_progress(partnership=partnership)
    assert len(progress.courses) == 1
    assert progress.courses[0].completed_at is None
    lesson_complete(partnership=partnership, lesson_id=second.public_id)
    failed = certification_attempt_submit(
        partnership=partnership, certification_id=cert.public_id, answers=[1, 1]
    )
    assert (failed.score_percent, failed.passed) == (50, False)
    passed = certification_attempt_submit(
        partnership=partnership, certification_id=cert.public_id, answers=[1, 0]
    )
    assert (passed.score_percent, passed.passed) == (100, True)
    progress = onboarding_progress(partnership=partnership)
    assert progress.courses[0].completed_at is not None
    assert progress.certifications[0].passed_at == passed.created_at
    assert progress.certifications[0].best_score == 100
    assert progress.required_done
    with pytest.raises(ValidationError, match="every question"):
        certification_attempt_submit(
            partnership=partnership, certification_id=cert.public_id, answers=[1]
        )


def test_join_source_report_counts_applications_approvals_activations(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor)
    web = JoinSourceFactory(vendor=vendor, name="Website", code="web")
    agency = PartnerPersonaFactory(vendor=vendor, name="Agency")
    for i, (status, stage) in enumerate(
        [("pending", "recruitment"), ("approved", "recruitment"), ("approved", "activation")]
    ):
        ApplicationFactory(
            partnership__program=program,
            partnership__stage=stage,
            partnership__persona=agency,
            partnership__referral_code=f"r{i}",
            join_source=web,
            status=status,
        )
    old = ApplicationFactory(partnership__program=program, join_source=web)
    old.created_at = timezone.now() - dt.timedelta(days=400)
    old.save()
    ApplicationFactory(partnership__program__vendor=other_vendor)
    today = timezone.now().date()
    report = join_source_report(vendor=vendor, start=today - dt.timedelta(days=30), end=today)
    (row,) = report["join_source"]
    assert (row.label, row.applications, row.approvals, row.activations) == ("Website", 3, 2, 1)
    (persona_row,) = report["persona"]
    assert (persona_row.label, persona_row.applications) == ("Agency", 3)
