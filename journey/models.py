"""The partner journey's history and configuration: stage transitions (append-only), stage
rules per program, nudges and digests sent to managers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from partnerhub.tenancy.models import TenantModel, vendor_public_id_constraint
from partners.stages import Stage


class StageTransition(TenantModel):
    """One move of one partnership from a stage to another. Append-only: rows are only ever
    inserted (by ``journey.services``), never updated or deleted by application code.

    ``metrics`` is the snapshot of the partnership's metrics that justified the move.
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        API_KEY = "api_key", "API key"
        RULE = "rule", "Rule"

    partnership = models.ForeignKey(
        "partners.Partnership", on_delete=models.CASCADE, related_name="stage_transitions"
    )
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        "api.APIKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(max_length=120, blank=True)  # e.g. "activation entry (default)"
    reason = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    public_id_prefix = "stt"

    class Meta(TenantModel.Meta):
        ordering = ["-at", "-id"]
        constraints = [vendor_public_id_constraint()]
        indexes = [
            models.Index(fields=["vendor", "partnership", "at"]),
            models.Index(fields=["vendor", "to_stage", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id}: {self.from_stage} → {self.to_stage}"

    @property
    def actor_label(self) -> str:
        if self.actor_type == self.ActorType.RULE:
            return f"rule: {self.rule}"
        if self.actor_type == self.ActorType.API_KEY:
            return "API key"
        return str(self.actor_user) if self.actor_user_id else "user"


class StageRule(TenantModel):
    """The criteria of one program for entering ``stage`` (kind *entry*), or for falling
    back to ``stage`` from the stage after it (kind *regression*).

    ``criteria`` is validated by ``journey.rules.criteria_validate``: a list of groups, any
    group matching is enough, every condition of a group must hold::

        [[{"metric": "paying_customers", "op": "gte", "value": 3}],
         [{"metric": "certifications_passed", "op": "gte", "value": 1},
          {"metric": "consecutive_revenue_months", "op": "gte", "value": 2}]]
    """

    class Kind(models.TextChoices):
        ENTRY = "entry", "Entry"
        REGRESSION = "regression", "Regression"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="stage_rules"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ENTRY)
    criteria = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    public_id_prefix = "srl"

    class Meta(TenantModel.Meta):
        ordering = ["program_id", "id"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "program", "stage", "kind"],
                name="journey_stagerule_vendor_program_stage_kind_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.stage} {self.kind}"


class Nudge(TenantModel):
    """A templated e-mail a manager sent to an at-risk or slipping partnership."""

    class Reason(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        SLIPPING = "slipping", "Slipping"

    partnership = models.ForeignKey(
        "partners.Partnership", on_delete=models.CASCADE, related_name="nudges"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()

    public_id_prefix = "ndg"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [vendor_public_id_constraint()]
        indexes = [models.Index(fields=["vendor", "partnership", "created_at"])]

    def __str__(self) -> str:
        return f"nudge {self.public_id}"


class RiskDigest(TenantModel):
    """The managers' digest of at-risk and slipping partnerships for one day: the unique
    (vendor, day) makes a re-run of the digest task send nothing twice."""

    day = models.DateField()
    at_risk_count = models.PositiveIntegerField(default=0)
    slipping_count = models.PositiveIntegerField(default=0)
    recipients = models.JSONField(default=list)

    public_id_prefix = "rdg"

    class Meta(TenantModel.Meta):
        ordering = ["-day"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(fields=["vendor", "day"], name="journey_riskdigest_vendor_day"),
        ]

    def __str__(self) -> str:
        return f"digest {self.day}"
