"""Writes for API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from partnerhub.api.locks import api_settings_lock
from partnerhub.api.models import APIKey, VendorAPISettings
from partnerhub.audit.services import change_record
from partnerhub.core.access import vendor_object_get
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role, Vendor

KEY_PREFIX = "phk_"
_ALNUM = string.ascii_letters + string.digits
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedAPIKey:
    api_key: APIKey
    raw_key: str  # shown once, never stored


@transaction.atomic
def api_key_create(
    *, vendor: Vendor, name: str, actor: Actor, role: str = Role.ADMIN
) -> CreatedAPIKey:
    """Create a key; the returned raw key is the only time the secret exists in clear."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the key a name, e.g. the system that will use it."})
    if role not in Role.values or role == Role.OWNER:
        raise ValidationError({"role": "Choose admin, manager or viewer."})
    public = "".join(secrets.choice(_ALNUM) for _ in range(8))
    secret = "".join(secrets.choice(_ALNUM) for _ in range(32))
    raw_key = f"{KEY_PREFIX}{public}{secret}"
    api_key = APIKey.objects.for_vendor(vendor).create(
        vendor=vendor,
        name=name[:100],
        prefix=f"{KEY_PREFIX}{public}",
        key_hash=hash_api_key(raw_key),
        role=role,
        created_by=actor.user,
    )
    change_record(
        vendor=vendor,
        actor=actor,
        action="api_key.created",
        target_type="api_key",
        target_id=api_key.public_id,
        after={"name": api_key.name, "role": role, "prefix": api_key.prefix},
    )
    return CreatedAPIKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, vendor: Vendor, key_id: str, actor: Actor) -> APIKey:
    """Revoke a key; requests with it answer 401 from now on. Revoking twice is harmless."""
    api_key = vendor_object_get(APIKey, vendor=vendor, public_id=key_id, lock=True)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor.user
        api_key.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        change_record(
            vendor=vendor,
            actor=actor,
            action="api_key.revoked",
            target_type="api_key",
            target_id=api_key.public_id,
            before={"active": True},
            after={"active": False},
        )
    return api_key


@cache
def _authenticate_sql() -> str:
    """The key-and-vendor lookup, written once from the models' metadata. It runs on every
    API request, where compiling the equivalent queryset (``select_related``) cost more than
    the query itself."""
    q = connection.ops.quote_name
    columns = [f"k.{q(str(f.column))}" for f in APIKey._meta.concrete_fields]
    columns += [f"v.{q(str(f.column))}" for f in Vendor._meta.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {q(APIKey._meta.db_table)} k "  # noqa: S608
        f"JOIN {q(Vendor._meta.db_table)} v ON v.{q(str(Vendor._meta.pk.column))} = k.vendor_id "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL"
    )


def api_key_authenticate(*, raw_key: str) -> APIKey | None:
    """The active key for this secret (its vendor loaded), or None. Records when it was last
    used, at most once a minute."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_authenticate_sql(), [hash_api_key(raw_key)])
        row = cursor.fetchone()
    if row is None:
        return None
    key_fields = APIKey._meta.concrete_fields
    api_key = APIKey.from_db(
        connection.alias, [f.attname for f in key_fields], row[: len(key_fields)]
    )
    api_key.vendor = Vendor.from_db(
        connection.alias,
        [f.attname for f in Vendor._meta.concrete_fields],
        row[len(key_fields) :],
    )
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        APIKey.objects.unscoped().filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@transaction.atomic
def vendor_api_settings_set(
    *, vendor: Vendor, requests_per_minute: int, actor: Actor
) -> VendorAPISettings:
    """Set the vendor's per-key rate limit; every web process applies it within a minute
    (immediately in this one)."""
    from partnerhub.api.ratelimit import vendor_rate_limit_forget

    if requests_per_minute < 1:
        raise ValidationError({"requests_per_minute": "Allow at least one request per minute."})
    row = api_settings_lock(vendor=vendor, requests_per_minute=requests_per_minute)
    before = row.requests_per_minute
    row.requests_per_minute = requests_per_minute
    row.save(update_fields=["requests_per_minute", "updated_at"])
    change_record(
        vendor=vendor,
        actor=actor,
        action="api_settings.updated",
        target_type="vendor_api_settings",
        target_id=row.public_id,
        before={"requests_per_minute": before},
        after={"requests_per_minute": requests_per_minute},
    )
    transaction.on_commit(lambda: vendor_rate_limit_forget(vendor_id=vendor.pk))
    return row
