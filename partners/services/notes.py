"""Notes managers keep on a partnership (issue #7): who wrote what, when. Shown with the stage
moves in the partnership's timeline, readable by every member, written by managers (dashboard)
or manager API keys."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Vendor
from partners.models import Partnership, PartnershipNote
from partners.serializers import note_data

NOTE_MAX_CHARS = 5000


def partnership_notes(*, vendor: Vendor, partnership: Partnership) -> QuerySet[PartnershipNote]:
    """A partnership's notes, newest first (the vendor's rows only)."""
    return (
        PartnershipNote.objects.for_vendor(vendor)
        .filter(partnership=partnership)
        .select_related("partnership")
        .order_by("-created_at", "-id")
    )


@transaction.atomic
def partnership_note_add(
    *,
    vendor: Vendor,
    partnership_id: str,
    body: str,
    actor: Actor,
) -> PartnershipNote:
    """Add a note to one of the vendor's partnerships (another vendor's id: DoesNotExist, so
    callers answer 404). The text is stripped, required and at most 5,000 characters; the
    author is the user or the API key. Audited, and announced as ``partnership.note_added``."""
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": "Write the note first."})
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"body": f"At most {NOTE_MAX_CHARS:,} characters (this note has {len(text):,})."}
        )
    partnership = Partnership.objects.for_vendor(vendor).get(public_id=partnership_id)
    if actor.user is not None:
        label = actor.user.full_name or actor.user.email
    elif actor.api_key is not None:
        label = f"API key {actor.api_key.name}"
    else:
        label = actor.label
    note = PartnershipNote.objects.for_vendor(vendor).create(
        vendor=vendor,
        partnership=partnership,
        author=actor.user,
        author_label=label[:200],
        body=text,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="partnership.note_added",
        target_type="partnership",
        target_id=partnership.public_id,
        after={"note": note.public_id},
        event=("partnership.note_added", note_data(note)),
    )
    return note
