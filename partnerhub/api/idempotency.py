"""``Idempotency-Key`` for every POST of the API.

Wired into ``VendorScopedMixin`` so that every API view gets it without a line of its own:

* the first request with a key runs; its response (status and body) is stored, per vendor and
  key, for ``IDEMPOTENCY_TTL`` (24 hours);
* a replay (same key, same method, path and body) returns the stored response with the header
  ``Idempotent-Replayed: true`` and writes nothing;
* the same key with a different request answers 422 ``idempotency_key_reused``;
* two concurrent requests with one key execute once: the record is inserted in the request's
  own transaction, so the second insert waits on the unique index until the first request
  commits (and then replays its response) or rolls back (and then runs itself). It waits at
  most ``IDEMPOTENCY_WAIT_SECONDS``, then answers 409 ``idempotency_key_in_progress``.

Responses with a 5xx status are not stored (the transaction rolls back), so a retry after a
server error runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.models import IdempotencyRecord
from partnerhub.tenancy.models import Vendor

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
REPLAY_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used with a different request; use a new key for a "
        "new request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "Another request with this Idempotency-Key is still being processed; retry in a moment."
    )
    default_code = "idempotency_key_in_progress"


class IdempotentReplay(Exception):
    """Raised inside the view to short-circuit to the stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


def wants_idempotency(request: Request | Any) -> bool:
    return request.method == "POST" and META_KEY in request.META


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """Equal for requests that mean the same: JSON bodies compare by value, not by bytes."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
        payload = canonical.encode()
    except ValueError:
        payload = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", payload):
        digest.update(part)
    return digest.hexdigest()


def idempotency_claim(
    *, vendor: Vendor, key: str, method: str, path: str, body: bytes
) -> IdempotencyRecord:
    """Claim ``key`` for this request, inside the caller's transaction.

    Returns the new (empty) record when this request is the first. Raises ``IdempotentReplay``
    with the stored record for a replay and ``IdempotencyKeyReused`` (422) for a different
    request with the same key. Blocks while another transaction holds the same key.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_claim must run inside the request's transaction")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters."}
        )
    fingerprint = request_fingerprint(method=method, path=path, body=body)
    now = timezone.now()
    records = IdempotencyRecord.objects.for_vendor(vendor)
    # An expired record no longer protects anything: the key may be used afresh.
    records.filter(key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():  # savepoint: a duplicate key leaves the request usable
            with connection.cursor() as cursor:
                # Wait for a concurrent request with this key at most this long (then 409).
                cursor.execute("SELECT current_setting('lock_timeout')")
                previous_lock_timeout = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true)",
                    [f"{max(1, int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000))}ms"],
                )
            record = records.create(
                vendor=vendor,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path[:500],
                expires_at=now + IDEMPOTENCY_TTL,
            )
    except IntegrityError:
        pass
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        raise IdempotencyKeyInProgress() from exc
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous_lock_timeout])
        return record
    # The other request has committed by now (the insert waited for it).
    existing = records.get(key=key)
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    raise IdempotentReplay(existing)


def idempotency_store(*, record: IdempotencyRecord, response: Response) -> None:
    """Keep the response of the first request (called in the same transaction)."""
    record.response_status = response.status_code
    record.response_body = response.data
    record.save(update_fields=["response_status", "response_body", "updated_at"])


def idempotency_replay_response(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status or 200)
    response[REPLAY_HEADER] = "true"
    return response


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired records of every vendor (a platform housekeeping job)."""
    moment = now or timezone.now()
    # Cross-tenant on purpose: expiry is the same rule for every vendor.
    deleted, _ = IdempotencyRecord.objects.unscoped().filter(expires_at__lte=moment).delete()
    return deleted
