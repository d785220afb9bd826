"""Per-API-key rate limits: a token bucket in Redis, checked in one round trip.

Each key has a bucket of ``limit`` tokens (the vendor's requests per minute) refilled
continuously at ``limit / 60`` tokens a second. A request takes its cost (one, or the number
of items for bulk endpoints) or, when the bucket holds less, is refused with 429 and a
``Retry-After`` of the seconds until enough has dripped back; a refused request takes
nothing. Unlike a fixed one-minute window, a burst across a minute boundary cannot pass
twice the limit: at most ``limit`` at once, then the refill rate. The refill and the take
are one Lua script (atomic, one round trip), so every web process shares one bucket per key.
"""

from __future__ import annotations

import logging
import math
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
WINDOW_SECONDS = 60  # the limit is per minute: the bucket refills fully in this time
_LIMIT_CACHE_SECONDS = 60

# KEYS[1] bucket; ARGV: capacity, refill per second, cost, now (seconds, float).
# Returns {1, 0} when the cost was taken, {0, seconds to wait as a string} when refused.
BUCKET_SCRIPT_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed, wait = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'at', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, string.format('%.3f', wait)}
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


# vendor id → (limit, monotonic time it expires). Per process: the count lives in Redis, but
# the limit changes rarely, and asking Redis for it was a second round trip per request.
_limits: dict[int, tuple[int, float]] = {}


@cache
def _token_bucket(client: redis.Redis) -> Any:
    """The script object: ``EVALSHA`` (one round trip), loading the script on first use.
    Cached per client (itself cached), so a request does not hash the script again."""
    return client.register_script(BUCKET_SCRIPT_LUA)


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

    timer = time.time  # the clock of the bucket (web servers keep theirs in sync with NTP)

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, APIKeyPrincipal):
            return True  # unauthenticated requests are refused before they cost anything
        cost_of = getattr(view, "rate_limit_cost", None)
        cost = max(1, int(cost_of(request))) if cost_of else 1
        key = f"{settings.API_RATE_LIMIT_REDIS_PREFIX}:bucket:{principal.api_key.pk}"
        try:
            limit = vendor_rate_limit(vendor_id=principal.vendor.pk)
            allowed, wait = _token_bucket(_redis())(
                keys=[key], args=[limit, limit / WINDOW_SECONDS, cost, f"{self.timer():.6f}"]
            )
        except redis.RedisError:
            # Fail open: an outage of the counter store must not take the API down with it.
            logger.warning("rate limit not checked: Redis unavailable", exc_info=True)
            return True
        if int(allowed):
            return True
        self._wait = max(1.0, math.ceil(float(wait)))
        return False

    def wait(self) -> float | None:
        return self._wait
