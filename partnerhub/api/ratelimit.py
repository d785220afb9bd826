"""Per-API-key rate limits, counted in Redis.

A fixed one-minute window per key: ``INCRBY`` the request's cost (one, or the number of items
for bulk endpoints) and refuse with 429 and ``Retry-After`` once the vendor's limit is passed.
Every web process shares the count, so the limit holds however many processes serve the API.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from partnerhub.api.authentication import APIKeyPrincipal
from partnerhub.api.models import VendorAPISettings

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60
_LIMIT_CACHE_SECONDS = 60


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


# vendor id → (limit, monotonic time it expires). Per process: the count lives in Redis, but
# the limit changes rarely, and asking Redis for it was a second round trip per request.
_limits: dict[int, tuple[int, float]] = {}


def vendor_rate_limit(*, vendor_id: int) -> int:
    """Requests per minute per key for this vendor (cached in the process for a minute)."""
    cached = _limits.get(vendor_id)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    row = VendorAPISettings.objects.for_vendor(vendor_id).first()
    limit = row.requests_per_minute if row else settings.API_RATE_LIMIT_PER_MINUTE
    _limits[vendor_id] = (limit, now + _LIMIT_CACHE_SECONDS)
    return limit


def vendor_rate_limit_forget(*, vendor_id: int) -> None:
    _limits.pop(vendor_id, None)


class APIKeyRateThrottle(BaseThrottle):
    """DRF throttle of every API view; the view's ``rate_limit_cost`` says what a request
    costs (bulk endpoints count their items)."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, APIKeyPrincipal):
            return True  # unauthenticated requests are refused before they cost anything
        cost_of = getattr(view, "rate_limit_cost", None)
        cost = max(1, int(cost_of(request))) if cost_of else 1
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"{settings.API_RATE_LIMIT_REDIS_PREFIX}:{principal.api_key.pk}:{window}"
        try:
            limit = vendor_rate_limit(vendor_id=principal.vendor.pk)
            # One round trip; no MULTI/EXEC: EXPIRE is idempotent, so the pair need not be atomic.
            pipe = _redis().pipeline(transaction=False)
            pipe.incrby(key, cost)
            pipe.expire(key, WINDOW_SECONDS * 2)
            used, _ = pipe.execute()
        except redis.RedisError:
            # Fail open: an outage of the counter store must not take the API down with it.
            logger.warning("rate limit not checked: Redis unavailable", exc_info=True)
            return True
        if int(used) <= limit:
            return True
        self._wait = max(1.0, (window + 1) * WINDOW_SECONDS - now)
        return False

    def wait(self) -> float | None:
        return self._wait
