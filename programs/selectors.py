"""Reads about programs, personas and join sources."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db.models import Q, QuerySet
from django.http import Http404

from partnerhub.tenancy.models import Vendor
from programs.models import Certification, Course, JoinSource, PartnerPersona, PersonaRule, Program


def program_list(*, vendor: Vendor) -> QuerySet[Program]:
    return Program.objects.for_vendor(vendor).order_by("name")


def program_for_public_page(*, vendor_slug: str, program_slug: str) -> Program:
    """The program behind /p/<vendor>/<program>/. Unknown vendor, unknown program and a
    draft program all answer 404; an archived one is shown (as closed)."""
    # Public page: the vendor comes from the URL, not from a membership.
    program = (
        Program.objects.unscoped()
        .select_related("vendor")
        .filter(vendor__slug=vendor_slug, slug=program_slug)
        .exclude(status=Program.Status.DRAFT)
        .first()
    )
    if program is None:
        raise Http404("No such program")
    return program


def persona_list(*, vendor: Vendor, program: Program | None = None) -> QuerySet[PartnerPersona]:
    qs = PartnerPersona.objects.for_vendor(vendor).select_related("program")
    if program is not None:
        qs = qs.filter(Q(program=program) | Q(program__isnull=True))
    return qs.order_by("name")


def join_source_list(*, vendor: Vendor) -> QuerySet[JoinSource]:
    return JoinSource.objects.for_vendor(vendor).order_by("name")


def course_list(*, vendor: Vendor) -> QuerySet[Course]:
    return (
        Course.objects.for_vendor(vendor)
        .select_related("program", "persona")
        .order_by("position", "title", "id")
    )


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _condition_holds(cond: dict[str, Any], answers: dict[str, Any]) -> bool:
    op, expected = cond.get("op"), cond.get("value")
    actual = answers.get(cond.get("field", ""))
    if op in ("true", "false"):
        truthy = str(actual).strip().lower() in ("1", "true", "yes", "on")
        return truthy if op == "true" else not truthy
    if op in ("gt", "gte", "lt", "lte"):
        a, b = _as_number(actual), _as_number(expected)
        if a is None or b is None:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op == "contains":
        return str(expected).lower() in str(actual or "").lower()
    if op == "in":
        return isinstance(expected, list) and str(actual) in [str(e) for e in expected]
    same = str(actual).strip().lower() == str(expected).strip().lower()
    return same if op == "eq" else not same


def persona_suggest(
    *, vendor: Vendor, program: Program, answers: dict[str, Any]
) -> PartnerPersona | None:
    """The persona of the first active rule (by priority) whose conditions all hold."""
    rules = (
        PersonaRule.objects.for_vendor(vendor)
        .filter(is_active=True)
        .filter(Q(persona__program=program) | Q(persona__program__isnull=True))
        .select_related("persona")
        .order_by("priority", "id")
    )
    for rule in rules:
        if rule.conditions and all(_condition_holds(c, answers) for c in rule.conditions):
            return rule.persona
    return None


def join_source_resolve(
    *,
    vendor: Vendor,
    source_code: str = "",
    utm_source: str = "",
    referrer: str = "",
    referred_by_partner: bool = False,
) -> JoinSource | None:
    """The join source a landing link points at, most explicit signal first: a ``?source=``
    code, then a recruiting partner's code (the vendor's partner-referral source), then a
    join source matching ``utm_source``, then one matching the referrer's domain."""
    sources = list(JoinSource.objects.for_vendor(vendor).filter(is_active=True))
    code = source_code.strip().lower()
    if code:
        for source in sources:
            if source.code == code:
                return source
    if referred_by_partner:
        for source in sources:
            if source.kind == JoinSource.Kind.PARTNER_REFERRAL:
                return source
    if utm_source:
        for source in sources:
            if source.utm_source and source.utm_source.lower() == utm_source.strip().lower():
                return source
    host = (urlsplit(referrer).hostname or "").lower() if referrer else ""
    if host:
        for source in sources:
            domain = source.referrer_domain.lower().strip()
            if domain and (host == domain or host.endswith("." + domain)):
                return source
    return None


def onboarding_for(
    *, vendor: Vendor, program: Program, persona: PartnerPersona | None
) -> tuple[list[Course], list[Certification]]:
    """Published courses and certifications that apply to a partnership: vendor-wide ones,
    the program's, and its persona's."""
    applies = Q(program__isnull=True) | Q(program=program)
    applies &= Q(persona__isnull=True) | Q(persona=persona) if persona else Q(persona__isnull=True)
    courses = list(
        Course.objects.for_vendor(vendor)
        .filter(applies, is_published=True)
        .prefetch_related("lessons")
        .order_by("position", "id")
    )
    certifications = list(
        Certification.objects.for_vendor(vendor)
        .filter(applies, is_published=True)
        .order_by("title")
    )
    return courses, certifications
