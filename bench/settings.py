"""Settings of the benchmark server: the dev settings without DEBUG (no query log, no debug
toolbar work), the bare floor view mounted next to the real API, no rate limit."""

from partnerhub.settings.dev import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
API_RATE_LIMIT_PER_MINUTE = 10**9
