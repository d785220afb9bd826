"""The Celery application. Settings come from Django's settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings.dev")

app = Celery("partnerhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# autodiscover looks for <app>.tasks in INSTALLED_APPS; platform apps live in partnerhub.*
app.autodiscover_tasks(["partnerhub.tenancy", "partnerhub.api", "partnerhub.webhooks"])
