"""Partnerships a manager makes or changes: invitations into a program and updates of
persona, join source and status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_or_none
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partnerhub.webhooks.services.outbox import event_record
from partners.locks import partnership_lock
from partners.models import Partnership
from partners.serializers import partnership_data
from partners.services.partners import (
    _send_on_commit,
    partner_get_or_create,
    referral_code_new,
)
from partners.stages import Stage
from programs.models import JoinSource, PartnerPersona, Program


@transaction.atomic
def partnership_invite(
    *,
    vendor: Vendor,
    program_id: str,
    email: str,
    name: str = "",
    persona_id: str | None = None,
    join_source_id: str | None = None,
    actor: Actor,
    portal_url: str = "",
    send_email: bool = True,
) -> Partnership:
    """Invite a partner by e-mail into a program: the partnership is approved at once (the
    vendor chose them) and starts in *recruitment*; audited. A partner already in the
    program is refused."""
    program = vendor_object_or_none(
        Program, vendor=vendor, public_id=program_id, field="program_id"
    )
    if program is None:
        raise ValidationError({"program_id": "Choose a program."})
    if program.status == Program.Status.ARCHIVED:
        raise ValidationError({"program_id": "This program is archived."})
    persona = vendor_object_or_none(
        PartnerPersona, vendor=vendor, public_id=persona_id, field="persona_id"
    )
    join_source = vendor_object_or_none(
        JoinSource, vendor=vendor, public_id=join_source_id, field="join_source_id"
    )
    partner, _ = partner_get_or_create(email=email, name=name)
    if Partnership.objects.for_vendor(vendor).filter(program=program, partner=partner).exists():
        raise ValidationError({"email": "This partner is already in the program."})
    now = timezone.now()
    partnership = Partnership.objects.for_vendor(vendor).create(
        vendor=vendor,
        program=program,
        partner=partner,
        persona=persona,
        join_source=join_source,
        referral_code=referral_code_new(vendor=vendor),
        status=Partnership.Status.APPROVED,
        stage=Stage.RECRUITMENT,
        approved_at=now,
        invited_at=now,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="partnership.invited",
        target_type="partnership",
        target_id=partnership.public_id,
        after={"program": program.public_id, "partner": partner.email, "status": "approved"},
        event=("partnership.created", partnership_data(partnership)),
    )
    if send_email:
        _send_on_commit(
            to=partner.email,
            template="partners/email/invited.txt",
            context={"partnership": partnership, "program": program, "portal_url": portal_url},
        )
    return partnership


@transaction.atomic
def partnership_update(
    *,
    vendor: Vendor,
    partnership_id: str,
    actor: Actor,
    **changes: Any,
) -> Partnership:
    """A manager's correction of persona, join source, recruiter or status, audited with
    what it changed. Ids are public ids of the same vendor (others are refused as unknown).
    Stage moves belong to the journey's stage machine and are not accepted here."""
    partnership = partnership_lock(vendor=vendor, partnership_id=partnership_id)
    changed = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    related: dict[str, tuple[str, Any]] = {
        "persona_id": ("persona", PartnerPersona),
        "join_source_id": ("join_source", JoinSource),
        "recruited_by_id": ("recruited_by", Partnership),
    }
    for key, (attr, model) in related.items():
        if key in changes:
            value = vendor_object_or_none(
                model, vendor=vendor, public_id=changes.pop(key), field=key
            )
            if value is not None and value.pk == partnership.pk:
                raise ValidationError({key: "A partnership cannot recruit itself."})
            if getattr(partnership, f"{attr}_id") != (value.pk if value is not None else None):
                old = getattr(partnership, attr)
                before[attr] = old.public_id if old is not None else None
                after[attr] = value.public_id if value is not None else None
            setattr(partnership, attr, value)
            changed.append(attr)
    if "status" in changes:
        status = changes.pop("status")
        if status not in Partnership.Status.values:
            raise ValidationError({"status": "Unknown status."})
        if status != partnership.status:
            before["status"], after["status"] = partnership.status, status
        if status == Partnership.Status.APPROVED and partnership.approved_at is None:
            partnership.approved_at = timezone.now()
        if status == Partnership.Status.ENDED:
            partnership.ended_at = timezone.now()
        partnership.status = status
        changed.append("status")
    if changes:
        raise ValidationError({next(iter(changes)): "This field cannot be changed here."})
    if changed:
        partnership.save()
        event = ("partnership.updated", {**partnership_data(partnership), "changed": changed})
        if before:
            change_record(
                vendor=vendor,
                actor=actor,
                action=f"partnership.{'status_changed' if 'status' in before else 'updated'}",
                target_type="partnership",
                target_id=partnership.public_id,
                before=before,
                after=after,
                event=event,
            )
        else:  # the same values again: announced as before, nothing to audit
            event_record(vendor=vendor, type=event[0], data=event[1], **actor.event_actor)
    return partnership
