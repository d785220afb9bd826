from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from partnerhub.tenancy.ids import new_public_id, new_public_ids
from partnerhub.tenancy.managers import TenantManager

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO-4217 code, e.g. USD.")
TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Vendor(models.Model):
    """The tenant: a company running one or more partner programs."""

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    default_currency = models.CharField(
        max_length=3, default="USD", validators=[CURRENCY_VALIDATOR]
    )
    time_zone = models.CharField(max_length=64, default="UTC", choices=TIME_ZONE_CHOICES)
    # When on, owners without an authenticator app (TOTP) cannot use the dashboard.
    require_mfa_for_owners = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    public_id_prefix: ClassVar[str] = "ven"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = new_public_id(self.public_id_prefix)
        super().save(*args, **kwargs)


def vendor_public_id_constraint() -> models.UniqueConstraint:
    """Public ids are unique per vendor (every unique constraint starts with ``vendor``)."""
    return models.UniqueConstraint(
        fields=["vendor", "public_id"], name="%(app_label)s_%(class)s_vendor_public_id_uniq"
    )


class TenantModel(models.Model):
    """Base of every tenant table: a non-null vendor, an opaque public id, timestamps."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=40, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Application code goes through ``objects``, which fails closed without a vendor.
    objects: ClassVar[TenantManager[Any]] = TenantManager()
    # Django's own machinery (forward foreign keys, save(), cascades, constraint validation)
    # uses the default and base managers; those always filter by the row's own vendor or pk,
    # so they get a plain manager instead of needing a scope.
    objects_unscoped: ClassVar[models.Manager[Any]] = models.Manager()
    public_id_prefix: ClassVar[str] = "obj"

    class Meta:
        abstract = True
        default_manager_name = "objects_unscoped"
        base_manager_name = "objects_unscoped"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = new_public_id(self.public_id_prefix)
        super().save(*args, **kwargs)

    @classmethod
    def new_public_id(cls) -> str:
        """For bulk paths, where save() is not called."""
        return new_public_id(cls.public_id_prefix)

    @classmethod
    def new_public_ids(cls, count: int) -> list[str]:
        """``count`` new public ids at once (bulk paths)."""
        return new_public_ids(cls.public_id_prefix, count)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.MANAGER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, required: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(required)]


class Membership(TenantModel):
    """A user's role in one vendor. Viewers read, managers run programs, admins also manage
    money and API keys, owners also manage members."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    public_id_prefix = "mem"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "user"], name="tenancy_membership_vendor_user_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of vendor {self.vendor_id}"


class Invitation(TenantModel):
    """An invitation of a person (by e-mail) to become a member with a role."""

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "inv"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            # One open invitation per address and vendor.
            models.UniqueConstraint(
                fields=["vendor", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="tenancy_invitation_vendor_open_email_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role}"


class VendorHealthSnapshot(TenantModel):
    """The nightly tenant health summary: one row per vendor and day (re-runs overwrite it)."""

    day = models.DateField()
    metrics = models.JSONField(default=dict)

    public_id_prefix = "vhs"

    class Meta(TenantModel.Meta):
        ordering = ["-day"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "day"], name="tenancy_health_vendor_day_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"health of vendor {self.vendor_id} on {self.day}"
