"""Programs, partner personas (+ suggestion rules), join sources and onboarding content.

Per-partnership onboarding progress lives in ``partners.models`` next to ``Partnership``.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from partnerhub.tenancy.models import CURRENCY_VALIDATOR, TenantModel, vendor_public_id_constraint


class Program(TenantModel):
    """One partner program of a vendor, with its money and recruitment settings."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral"
        AFFILIATE = "affiliate", "Affiliate"
        RESELLER = "reseller", "Reseller"
        TECHNOLOGY = "technology", "Technology"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class AttributionModel(models.TextChoices):
        FIRST_CLICK = "first_click", "First click"
        LAST_CLICK = "last_click", "Last click"

    class PayoutSchedule(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        MANUAL = "manual", "Manual"

    class ApplicationMode(models.TextChoices):
        OPEN = "open", "Open (auto-approve)"
        APPROVAL = "approval", "Approval required"
        INVITE_ONLY = "invite_only", "Invite only"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, help_text="Public address: /p/<vendor>/<slug>/")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REFERRAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="USD", validators=[CURRENCY_VALIDATOR])
    attribution_window_days = models.PositiveIntegerField(default=90)
    attribution_model = models.CharField(
        max_length=16, choices=AttributionModel.choices, default=AttributionModel.LAST_CLICK
    )
    hold_period_days = models.PositiveIntegerField(default=30)
    payout_threshold_amount = models.PositiveBigIntegerField(
        default=0, help_text="Minor units of the program currency, e.g. 5000 = 50.00"
    )
    payout_schedule = models.CharField(
        max_length=16, choices=PayoutSchedule.choices, default=PayoutSchedule.MONTHLY
    )
    application_mode = models.CharField(
        max_length=16, choices=ApplicationMode.choices, default=ApplicationMode.APPROVAL
    )
    activation_target_days = models.PositiveIntegerField(default=60)
    terms = models.TextField(blank=True)
    # The public landing page /p/<vendor-slug>/<program-slug>/
    landing_headline = models.CharField(max_length=200, blank=True)
    landing_body = models.TextField(blank=True)
    # Extra questions of the application form, in order:
    # [{"name": "company_size", "label": "Company size", "type": "number"|"text"|"choice"|
    #   "boolean", "required": true, "choices": ["..."]}]
    application_fields = models.JSONField(default=list, blank=True)

    # What a manager sets (dashboard form and API input alike).
    EDITABLE_FIELDS = (
        "name",
        "slug",
        "kind",
        "status",
        "currency",
        "application_mode",
        "attribution_window_days",
        "attribution_model",
        "hold_period_days",
        "payout_threshold_amount",
        "payout_schedule",
        "activation_target_days",
        "terms",
        "landing_headline",
        "landing_body",
        "application_fields",
    )

    public_id_prefix = "prg"

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "slug"], name="programs_program_vendor_slug_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_applications(self) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.application_mode != self.ApplicationMode.INVITE_ONLY
        )


class PartnerPersona(TenantModel):
    """A research-based profile of a group of partners, for one program or (program empty)
    for the whole vendor."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="personas"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    wants = models.TextField(blank=True)
    needs = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    preferred_channels = models.JSONField(default=list, blank=True)  # ["webinars", "e-mail"]
    typical_partner_type = models.CharField(max_length=120, blank=True)  # "agency"
    onboarding_track = models.TextField(
        blank=True, help_text="The onboarding they need (courses marked for this persona)."
    )
    activation_target_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the program's activation target."
    )

    EDITABLE_FIELDS = (
        "name",
        "description",
        "wants",
        "needs",
        "goals",
        "pains",
        "preferred_channels",
        "typical_partner_type",
        "onboarding_track",
        "activation_target_days",
    )

    public_id_prefix = "per"

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "program"])]

    def __str__(self) -> str:
        return self.name


class PersonaRule(TenantModel):
    """Suggests ``persona`` for an application whose answers meet every condition.

    ``conditions`` is a list of ``{"field": "company_size", "op": "gt", "value": 50}``;
    ops: eq, ne, gt, gte, lt, lte, contains, in, true, false. Rules are tried by ascending
    ``priority``; the first match wins.
    """

    persona = models.ForeignKey(PartnerPersona, on_delete=models.CASCADE, related_name="rules")
    priority = models.PositiveIntegerField(default=100)
    conditions = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)

    public_id_prefix = "prl"

    class Meta(TenantModel.Meta):
        ordering = ["priority", "id"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "priority"])]

    def __str__(self) -> str:
        return f"rule {self.public_id} → {self.persona_id}"


class JoinSource(TenantModel):
    """The channel a partner applied through, with a tracking code usable in links."""

    class Kind(models.TextChoices):
        WEBSITE = "website", "Website"
        EMAIL = "email", "E-mail"
        PAID_ADS = "paid_ads", "Paid ads"
        INTERNAL_OUTREACH = "internal_outreach", "Internal outreach"
        PARTNER_REFERRAL = "partner_referral", "Partner referral"
        PARTNER_NETWORK = "partner_network", "Partner network / marketplace"
        OTHER = "other", "Other"

    OWNED_KINDS = (Kind.WEBSITE, Kind.EMAIL, Kind.PAID_ADS, Kind.INTERNAL_OUTREACH)

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.OTHER)
    code = models.SlugField(max_length=60, help_text="Used in links: ?source=<code>")
    # Optional automatic matching when a link carries no ?source= code.
    utm_source = models.CharField(max_length=120, blank=True)
    referrer_domain = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    public_id_prefix = "jsr"

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "code"], name="programs_joinsource_vendor_code_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def category(self) -> str:
        """owned / referral / network / other."""
        if self.kind in self.OWNED_KINDS:
            return "owned"
        if self.kind == self.Kind.PARTNER_REFERRAL:
            return "referral"
        if self.kind == self.Kind.PARTNER_NETWORK:
            return "network"
        return "other"


class Course(TenantModel):
    """An onboarding course: ordered lessons. Required for a program, a persona, or both
    empty for every partnership of the vendor."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="courses"
    )
    persona = models.ForeignKey(
        PartnerPersona, on_delete=models.CASCADE, null=True, blank=True, related_name="courses"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_required = models.BooleanField(default=True)
    is_published = models.BooleanField(default=True)

    public_id_prefix = "crs"

    class Meta(TenantModel.Meta):
        ordering = ["position", "id"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "program"])]

    def __str__(self) -> str:
        return self.title


class Lesson(TenantModel):
    """One step of a course: text, a link or a file."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        LINK = "link", "Link"
        FILE = "file", "File"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(blank=True)
    url = models.URLField(blank=True)
    file = models.FileField(upload_to="lessons/", blank=True)

    public_id_prefix = "lsn"

    class Meta(TenantModel.Meta):
        ordering = ["position", "id"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "course", "position"])]

    def __str__(self) -> str:
        return self.title


class Certification(TenantModel):
    """A quiz with a pass mark, required per program or per persona.

    ``questions``: ``[{"text": "...", "choices": ["a", "b", "c"], "answer": 1}]`` (the index
    of the right choice; never sent to the partner).
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="certifications"
    )
    persona = models.ForeignKey(
        PartnerPersona,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certifications",
    )
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="certifications"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    questions = models.JSONField(default=list)
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_required = models.BooleanField(default=True)
    is_published = models.BooleanField(default=True)

    public_id_prefix = "cer"

    class Meta(TenantModel.Meta):
        ordering = ["title"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "program"])]

    def __str__(self) -> str:
        return self.title
