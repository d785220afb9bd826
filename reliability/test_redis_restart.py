"""The broker (a throwaway redis-server started by reliability/run.py) restarted while tasks
are queued, and again while a worker is consuming: every task still runs, none twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from partnerhub.tenancy.models import VendorHealthSnapshot
from partnerhub.tenancy.tasks import vendor_health_summary_task
from reliability import broker
from reliability.conftest import record, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _restart() -> None:
    port = int(os.environ["RELIABILITY_REDIS_PORT"])
    broker.stop(port)
    assert not broker.ping(port)
    broker.start(port, Path(os.environ["RELIABILITY_REDIS_DIR"]))


@pytest.mark.skipif(
    "RELIABILITY_REDIS_PORT" not in os.environ, reason="needs the suite's own redis-server"
)
def test_tasks_queued_across_broker_restarts_all_run_once(vendor, worker_factory):
    days = [f"2026-10-{d:02d}" for d in range(1, 21)]
    snapshots = VendorHealthSnapshot.objects.for_vendor(vendor)

    # Queued with no worker running, then the broker restarts under them.
    for day in days[:10]:
        vendor_health_summary_task.delay(vendor.pk, day)
    _restart()
    worker_factory()
    assert wait_until(lambda: snapshots.count() == 10, 60), "queued tasks were lost"

    # A worker consuming, the broker restarted between two batches: both reconnect.
    for day in days[10:15]:
        vendor_health_summary_task.delay(vendor.pk, day)
    _restart()
    for day in days[15:]:
        vendor_health_summary_task.delay(vendor.pk, day)
    wait_until(lambda: snapshots.count() == 20, 90)

    per_day = {str(d): n for d, n in _counts(snapshots)}
    lost = sum(1 for day in days if day not in per_day)
    duplicates = sum(n - 1 for n in per_day.values() if n > 1)
    record(
        scenario="redis restart", crashes=2, mid_task=0, duplicates=duplicates, lost=lost,
        checked=f"{len(days)} queued tasks",
    )  # fmt: skip
    assert lost == 0
    assert duplicates == 0


def _counts(snapshots):
    from django.db.models import Count

    return snapshots.values_list("day").annotate(n=Count("id")).values_list("day", "n")
