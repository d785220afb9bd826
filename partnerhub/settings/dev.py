"""Local development: embedded servers when no DATABASE_URL/REDIS_URL, e-mail to the console."""

import os

from devtools.embedded import ensure_services

ensure_services()

from .base import *  # noqa: E402,F403

# Developer tooling (demo data, dev stack, bench seed) is installed in dev and test only.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-insecure-secret-key-change-me"  # noqa: F405
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Dev uses the plain static storage so pages work without collectstatic.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files straight from the app and project folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Local receivers (127.0.0.1) are fine while developing.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)  # noqa: F405
REFERRAL_DESTINATIONS_ALLOW_HTTP = env_bool("REFERRAL_DESTINATIONS_ALLOW_HTTP", True)  # noqa: F405
