"""Partners (global accounts), partnerships (tenant data), applications, CSV imports and
per-partnership onboarding progress."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from partnerhub.tenancy.ids import new_public_id
from partnerhub.tenancy.models import TenantModel, vendor_public_id_constraint
from partners.stages import STAGE_ORDER, Stage


class Partner(models.Model):
    """A person or company with one account, which can join programs of many vendors.

    Not tenant data: a vendor only ever reaches a partner through its own partnerships.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        COMPANY = "company", "Company"

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True, help_text="Contact address (lower case).")
    company_name = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    public_id_prefix: ClassVar[str] = "par"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = new_public_id(self.public_id_prefix)
        super().save(*args, **kwargs)


class PartnerUser(models.Model):
    """Links a signed-in user to the partner account they act for (one partner per user)."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_links"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.OWNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="partners_partneruser_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} acts for partner {self.partner_id}"


class TrackingFields(models.Model):
    """How a partner arrived: UTM parameters and the HTTP referrer of the landing link."""

    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    referrer = models.CharField(max_length=500, blank=True)

    UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

    class Meta:
        abstract = True


class Partnership(FSMModelMixin, TrackingFields, TenantModel):
    """One partner in one program of one vendor."""

    # The partner-facing portal reads these rows with ``objects.for_partner(partner)``.
    PARTNER_FIELD = "partner"

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUSPENDED = "suspended", "Suspended"
        ENDED = "ended", "Ended"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="partnerships"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    persona = models.ForeignKey(
        "programs.PartnerPersona",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
    )
    join_source = models.ForeignKey(
        "programs.JoinSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
    )
    recruited_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="recruits"
    )
    referral_code = models.CharField(max_length=40)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    # Protected: only the journey's stage machine moves it (journey.services), never a save().
    stage = FSMField(max_length=16, choices=Stage.choices, default=Stage.INTEREST, protected=True)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "ptn"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "referral_code"], name="partners_partnership_vendor_code_uniq"
            ),
            models.UniqueConstraint(
                fields=["vendor", "program", "partner"],
                name="partners_partnership_vendor_program_partner_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "program", "status"]),
            models.Index(fields=["vendor", "stage"]),
            models.Index(fields=["vendor", "join_source"]),
            # The API list order (partnerhub/api/pagination.py): a page is an index range.
            models.Index(fields=["vendor", "created_at", "id"], name="partners_ptn_vendor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} in {self.program_id}"

    @transition(field=stage, source="*", target=RETURN_VALUE(*STAGE_ORDER))
    def journey_move(self, target: str) -> str:
        """The one FSM transition; which moves are allowed is decided in journey.machine and
        only journey.services calls this (under a row lock, with its StageTransition)."""
        return target


class Application(TrackingFields, TenantModel):
    """The submitted application form of a partnership, with how the partner came in."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="applications"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="applications")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="applications"
    )
    answers = models.JSONField(default=dict, blank=True)
    join_source = models.ForeignKey(
        "programs.JoinSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    suggested_persona = models.ForeignKey(
        "programs.PartnerPersona",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recruited_by = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_code = models.CharField(max_length=60, blank=True)  # ?source= as received
    referral_code_used = models.CharField(max_length=40, blank=True)  # ?ref= as received
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "apl"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "partnership"], name="partners_application_vendor_ptn_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "status", "created_at"]),
            models.Index(fields=["vendor", "join_source", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"application {self.public_id}"


class PartnerImport(TenantModel):
    """One CSV upload of partners into a program and its per-row report."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    checksum = models.CharField(max_length=64)  # sha256 of the file, for the record
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rows_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    # [{"row": 12, "email": "...", "outcome": "created"|"existing"|"refused", "reason": "..."}]
    report = models.JSONField(default=list)

    public_id_prefix = "imp"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]

    def __str__(self) -> str:
        return f"import {self.public_id}"


class CourseProgress(TenantModel):
    """A partnership's progress through one course."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="course_progress"
    )
    course = models.ForeignKey("programs.Course", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "cpg"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "partnership", "course"],
                name="partners_courseprogress_vendor_ptn_course_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} in course {self.course_id}"


class LessonCompletion(TenantModel):
    """A partnership completed one lesson."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey("programs.Lesson", on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    public_id_prefix = "lcp"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "partnership", "lesson"],
                name="partners_lessoncompletion_vendor_ptn_lesson_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} completed lesson {self.lesson_id}"


class CertificationAttempt(TenantModel):
    """One quiz attempt (append-only); the first passing attempt certifies the partnership."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="certification_attempts"
    )
    certification = models.ForeignKey(
        "programs.Certification", on_delete=models.CASCADE, related_name="attempts"
    )
    answers = models.JSONField(default=list)
    score_percent = models.PositiveSmallIntegerField()
    passed = models.BooleanField()

    public_id_prefix = "cat"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "partnership", "certification"])]

    def __str__(self) -> str:
        return f"attempt {self.public_id}"


class ReferralDestination(TenantModel):
    """Where ``/r/<code>`` sends a visitor of one program: the vendor's website and the
    landing paths a partner may choose with ``?to=``. Without one, links go to the public
    program page."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    website_url = models.URLField(help_text="The vendor's site, e.g. https://acme.example")
    # Path prefixes ``?to=`` may name ("/pricing", "/blog/"). Empty: any path.
    allowed_paths = models.JSONField(default=list, blank=True)
    # Other hosts of the vendor ``?to=`` may name as a full URL ("docs.acme.example"), besides
    # the website's own host. Exact host names; empty: only the website's host.
    allowed_hosts = models.JSONField(default=list, blank=True)

    public_id_prefix = "rds"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "program"], name="partners_referraldest_vendor_program_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.website_url


class ReferralClick(TenantModel):
    """One visit of a referral link. Written with a single INSERT per click; the IP address
    is only kept as a SHA-256 with a per-vendor salt."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    landing = models.CharField(max_length=500)
    referrer = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    public_id_prefix = "clk"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [
            models.Index(fields=["vendor", "created_at"], name="partners_click_vendor_time"),
            models.Index(
                fields=["vendor", "partnership", "created_at"], name="partners_click_vendor_ptn"
            ),
        ]

    def __str__(self) -> str:
        return f"click {self.public_id}"


class Lead(TenantModel):
    """A lead or deal a partner registered; a manager accepts or rejects it. An accepted deal
    that becomes a customer is attributed to the partnership (method ``deal``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="leads")
    company = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField()
    value_amount = models.BigIntegerField(default=0)  # minor units
    currency = models.CharField(max_length=3)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "lead"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            vendor_public_id_constraint(),
            models.CheckConstraint(
                condition=models.Q(value_amount__gte=0), name="partners_lead_value_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "status", "created_at"], name="partners_lead_status"),
            models.Index(fields=["vendor", "contact_email"], name="partners_lead_email"),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.public_id})"

    @property
    def contact_domain(self) -> str:
        return self.contact_email.rpartition("@")[2].lower()


class PartnershipNote(TenantModel):
    """A manager's note on a partnership (a call, an agreement, a concern). Shown with the
    stage moves in the partnership's timeline; append-only like the moves it sits between."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who wrote it, kept when the user is deleted (a person's e-mail or an API key's name).
    author_label = models.CharField(max_length=200)
    body = models.TextField()

    public_id_prefix = "note"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [vendor_public_id_constraint()]
        indexes = [
            models.Index(
                fields=["vendor", "partnership", "created_at"], name="partners_note_vendor_ptn"
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.public_id}"
