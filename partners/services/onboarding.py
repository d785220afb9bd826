"""Writes about a partnership's onboarding: lessons completed, courses completed, quiz
attempts. Called from the portal with a partnership already resolved through the partner's
own account."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.hooks import partnership_may_move
from partners.models import CertificationAttempt, CourseProgress, LessonCompletion, Partnership
from programs.models import Certification, Course, Lesson
from programs.selectors import onboarding_for


def _applicable(partnership: Partnership) -> tuple[list[Course], list[Certification]]:
    return onboarding_for(
        vendor=partnership.vendor, program=partnership.program, persona=partnership.persona
    )


def _require_approved(partnership: Partnership) -> None:
    if partnership.status != Partnership.Status.APPROVED:
        raise ValidationError("Onboarding opens once your partnership is approved.")


@transaction.atomic
def lesson_complete(*, partnership: Partnership, lesson_id: str) -> LessonCompletion:
    """Record that the partnership completed a lesson (idempotent); when every lesson of the
    course is done the course's completion date is recorded too."""
    _require_approved(partnership)
    vendor = partnership.vendor
    courses, _ = _applicable(partnership)
    lesson = (
        Lesson.objects.for_vendor(vendor)
        .filter(public_id=lesson_id, course__in=[c.pk for c in courses])
        .select_related("course")
        .first()
    )
    if lesson is None:
        raise Lesson.DoesNotExist
    completion, _ = LessonCompletion.objects.for_vendor(vendor).get_or_create(
        vendor=vendor, partnership=partnership, lesson=lesson
    )
    progress, _ = CourseProgress.objects.for_vendor(vendor).get_or_create(
        vendor=vendor, partnership=partnership, course=lesson.course
    )
    lesson_ids = set(
        Lesson.objects.for_vendor(vendor).filter(course=lesson.course).values_list("pk", flat=True)
    )
    done = set(
        LessonCompletion.objects.for_vendor(vendor)
        .filter(partnership=partnership, lesson__in=lesson_ids)
        .values_list("lesson_id", flat=True)
    )
    if progress.completed_at is None and lesson_ids <= done:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at", "updated_at"])
    return completion


def certification_for(*, partnership: Partnership, certification_id: str) -> Certification:
    _, certifications = _applicable(partnership)
    for certification in certifications:
        if certification.public_id == certification_id:
            return certification
    raise Certification.DoesNotExist


@transaction.atomic
def certification_attempt_submit(
    *, partnership: Partnership, certification_id: str, answers: list[Any]
) -> CertificationAttempt:
    """Score a quiz attempt against the pass mark and record it (attempts are append-only).
    Every question needs an answer; a missing one is refused and nothing is recorded."""
    _require_approved(partnership)
    certification = certification_for(partnership=partnership, certification_id=certification_id)
    questions = certification.questions
    if len(answers) != len(questions):
        raise ValidationError("Answer every question.")
    chosen: list[int] = []
    for index, answer in enumerate(answers, start=1):
        try:
            chosen.append(int(answer))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Answer question {index}.") from exc
    right = sum(1 for q, a in zip(questions, chosen, strict=True) if q["answer"] == a)
    score = (right * 100) // len(questions)
    attempt = CertificationAttempt.objects.for_vendor(partnership.vendor).create(
        vendor=partnership.vendor,
        partnership=partnership,
        certification=certification,
        answers=chosen,
        score_percent=score,
        passed=score >= certification.pass_mark_percent,
    )
    if attempt.passed:
        partnership_may_move(partnership=partnership)  # the journey may move it at once
    return attempt
