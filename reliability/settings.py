"""Settings of the processes the load test starts (gunicorn web, Celery worker): the test
settings (DEBUG off, real PostgreSQL/Redis from the environment) with one fixed queue and
cache namespace shared by web and worker."""

import os

from partnerhub.settings.test import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("RELIABILITY_QUEUE", "partnerhub-reliability")
CACHES["default"]["KEY_PREFIX"] = "reliability"  # noqa: F405
API_RATE_LIMIT_REDIS_PREFIX = "reliability:ratelimit"
