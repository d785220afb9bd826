"""Reads about partnerships, applications, onboarding progress and the join-source report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404

from partnerhub.tenancy.models import Vendor
from partners.models import (
    Application,
    CertificationAttempt,
    CourseProgress,
    LessonCompletion,
    Partner,
    Partnership,
)
from partners.stages import STAGE_ORDER, Stage
from programs.models import Certification, Course
from programs.selectors import onboarding_for

ACTIVATED_STAGES = STAGE_ORDER[STAGE_ORDER.index(Stage.ACTIVATION) :]


def partnership_list(
    *, vendor: Vendor, filters: dict[str, Any] | None = None
) -> QuerySet[Partnership]:
    """The vendor's partnerships; ``filters`` by public ids of program, persona, join
    source, and by stage and status."""
    qs = Partnership.objects.for_vendor(vendor).select_related(
        "program", "partner", "persona", "join_source", "recruited_by"
    )
    filters = filters or {}
    for key, lookup in (
        ("program", "program__public_id"),
        ("persona", "persona__public_id"),
        ("join_source", "join_source__public_id"),
        ("stage", "stage"),
        ("status", "status"),
    ):
        if filters.get(key):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("q"):
        qs = qs.filter(
            Q(partner__email__icontains=filters["q"]) | Q(partner__name__icontains=filters["q"])
        )
    return qs.order_by("-created_at", "-id")


def application_list(
    *, vendor: Vendor, filters: dict[str, Any] | None = None
) -> QuerySet[Application]:
    qs = Application.objects.for_vendor(vendor).select_related(
        "program",
        "partner",
        "partnership",
        "join_source",
        "suggested_persona",
        "decided_by",
        "recruited_by",
    )
    filters = filters or {}
    for key, lookup in (
        ("program", "program__public_id"),
        ("join_source", "join_source__public_id"),
        ("status", "status"),
    ):
        if filters.get(key):
            qs = qs.filter(**{lookup: filters[key]})
    return qs.order_by("-created_at", "-id")


def partnerships_for_partner(*, partner: Partner) -> QuerySet[Partnership]:
    """Every partnership of a partner, across vendors: the portal's home. Cross-tenant on
    purpose (the partner is the one party entitled to see all of them), narrowed to the
    partner's own rows."""
    return (
        Partnership.objects.for_partner(partner)
        .select_related("vendor", "program", "persona")
        .order_by("vendor__name", "program__name")
    )


def partnership_for_partner(*, partner: Partner, partnership_id: str) -> Partnership:
    """One of the partner's partnerships; another partner's (or an unknown) id is 404."""
    partnership = partnerships_for_partner(partner=partner).filter(public_id=partnership_id).first()
    if partnership is None:
        raise Http404("No such partnership")
    return partnership


@dataclass
class CourseState:
    course: Course
    lessons_total: int
    lessons_done: set[int]
    completed_at: dt.datetime | None


@dataclass
class CertificationState:
    certification: Certification
    best_score: int | None
    passed_at: dt.datetime | None


@dataclass
class Onboarding:
    courses: list[CourseState]
    certifications: list[CertificationState]

    @property
    def required_done(self) -> bool:
        return all(c.completed_at for c in self.courses if c.course.is_required) and all(
            c.passed_at for c in self.certifications if c.certification.is_required
        )


def onboarding_progress(*, partnership: Partnership) -> Onboarding:
    """What a partnership has to take and how far it got (a fixed number of queries)."""
    vendor = partnership.vendor
    courses, certifications = onboarding_for(
        vendor=vendor, program=partnership.program, persona=partnership.persona
    )
    done = set(
        LessonCompletion.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .values_list("lesson_id", flat=True)
    )
    completed = dict(
        CourseProgress.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .values_list("course_id", "completed_at")
    )
    attempts = {
        row["certification_id"]: row
        for row in CertificationAttempt.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .values("certification_id")
        .annotate(best=Max("score_percent"), passed_at=Min("created_at", filter=Q(passed=True)))
    }
    return Onboarding(
        courses=[
            CourseState(
                course=c,
                lessons_total=len(c.lessons.all()),
                lessons_done={lesson.pk for lesson in c.lessons.all() if lesson.pk in done},
                completed_at=completed.get(c.pk),
            )
            for c in courses
        ],
        certifications=[
            CertificationState(
                certification=c,
                best_score=attempts.get(c.pk, {}).get("best"),
                passed_at=attempts.get(c.pk, {}).get("passed_at"),
            )
            for c in certifications
        ],
    )


@dataclass
class SourceRow:
    key: str | None
    label: str
    applications: int
    approvals: int
    activations: int


def join_source_report(
    *, vendor: Vendor, start: dt.date, end: dt.date, program_public_id: str = ""
) -> dict[str, list[SourceRow]]:
    """Applications submitted in [start, end], and how many of them were approved and have
    since reached activation (or later), grouped by join source and by persona. One
    aggregate query per grouping."""
    qs = Application.objects.for_vendor(vendor).filter(
        created_at__date__gte=start, created_at__date__lte=end
    )
    if program_public_id:
        qs = qs.filter(program__public_id=program_public_id)
    measures = {
        "applications": Count("id"),
        "approvals": Count("id", filter=Q(status=Application.Status.APPROVED)),
        "activations": Count("id", filter=Q(partnership__stage__in=ACTIVATED_STAGES)),
    }
    result: dict[str, list[SourceRow]] = {}
    for name, key, label in (
        ("join_source", "join_source__public_id", "join_source__name"),
        ("persona", "partnership__persona__public_id", "partnership__persona__name"),
    ):
        rows = qs.values(key, label).annotate(**measures).order_by("-applications", label)
        result[name] = [
            SourceRow(
                key=row[key],
                label=row[label] or "(none)",
                applications=row["applications"],
                approvals=row["approvals"],
                activations=row["activations"],
            )
            for row in rows
        ]
    return result
