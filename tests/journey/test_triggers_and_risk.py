"""Immediate evaluation on approval and certification, at-risk flags, digest and nudges,
and the journey_evaluate command."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from journey.models import Nudge, RiskDigest
from journey.selectors import at_risk_partnerships, slipping_partnerships
from journey.services.nudges import partnership_nudge
from journey.tasks import journey_risk_digest_task
from partnerhub.celery import app as celery_app
from partnerhub.core.actor import Actor
from partners.services.applications import application_approve
from partners.services.onboarding import certification_attempt_submit
from partners.stages import Stage
from tests.factories import (
    ApplicationFactory,
    CertificationFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    ProgramFactory,
    StageRuleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in-process (Celery's own configuration switch)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_approval_evaluates_the_partnership_at_once_after_commit(
    vendor, manager, eager_celery, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(partnership__program__vendor=vendor)
    StageRuleFactory(
        program=application.program,
        criteria=[[{"metric": "approved", "op": "eq", "value": 1}]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(
            vendor=vendor, application_id=application.public_id, actor=Actor.for_user(manager)
        )
    application.partnership.refresh_from_db()
    assert application.partnership.stage == Stage.ACTIVATION


def test_passing_a_certification_evaluates_the_partnership_at_once(
    vendor, eager_celery, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor)
    StageRuleFactory(program=program)  # activation: a certification passed
    certification = CertificationFactory(vendor=vendor, program=program)
    partnership = PartnershipFactory(program=program)
    with django_capture_on_commit_callbacks(execute=True):
        certification_attempt_submit(
            partnership=partnership, certification_id=certification.public_id, answers=[0, 0]
        )  # 1 of 2 right = 50%: the pass mark
    partnership.refresh_from_db()
    assert partnership.stage == Stage.ACTIVATION


def test_at_risk_are_approved_partnerships_past_their_target_without_activation(
    vendor, other_vendor
):
    program = ProgramFactory(vendor=vendor, activation_target_days=60)
    fast = PartnerPersonaFactory(vendor=vendor, activation_target_days=10)
    now = timezone.now()
    late = PartnershipFactory(program=program, approved_at=now - dt.timedelta(days=61))
    in_time = PartnershipFactory(program=program, approved_at=now - dt.timedelta(days=59))
    late_persona = PartnershipFactory(
        program=program, persona=fast, approved_at=now - dt.timedelta(days=11)
    )
    PartnershipFactory(program=program, stage="activation", approved_at=now - dt.timedelta(days=90))
    PartnershipFactory(
        program=ProgramFactory(vendor=other_vendor), approved_at=now - dt.timedelta(days=90)
    )
    flagged = set(at_risk_partnerships(vendor=vendor))
    assert flagged == {late, late_persona}
    assert in_time not in flagged
    slipping = slipping_partnerships(vendor=vendor)  # read from the payouts ledger
    assert slipping is not None
    assert list(slipping) == []


def test_digest_goes_to_managers_once_a_day(
    vendor, owner, manager, viewer, django_capture_on_commit_callbacks
):
    program = ProgramFactory(vendor=vendor, name="Alpha")
    late = PartnershipFactory(program=program, approved_at=timezone.now() - dt.timedelta(days=100))
    with django_capture_on_commit_callbacks(execute=True):
        assert journey_risk_digest_task(vendor.pk, "2026-11-20") == {"sent": True}
        assert journey_risk_digest_task(vendor.pk, "2026-11-20") == {"sent": False}
    [sent] = mail.outbox
    assert sorted(sent.to) == sorted([owner.email, manager.email])
    assert sent.subject == "Acme Analytics: 1 partnership(s) at risk, 0 slipping"
    assert f"{late.partner.name} (Alpha)" in sent.body
    digest = RiskDigest.objects.for_vendor(vendor).get()
    assert digest.at_risk_count == 1
    assert digest.recipients == sorted([owner.email, manager.email])


def test_no_digest_when_nobody_is_at_risk(vendor, manager):
    assert journey_risk_digest_task(vendor.pk, "2026-11-20") == {"sent": False}
    assert not RiskDigest.objects.for_vendor(vendor).exists()


def test_nudge_sends_the_templated_mail_on_commit_and_records_it(
    vendor, manager, django_capture_on_commit_callbacks
):
    partnership = PartnershipFactory(program=ProgramFactory(vendor=vendor, name="Alpha"))
    with django_capture_on_commit_callbacks(execute=True):
        nudge = partnership_nudge(
            vendor=vendor,
            partnership_id=partnership.public_id,
            reason="at_risk",
            actor=Actor.for_user(manager),
        )
    assert nudge.sent_by == manager
    [sent] = mail.outbox
    assert sent.to == [partnership.partner.email]
    assert sent.subject == "Your first step in Alpha"
    assert partnership.referral_code in sent.body
    assert Nudge.objects.for_vendor(vendor).count() == 1


def test_journey_evaluate_command_dry_run_and_vendor_filter(vendor, other_vendor):
    program = ProgramFactory(vendor=vendor)
    StageRuleFactory(program=program, criteria=[[{"metric": "approved", "value": 1}]])
    partnership = PartnershipFactory(program=program)
    out = io.StringIO()
    call_command("journey_evaluate", "--vendor", "acme", "--dry-run", stdout=out)
    assert "recruitment → activation" in out.getvalue()
    assert "would move 1 partnership(s)" in out.getvalue()
    partnership.refresh_from_db()
    assert partnership.stage == Stage.RECRUITMENT
    out = io.StringIO()
    call_command("journey_evaluate", stdout=out)
    assert "2 vendor(s): moved 1 partnership(s)" in out.getvalue()
    partnership.refresh_from_db()
    assert partnership.stage == Stage.ACTIVATION
    with pytest.raises(Exception, match="No vendor with slug"):
        call_command("journey_evaluate", "--vendor", "nope")


def test_beat_fans_out_one_evaluation_and_one_digest_per_vendor(vendor, other_vendor, settings):
    from journey.tasks import journey_evaluate_fanout_task, journey_risk_digest_fanout_task

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "journey.tasks.journey_evaluate_fanout_task" in scheduled
    assert "journey.tasks.journey_risk_digest_fanout_task" in scheduled
    assert journey_evaluate_fanout_task() == 2
    assert journey_risk_digest_fanout_task() == 2
