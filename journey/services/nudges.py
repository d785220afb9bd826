"""Nudges to partners at risk (preview, send, audited) and the managers' weekday digest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from journey.models import Nudge, RiskDigest
from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor
from partners.models import Partnership

# --- nudges and digest ---------------------------------------------------------------------


def _render_mail(template: str, context: dict[str, Any]) -> tuple[str, str]:
    subject, _, body = render_to_string(template, context).strip().partition("\n")
    return subject.strip(), body.strip()


def nudge_preview(*, partnership: Partnership, reason: str) -> tuple[str, str]:
    return _render_mail("journey/email/nudge.txt", {"partnership": partnership, "reason": reason})


@transaction.atomic
def partnership_nudge(*, vendor: Vendor, partnership_id: str, reason: str, actor: Actor) -> Nudge:
    """Send the templated nudge e-mail to the partner (on commit) and record it; audited."""
    if reason not in Nudge.Reason.values:
        raise ValidationError({"reason": "Nudge an at-risk or a slipping partnership."})
    partnership = (
        Partnership.objects.for_vendor(vendor)
        .select_related("partner", "program")
        .get(public_id=partnership_id)
    )
    subject, body = nudge_preview(partnership=partnership, reason=reason)
    nudge = Nudge.objects.for_vendor(vendor).create(
        vendor=vendor,
        partnership=partnership,
        reason=reason,
        sent_by=actor.user,
        subject=subject,
        body=body,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="partnership.nudged",
        target_type="partnership",
        target_id=partnership.public_id,
        after={"nudge": nudge.public_id, "reason": reason},
    )
    to = partnership.partner.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    )
    return nudge


@transaction.atomic
def risk_digest_send(
    *,
    vendor: Vendor,
    day: dt.date,
    at_risk: list[Partnership],
    slipping: list[Partnership],
    at_risk_count: int,
    slipping_count: int,
    dashboard_url: str = "",
) -> RiskDigest | None:
    """E-mail the managers (manager role and above) the day's at-risk and slipping lists.
    Once per vendor and day (a re-run sends nothing); nothing is sent when both are empty."""
    if not at_risk_count and not slipping_count:
        return None
    digest, created = RiskDigest.objects.for_vendor(vendor).get_or_create(vendor=vendor, day=day)
    if not created:
        return None
    recipients = sorted(
        m.user.email
        for m in Membership.objects.for_vendor(vendor).select_related("user")
        if m.role in (Role.OWNER, Role.ADMIN, Role.MANAGER)
    )
    digest.at_risk_count, digest.slipping_count = at_risk_count, slipping_count
    digest.recipients = recipients
    digest.save(update_fields=["at_risk_count", "slipping_count", "recipients", "updated_at"])
    subject, body = _render_mail(
        "journey/email/digest.txt",
        {
            "vendor": vendor,
            "at_risk": at_risk,
            "slipping": slipping,
            "at_risk_count": at_risk_count,
            "slipping_count": slipping_count,
            "dashboard_url": dashboard_url,
        },
    )
    if recipients:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        )
    return digest
