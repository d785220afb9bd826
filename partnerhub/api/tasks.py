"""Celery entry points of the API plumbing."""

from __future__ import annotations

from celery import shared_task

from partnerhub.api.idempotency import idempotency_records_purge


@shared_task(name="partnerhub.api.tasks.idempotency_records_purge_task")
def idempotency_records_purge_task() -> int:
    """Hourly: forget idempotency records older than their 24 hours. Re-run safe."""
    return idempotency_records_purge()
