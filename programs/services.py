"""Writes about programs, personas (and their suggestion rules), join sources and onboarding
content. Every function validates the whole object before writing, so a refused input
leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get, vendor_object_or_none
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from programs.hooks import program_currency_held
from programs.locks import program_lock
from programs.models import (
    Certification,
    Course,
    JoinSource,
    Lesson,
    PartnerPersona,
    PersonaRule,
    Program,
)

_M = TypeVar("_M", bound=Model)

RULE_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "true", "false"}
FIELD_TYPES = {"text", "number", "choice", "boolean"}


def _save(obj: _M, *, unique_field: str = "", unique_message: str = "") -> _M:
    """``full_clean`` then save; a unique violation becomes a ValidationError on the field."""
    obj.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if unique_field:
            raise ValidationError({unique_field: unique_message}) from exc
        raise
    return obj


def _assign(obj: Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


_JSON = (str, int, float, list, dict, type(None))


def _values(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as the audit log keeps them: JSON values as they are,
    related objects by public id, anything else (money rates, dates, files) as text."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, Model):
            value = getattr(value, "public_id", value.pk)
        elif not isinstance(value, _JSON):
            value = str(value)
        values[name] = value
    return values


def _created(
    *, vendor: Vendor, actor: Actor, obj: _M, target_type: str, names: Iterable[str]
) -> _M:
    change_record(
        vendor=vendor,
        actor=actor,
        action=f"{target_type}.created",
        target_type=target_type,
        target_id=obj.public_id,  # type: ignore[attr-defined]
        after=_values(obj, names),
    )
    return obj


def _updated(
    *, vendor: Vendor, actor: Actor, obj: _M, target_type: str, before: dict[str, Any]
) -> _M:
    """Audit what an update changed (nothing when it changed nothing)."""
    after = _values(obj, before)
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        change_record(
            vendor=vendor,
            actor=actor,
            action=f"{target_type}.updated",
            target_type=target_type,
            target_id=obj.public_id,  # type: ignore[attr-defined]
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return obj


def validate_application_fields(fields: Any) -> None:
    if not isinstance(fields, list):
        raise ValidationError({"application_fields": "Give a list of questions."})
    names = set()
    for index, item in enumerate(fields, start=1):
        if not isinstance(item, dict) or not item.get("name") or not item.get("label"):
            raise ValidationError(
                {"application_fields": f"Question {index} needs a name and a label."}
            )
        if item.get("type", "text") not in FIELD_TYPES:
            raise ValidationError(
                {
                    "application_fields": f"Question {index}: type must be one of "
                    f"{sorted(FIELD_TYPES)}."
                }
            )
        if item.get("type") == "choice" and not item.get("choices"):
            raise ValidationError({"application_fields": f"Question {index} needs choices."})
        if item["name"] in names:
            raise ValidationError({"application_fields": f"Question name {item['name']} repeats."})
        names.add(item["name"])


@transaction.atomic
def program_create(*, vendor: Vendor, actor: Actor, **fields: Any) -> Program:
    """Create a program (audited); the slug is unique per vendor (a clash is a field error)."""
    validate_application_fields(fields.get("application_fields", []))
    program = Program(vendor=vendor, **fields)
    program.slug = program.slug.strip().lower()
    _save(program, unique_field="slug", unique_message="Another program uses this address.")
    return _created(vendor=vendor, actor=actor, obj=program, target_type="program", names=fields)


@transaction.atomic
def program_update(*, vendor: Vendor, program_id: str, actor: Actor, **fields: Any) -> Program:
    """Change a program; what changed is audited. Its currency is fixed once money is held."""
    program = program_lock(vendor=vendor, program_id=program_id)
    if "application_fields" in fields:
        validate_application_fields(fields["application_fields"])
    new_currency = fields.get("currency")
    if new_currency and new_currency != program.currency:
        # Revenue, commissions, bounties, caps and the payout threshold are minor units of
        # the program's currency: once money is recorded, a switch would reprice it all.
        held = program_currency_held(vendor=vendor, program=program)
        if held is not None:
            raise ValidationError(
                {
                    "currency": f"The program already has revenue or commissions in {held}; "
                    "its currency cannot change. Create a new program for another currency."
                }
            )
    before = _values(program, fields)
    _assign(program, fields)
    _save(program, unique_field="slug", unique_message="Another program uses this address.")
    return _updated(vendor=vendor, actor=actor, obj=program, target_type="program", before=before)


@transaction.atomic
def persona_create(
    *, vendor: Vendor, actor: Actor, program_id: str | None = None, **fields: Any
) -> PartnerPersona:
    """Create a persona for one program (``program_id``) or for the whole vendor; audited."""
    program = vendor_object_or_none(
        Program, vendor=vendor, public_id=program_id, field="program_id"
    )
    persona = _save(PartnerPersona(vendor=vendor, program=program, **fields))
    names = ["program", *fields]
    return _created(vendor=vendor, actor=actor, obj=persona, target_type="persona", names=names)


@transaction.atomic
def persona_update(
    *,
    vendor: Vendor,
    persona_id: str,
    actor: Actor,
    program_id: str | None = None,
    **fields: Any,
) -> PartnerPersona:
    """Change a persona (its program too: none is every program); what changed is audited."""
    persona = PartnerPersona.objects.for_vendor(vendor).get(public_id=persona_id)
    before = _values(persona, ["program", *fields])
    persona.program = vendor_object_or_none(
        Program, vendor=vendor, public_id=program_id, field="program_id"
    )
    _assign(persona, fields)
    _save(persona)
    return _updated(vendor=vendor, actor=actor, obj=persona, target_type="persona", before=before)


def validate_rule_conditions(conditions: Any) -> None:
    if not isinstance(conditions, list) or not conditions:
        raise ValidationError({"conditions": "Give at least one condition."})
    for index, cond in enumerate(conditions, start=1):
        if not isinstance(cond, dict) or not cond.get("field"):
            raise ValidationError({"conditions": f"Condition {index} needs a field."})
        if cond.get("op") not in RULE_OPS:
            raise ValidationError(
                {"conditions": f"Condition {index}: op must be one of {sorted(RULE_OPS)}."}
            )


@transaction.atomic
def persona_rule_create(
    *,
    vendor: Vendor,
    persona_id: str,
    conditions: list[dict[str, Any]],
    actor: Actor,
    priority: int = 100,
) -> PersonaRule:
    """Add a rule that suggests the persona when all ``conditions`` hold; audited."""
    persona = vendor_object_get(
        PartnerPersona, vendor=vendor, public_id=persona_id, field="persona_id"
    )
    validate_rule_conditions(conditions)
    rule = _save(
        PersonaRule(vendor=vendor, persona=persona, conditions=conditions, priority=priority)
    )
    names = ["persona", "conditions", "priority"]
    return _created(vendor=vendor, actor=actor, obj=rule, target_type="persona_rule", names=names)


_CODE_TAKEN = "Another join source uses this tracking code."


@transaction.atomic
def join_source_create(*, vendor: Vendor, actor: Actor, **fields: Any) -> JoinSource:
    """Create a join source (audited); its tracking code is unique per vendor."""
    source = JoinSource(vendor=vendor, **fields)
    source.code = source.code.strip().lower()
    _save(source, unique_field="code", unique_message=_CODE_TAKEN)
    return _created(vendor=vendor, actor=actor, obj=source, target_type="join_source", names=fields)


@transaction.atomic
def join_source_update(
    *, vendor: Vendor, join_source_id: str, actor: Actor, **fields: Any
) -> JoinSource:
    """Change a join source; what changed is audited."""
    source = JoinSource.objects.for_vendor(vendor).get(public_id=join_source_id)
    before = _values(source, fields)
    _assign(source, fields)
    _save(source, unique_field="code", unique_message=_CODE_TAKEN)
    return _updated(
        vendor=vendor, actor=actor, obj=source, target_type="join_source", before=before
    )


def _targets(*, vendor: Vendor, program_id: str | None, persona_id: str | None) -> dict[str, Any]:
    """The program and persona an onboarding item is required for (both empty: every
    partnership of the vendor)."""
    return {
        "program": vendor_object_or_none(
            Program, vendor=vendor, public_id=program_id, field="program_id"
        ),
        "persona": vendor_object_or_none(
            PartnerPersona, vendor=vendor, public_id=persona_id, field="persona_id"
        ),
    }


@transaction.atomic
def course_create(
    *,
    vendor: Vendor,
    title: str,
    program_id: str | None = None,
    persona_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Course:
    """Create a course required for a program, a persona, or every partnership; audited."""
    targets = _targets(vendor=vendor, program_id=program_id, persona_id=persona_id)
    course = _save(Course(vendor=vendor, title=title, **targets, **fields))
    names = ["title", "program", "persona", *fields]
    return _created(vendor=vendor, actor=actor, obj=course, target_type="course", names=names)


@transaction.atomic
def course_update(
    *,
    vendor: Vendor,
    course_id: str,
    program_id: str | None = None,
    persona_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Course:
    """Change a course; what changed is audited."""
    course = Course.objects.for_vendor(vendor).get(public_id=course_id)
    before = _values(course, ["program", "persona", *fields])
    _assign(course, _targets(vendor=vendor, program_id=program_id, persona_id=persona_id))
    _assign(course, fields)
    _save(course)
    return _updated(vendor=vendor, actor=actor, obj=course, target_type="course", before=before)


@transaction.atomic
def lesson_create(
    *, vendor: Vendor, course_id: str, title: str, actor: Actor, **fields: Any
) -> Lesson:
    """Add a lesson to a course (audited); a link lesson needs a URL and a file lesson a
    file."""
    course = vendor_object_get(Course, vendor=vendor, public_id=course_id, field="course_id")
    lesson = Lesson(vendor=vendor, course=course, title=title, **fields)
    if lesson.kind == Lesson.Kind.LINK and not lesson.url:
        raise ValidationError({"url": "A link lesson needs a URL."})
    if lesson.kind == Lesson.Kind.FILE and not lesson.file:
        raise ValidationError({"file": "A file lesson needs a file."})
    _save(lesson)
    names = ["course", "title", *fields]
    return _created(vendor=vendor, actor=actor, obj=lesson, target_type="lesson", names=names)


def validate_questions(questions: Any) -> None:
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": "A quiz needs at least one question."})
    for index, q in enumerate(questions, start=1):
        choices = q.get("choices") if isinstance(q, dict) else None
        if not isinstance(choices, list) or len(choices) < 2 or not q.get("text"):
            raise ValidationError(
                {"questions": f"Question {index} needs a text and two or more choices."}
            )
        answer = q.get("answer")
        if not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise ValidationError({"questions": f"Question {index}: answer must index a choice."})


@transaction.atomic
def certification_create(
    *,
    vendor: Vendor,
    title: str,
    questions: list[dict[str, Any]],
    program_id: str | None = None,
    persona_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Certification:
    """Create a quiz certification (audited); every question must have a valid right answer."""
    validate_questions(questions)
    targets = _targets(vendor=vendor, program_id=program_id, persona_id=persona_id)
    certification = _save(
        Certification(vendor=vendor, title=title, questions=questions, **targets, **fields)
    )
    names = ["title", "program", "persona", *fields]
    return _created(
        vendor=vendor, actor=actor, obj=certification, target_type="certification", names=names
    )


@transaction.atomic
def certification_update(
    *,
    vendor: Vendor,
    certification_id: str,
    program_id: str | None = None,
    persona_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Certification:
    """Change a certification; what changed is audited."""
    certification = Certification.objects.for_vendor(vendor).get(public_id=certification_id)
    if "questions" in fields:
        validate_questions(fields["questions"])
    before = _values(certification, ["program", "persona", *fields])
    _assign(certification, _targets(vendor=vendor, program_id=program_id, persona_id=persona_id))
    _assign(certification, fields)
    _save(certification)
    return _updated(
        vendor=vendor, actor=actor, obj=certification, target_type="certification", before=before
    )


@transaction.atomic
def join_source_for_partner_referral(*, vendor: Vendor) -> JoinSource:
    """The vendor's partner-referral join source, created on first use so that a partner
    referred by another partner is always recorded as such."""
    source = (
        JoinSource.objects.for_vendor(vendor)
        .filter(kind=JoinSource.Kind.PARTNER_REFERRAL, is_active=True)
        .order_by("id")
        .first()
    )
    if source is not None:
        return source
    source, _ = JoinSource.objects.for_vendor(vendor).get_or_create(
        vendor=vendor,
        code="partner-referral",
        defaults={"name": "Partner referral", "kind": JoinSource.Kind.PARTNER_REFERRAL},
    )
    return source
