"""Import partners into a program from a CSV file, with a per-row report.

Set-based: one query to find the partners and partnerships that already exist, one bulk
insert for new partner accounts and one for new partnerships, whatever the number of rows.
Re-running the same file creates nothing new: rows whose partner is already in the program
are reported as ``existing``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from partnerhub.audit.services import change_record
from partnerhub.core.actor import Actor
from partnerhub.tenancy.ids import new_public_id
from partnerhub.tenancy.models import Vendor
from partners.models import Partner, PartnerImport, Partnership
from partners.serializers import partnership_data
from partners.services.partners import referral_codes_new
from partners.stages import Stage
from programs.models import JoinSource, PartnerPersona, Program

IMPORT_MAX_BYTES = 2 * 1024 * 1024  # 2 MB: ~20,000 ordinary rows
IMPORT_MAX_ROWS = 10_000
EMAIL_MAX_LENGTH = Partner._meta.get_field("email").max_length or 254


def _read_rows(content: bytes) -> list[dict[str, str]]:
    if len(content) > IMPORT_MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB; split it."}
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {"file": "The file is not UTF-8 text; export it as CSV UTF-8."}
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header:
        raise ValidationError(
            {"file": "The first line must name the columns, with an email column."}
        )
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError({"file": f"At most {IMPORT_MAX_ROWS} rows per file."})
    if not rows:
        raise ValidationError({"file": "The file has no rows."})
    return rows


@transaction.atomic
def partners_import_csv(
    *,
    vendor: Vendor,
    program_id: str,
    content: bytes,
    file_name: str = "",
    actor: Actor,
) -> PartnerImport:
    """Create a partnership (approved, stage *interest*) for every valid row whose partner is
    not yet in the program; the import is audited once, each partnership announced. Returns
    the import with its per-row report; a refused file (too large, not CSV, no email
    column) raises ``ValidationError`` and writes nothing."""
    program = Program.objects.for_vendor(vendor).filter(public_id=program_id).first()
    if program is None:
        raise ValidationError({"program_id": "Choose a program."})
    rows = _read_rows(content)
    personas = {p.name.lower(): p for p in PartnerPersona.objects.for_vendor(vendor)}
    personas |= {p.public_id.lower(): p for p in personas.values()}
    sources = {s.code: s for s in JoinSource.objects.for_vendor(vendor)}

    report: list[dict[str, Any]] = []
    valid: dict[str, tuple[int, dict[str, str]]] = {}
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        email = row.get("email", "").lower()
        entry: dict[str, Any] = {"row": number, "email": email}
        reason = ""
        try:
            validate_email(email)
        except ValidationError:
            reason = "invalid e-mail address" if email else "e-mail address missing"
        if not reason and len(email) > EMAIL_MAX_LENGTH:
            reason = f"e-mail address longer than {EMAIL_MAX_LENGTH} characters"
        if not reason and email in valid:
            reason = f"same e-mail as row {valid[email][0]}"
        if not reason and row.get("persona") and row["persona"].lower() not in personas:
            reason = f"unknown persona {row['persona']!r}"
        if not reason and row.get("join_source") and row["join_source"].lower() not in sources:
            reason = f"unknown join source {row['join_source']!r}"
        if reason:
            report.append({**entry, "outcome": "refused", "reason": reason})
            continue
        valid[email] = (number, row)
        report.append({**entry, "outcome": "pending", "reason": ""})

    # Partner accounts are global: reuse existing ones, bulk-create the rest.
    known = {p.email: p for p in Partner.objects.filter(email__in=list(valid))}
    Partner.objects.bulk_create(
        [
            Partner(
                public_id=new_public_id(Partner.public_id_prefix),
                email=email,
                name=(row.get("name") or email)[:200],
                company_name=row.get("company_name", "")[:200],
                kind=Partner.Kind.COMPANY if row.get("company_name") else Partner.Kind.PERSON,
            )
            for email, (_, row) in valid.items()
            if email not in known
        ],
        ignore_conflicts=True,  # a concurrent sign-up may have created one meanwhile
    )
    partners = {p.email: p for p in Partner.objects.filter(email__in=list(valid))}
    already = set(
        Partnership.objects.for_vendor(vendor)
        .filter(program=program, partner__email__in=list(valid))
        .values_list("partner__email", flat=True)
    )
    now = timezone.now()
    to_create = [(email, row) for email, (_, row) in valid.items() if email not in already]
    codes = referral_codes_new(vendor=vendor, count=len(to_create))
    new_partnerships = [
        Partnership(
            vendor=vendor,
            public_id=Partnership.new_public_id(),
            program=program,
            partner=partners[email],
            persona=personas.get(row.get("persona", "").lower()),
            join_source=sources.get(row.get("join_source", "").lower()),
            referral_code=code,
            status=Partnership.Status.APPROVED,
            stage=Stage.INTEREST,
            approved_at=now,
            stage_entered_at=now,
        )
        for (email, row), code in zip(to_create, codes, strict=True)
    ]
    Partnership.objects.for_vendor(vendor).bulk_create(new_partnerships)
    for entry in report:
        if entry["outcome"] == "pending":
            existing = entry["email"] in already
            entry["outcome"] = "existing" if existing else "created"
            entry["reason"] = "already in the program" if existing else ""
    partner_import = PartnerImport.objects.for_vendor(vendor).create(
        vendor=vendor,
        program=program,
        file_name=file_name[:255],
        checksum=hashlib.sha256(content).hexdigest(),
        created_by=actor.user,
        rows_total=len(rows),
        created_count=sum(1 for e in report if e["outcome"] == "created"),
        existing_count=sum(1 for e in report if e["outcome"] == "existing"),
        refused_count=sum(1 for e in report if e["outcome"] == "refused"),
        report=report,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="partners.imported",
        target_type="partner_import",
        target_id=partner_import.public_id,
        after={
            "program": program.public_id,
            "created": partner_import.created_count,
            "existing": partner_import.existing_count,
            "refused": partner_import.refused_count,
        },
        events=[("partnership.created", partnership_data(p)) for p in new_partnerships],
    )
    return partner_import
