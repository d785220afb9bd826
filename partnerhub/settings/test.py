"""Test settings: real PostgreSQL and Redis (embedded when the URLs are unset)."""

import os

from devtools.embedded import ensure_services

ensure_services()

from .base import *  # noqa: E402,F403

# Developer tooling (demo data, dev stack, bench seed) is installed in dev and test only.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# One cache namespace per test run so parallel runs on one Redis never see each other.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A dedicated queue so tasks enqueued by tests never reach a developer's running worker.
CELERY_TASK_DEFAULT_QUEUE = f"partnerhub-test-{os.getpid()}"
# Serve static files straight from the app and project folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
API_RATE_LIMIT_PER_MINUTE = 100_000  # tests that check limits set a vendor's own limit
API_RATE_LIMIT_REDIS_PREFIX = f"test-{os.getpid()}:ratelimit"
