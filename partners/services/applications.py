"""Applications to a program: submitted by a partner (signed in, or confirmed by e-mail),
checked against the program's questions, approved or rejected by a manager (one by one or in
bulk), and an application's join source corrected."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_or_none
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import EventSpec, event_record_many
from partners.hooks import partnership_may_move
from partners.locks import application_lock
from partners.models import Application, Partnership
from partners.serializers import application_data, partnership_data
from partners.services.partners import (
    _send_on_commit,
    partner_for_user,
    partner_get_or_create,
    referral_code_new,
)
from partners.services.partnerships import partnership_update
from partners.stages import Stage
from programs.models import JoinSource, Program
from programs.selectors import join_source_resolve, persona_suggest
from programs.services import join_source_for_partner_referral


@dataclass(frozen=True)
class Tracking:
    """How a prospective partner reached the program page."""

    source_code: str = ""
    referral_code: str = ""  # a recruiting partnership's ?ref= code
    utm: dict[str, str] = field(default_factory=dict)
    referrer: str = ""

    @classmethod
    def from_params(cls, params: Any, *, referrer: str = "") -> Tracking:
        utm = {
            name: str(params.get(name, ""))[:200]
            for name in Partnership.UTM_FIELDS
            if params.get(name)
        }
        return cls(
            source_code=str(params.get("source", ""))[:60],
            referral_code=str(params.get("ref", ""))[:40],
            utm=utm,
            referrer=referrer[:500],
        )


def _validate_answers(program: Program, answers: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for question in program.application_fields or []:
        name, kind = question["name"], question.get("type", "text")
        value = answers.get(name)
        if value in (None, "") and kind != "boolean":
            if question.get("required"):
                raise ValidationError({name: "This question needs an answer."})
            continue
        if kind == "number":
            try:
                value = float(value) if "." in str(value) else int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                raise ValidationError({name: "Enter a number."}) from exc
        elif kind == "boolean":
            value = str(value).lower() in ("1", "true", "yes", "on")
        elif kind == "choice" and value not in question.get("choices", []):
            raise ValidationError({name: "Choose one of the offered answers."})
        else:
            value = str(value)[:2000]
        clean[name] = value
    return clean


def _decide(application: Application, *, status: str, actor: Actor, reason: str) -> dt.datetime:
    now = timezone.now()
    application.status = status
    application.decision_reason = reason
    application.decided_by = actor.user
    application.decided_at = now
    application.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    return now


def _decision_record(application: Application, *, actor: Actor, changed: list[str]) -> None:
    """The decision's audit row and its two events (the application's, the partnership's)."""
    partnership = application.partnership
    change_record(
        vendor=application.vendor,
        actor=actor,
        action=f"application.{application.status}",
        target_type="application",
        target_id=application.public_id,
        before={"status": Application.Status.PENDING},
        after={"status": application.status, "partnership": partnership.public_id},
        reason=application.decision_reason,
        events=[
            (f"application.{application.status}", application_data(application)),
            ("partnership.updated", {**partnership_data(partnership), "changed": changed}),
        ],
    )


def _approve(application: Application, *, actor: Actor, reason: str) -> None:
    now = _decide(application, status=Application.Status.APPROVED, actor=actor, reason=reason)
    partnership = application.partnership
    partnership.status = Partnership.Status.APPROVED
    partnership.approved_at = now
    partnership.save(update_fields=["status", "approved_at", "updated_at"])
    partnership_may_move(partnership=partnership)  # the journey may move it at once
    _decision_record(application, actor=actor, changed=["status", "approved_at"])
    _send_on_commit(
        to=partnership.partner.email,
        template="partners/email/approved.txt",
        context={"partnership": partnership, "reason": reason},
    )


@transaction.atomic
def application_submit(
    *,
    program: Program,
    email: str,
    name: str = "",
    company_name: str = "",
    answers: dict[str, Any] | None = None,
    tracking: Tracking | None = None,
    user: User | None = None,
) -> Application:
    """Apply to a program as a new or existing partner.

    Guarantees: the program is active and accepts applications; the answers meet the
    program's questions; a partner applies once per program; the join source, UTM, referrer
    and recruiting partnership are recorded from ``tracking``; the partnership starts in
    *recruitment*; open programs approve at once. All or nothing.
    """
    vendor = program.vendor
    tracking = tracking or Tracking()
    clean_answers = application_check(program=program, answers=answers or {})
    if user is not None:
        partner = partner_for_user(user=user, create=True)
        assert partner is not None
    else:
        partner, _ = partner_get_or_create(email=email, name=name, company_name=company_name)
    if Partnership.objects.for_vendor(vendor).filter(program=program, partner=partner).exists():
        raise ValidationError({"email": "You have already applied to this program."})

    recruiter = None
    if tracking.referral_code:
        recruiter = (
            Partnership.objects.for_vendor(vendor)
            .filter(referral_code=tracking.referral_code, status=Partnership.Status.APPROVED)
            .exclude(partner=partner)
            .first()
        )
    join_source = join_source_resolve(
        vendor=vendor,
        source_code=tracking.source_code,
        utm_source=tracking.utm.get("utm_source", ""),
        referrer=tracking.referrer,
        referred_by_partner=recruiter is not None,
    )
    if recruiter is not None and join_source is None:
        join_source = join_source_for_partner_referral(vendor=vendor)
    persona = persona_suggest(vendor=vendor, program=program, answers=clean_answers)
    track_fields = {**tracking.utm, "referrer": tracking.referrer}
    try:
        with transaction.atomic():
            partnership = Partnership.objects.for_vendor(vendor).create(
                vendor=vendor,
                program=program,
                partner=partner,
                persona=persona,
                join_source=join_source,
                recruited_by=recruiter,
                referral_code=referral_code_new(vendor=vendor),
                status=Partnership.Status.APPLIED,
                stage=Stage.RECRUITMENT,
                **track_fields,
            )
    except IntegrityError as exc:  # a concurrent duplicate application
        raise ValidationError({"email": "You have already applied to this program."}) from exc
    application = Application.objects.for_vendor(vendor).create(
        vendor=vendor,
        program=program,
        partner=partner,
        partnership=partnership,
        answers=clean_answers,
        join_source=join_source,
        suggested_persona=persona,
        recruited_by=recruiter,
        source_code=tracking.source_code,
        referral_code_used=tracking.referral_code,
        **track_fields,
    )
    applicant = Actor.for_user(user) if user is not None else Actor.system("applicant")
    event_record_many(
        vendor=vendor,
        events=[
            EventSpec(
                "partnership.created", partnership_data(partnership), **applicant.event_actor
            ),
            EventSpec(
                "application.submitted", application_data(application), **applicant.event_actor
            ),
        ],
    )
    _send_on_commit(
        to=partner.email,
        template="partners/email/submitted.txt",
        context={"partnership": partnership, "program": program},
    )
    if program.application_mode == Program.ApplicationMode.OPEN:
        _approve(
            application,
            actor=Actor.system("open program"),
            reason="Open program: approved automatically.",
        )
    return application


def application_check(*, program: Program, answers: dict[str, Any]) -> dict[str, Any]:
    """The program accepts applications and the answers meet its questions; returns the
    cleaned answers. Writes nothing (the public form checks before sending a confirmation)."""
    if not program.accepts_applications:
        raise ValidationError(
            {"program": "This program is not accepting applications."}
            if program.application_mode != Program.ApplicationMode.INVITE_ONLY
            else {"program": "This program is by invitation only."}
        )
    return _validate_answers(program, answers)


# --- public applications: confirmed by e-mail ----------------------------------------------
# Anyone can type any address into the public form, so an anonymous application is only
# made once the owner of the address follows the link we e-mailed to it. The link carries
# the whole application, signed (it cannot be altered) and valid for a few days; nothing is
# stored before that, so unconfirmed applications leave no rows behind.

APPLICATION_CONFIRM_SALT = "partners.application-confirm"
APPLICATION_CONFIRM_MAX_AGE = 3 * 24 * 3600


def application_confirmation_send(
    *,
    program: Program,
    email: str,
    name: str,
    company_name: str = "",
    answers: dict[str, Any] | None = None,
    tracking: Tracking | None = None,
    confirm_url: Callable[[str], str],
) -> None:
    """Check the application and e-mail its confirmation link to ``email``; ``confirm_url``
    turns the signed token into the absolute link. Writes nothing."""
    validate_email(email)
    clean_answers = application_check(program=program, answers=answers or {})
    token = application_confirmation_token(
        program=program, email=email, name=name, company_name=company_name,
        answers=clean_answers, tracking=tracking or Tracking(),
    )  # fmt: skip
    subject, _, body = (
        render_to_string(
            "partners/email/confirm_application.txt",
            {"program": program, "name": name, "link": confirm_url(token)},
        )
        .strip()
        .partition("\n")
    )
    send_mail(subject.strip(), body.strip(), settings.DEFAULT_FROM_EMAIL, [email])


def application_confirmation_token(
    *,
    program: Program,
    email: str,
    name: str,
    company_name: str,
    answers: dict[str, Any],
    tracking: Tracking,
) -> str:
    """The signed token of a confirmation link (the application it will make)."""
    return signing.dumps(
        {
            "program": program.pk,
            "email": email,
            "name": name,
            "company_name": company_name,
            "answers": answers,
            "tracking": dataclasses.asdict(tracking),
        },
        salt=APPLICATION_CONFIRM_SALT,
        compress=True,
    )


@dataclass(frozen=True)
class ApplicationConfirmation:
    program: Program
    email: str
    name: str
    company_name: str
    answers: dict[str, Any]
    tracking: Tracking


def application_confirmation_read(*, program: Program, token: str) -> ApplicationConfirmation:
    """The application a confirmation link carries, if the signature holds, it is not older
    than ``APPLICATION_CONFIRM_MAX_AGE`` and it was made for this program."""
    try:
        data = signing.loads(
            token,
            salt=APPLICATION_CONFIRM_SALT,
            max_age=APPLICATION_CONFIRM_MAX_AGE,
        )
    except signing.SignatureExpired as exc:
        raise ValidationError(
            {"token": "This confirmation link has expired. Please apply again."}
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError({"token": "This confirmation link is not valid."}) from exc
    if data.get("program") != program.pk:
        raise ValidationError({"token": "This confirmation link is not valid."})
    return ApplicationConfirmation(
        program=program,
        email=data["email"],
        name=data["name"],
        company_name=data["company_name"],
        answers=data["answers"],
        tracking=Tracking(**data["tracking"]),
    )


def application_confirm(*, program: Program, token: str) -> Application:
    """Make the application a confirmation link carries (see ``application_submit``); a
    second click answers "already applied"."""
    confirmed = application_confirmation_read(program=program, token=token)
    return application_submit(
        program=program,
        email=confirmed.email,
        name=confirmed.name,
        company_name=confirmed.company_name,
        answers=confirmed.answers,
        tracking=confirmed.tracking,
    )


def _pending_application(*, vendor: Vendor, application_id: str) -> Application:
    application = application_lock(vendor=vendor, application_id=application_id)
    if application.status != Application.Status.PENDING:
        raise ValidationError(
            {"status": f"This application was already {application.get_status_display().lower()}."}
        )
    return application


@transaction.atomic
def application_approve(
    *,
    vendor: Vendor,
    application_id: str,
    actor: Actor,
    reason: str = "",
) -> Application:
    """Approve a pending application: its partnership becomes approved (once; a decided
    application is refused). Raises ``Application.DoesNotExist`` for another vendor's id."""
    application = _pending_application(vendor=vendor, application_id=application_id)
    _approve(application, actor=actor, reason=reason.strip())
    return application


@transaction.atomic
def application_reject(
    *,
    vendor: Vendor,
    application_id: str,
    actor: Actor,
    reason: str,
) -> Application:
    """Reject a pending application with a reason the partner receives by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the partner a reason."})
    application = _pending_application(vendor=vendor, application_id=application_id)
    _decide(application, status=Application.Status.REJECTED, actor=actor, reason=reason)
    partnership = application.partnership
    partnership.status = Partnership.Status.REJECTED
    partnership.save(update_fields=["status", "updated_at"])
    _decision_record(application, actor=actor, changed=["status"])
    _send_on_commit(
        to=partnership.partner.email,
        template="partners/email/rejected.txt",
        context={"partnership": partnership, "reason": reason},
    )
    return application


def applications_decide_bulk(
    *, vendor: Vendor, application_ids: list[str], decision: str, actor: Actor, reason: str = ""
) -> tuple[int, list[str]]:
    """Approve or reject many applications, each in its own transaction. Returns how many
    were decided and a message per refused one (already decided, unknown)."""
    if decision == "reject" and not reason.strip():
        raise ValidationError({"reason": "Give the partners a reason."})
    done, refused = 0, []
    for application_id in application_ids:
        try:
            if decision == "approve":
                application_approve(
                    vendor=vendor, application_id=application_id, actor=actor, reason=reason
                )
            else:
                application_reject(
                    vendor=vendor, application_id=application_id, actor=actor, reason=reason
                )
        except Application.DoesNotExist:
            refused.append(f"{application_id}: unknown application.")
        except ValidationError as exc:
            refused.append(f"{application_id}: {' '.join(exc.messages)}")
        else:
            done += 1
    return done, refused


@transaction.atomic
def application_correct_join_source(
    *, vendor: Vendor, application_id: str, join_source_id: str | None, actor: Actor
) -> Application:
    """A manager corrects the recorded join source, on the application and its partnership."""
    application = Application.objects.for_vendor(vendor).get(public_id=application_id)
    source = vendor_object_or_none(
        JoinSource, vendor=vendor, public_id=join_source_id, field="join_source_id"
    )
    application.join_source = source
    application.save(update_fields=["join_source"])
    partnership_update(
        vendor=vendor,
        partnership_id=application.partnership.public_id,
        actor=actor,
        join_source_id=join_source_id,
    )
    return application
