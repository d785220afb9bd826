"""The broker (a throwaway redis-server started by reliability/run.py, append-only file with
``appendfsync always``) restarted under queued tasks: every task runs, none twice.

What is guaranteed, and what is not (docs/reliability.md, "Broker restarts"): a message
*waiting* in Redis survives a restart; so does a worker blocked waiting for one. A message
Redis hands to a worker in the very instant it shuts down can be lost: kombu's Redis
transport takes it with ``BRPOP`` and records it as unacknowledged in a second round trip,
and a connection that breaks in between leaves it nowhere (seen in the suite's append-only
file: one more ``RPOP`` than messages the worker received). So a broker restart is done with
the workers stopped first (warm shutdown), which the last phase below does under a busy
queue."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db.models import Count

from partnerhub.tenancy.models import VendorHealthSnapshot
from partnerhub.tenancy.tasks import vendor_health_summary_task
from reliability import broker
from reliability.conftest import record, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RESTARTS = int(os.environ.get("RELIABILITY_REDIS_RESTARTS", "3"))


def _restart() -> None:
    port = int(os.environ["RELIABILITY_REDIS_PORT"])
    broker.stop(port)
    assert not broker.ping(port)
    broker.start(port, Path(os.environ["RELIABILITY_REDIS_DIR"]))


@pytest.mark.skipif(
    "RELIABILITY_REDIS_PORT" not in os.environ, reason="needs the suite's own redis-server"
)
def test_tasks_queued_across_broker_restarts_all_run_once(vendor, worker_factory):
    first = dt.date(2026, 1, 1)
    days: list[str] = []
    snapshots = VendorHealthSnapshot.objects.for_vendor(vendor)

    def enqueue(n: int) -> None:
        for _ in range(n):
            day = (first + dt.timedelta(days=len(days))).isoformat()
            days.append(day)
            vendor_health_summary_task.delay(vendor.pk, day)

    # 1. Queued with no worker running; the broker restarts under them, RESTARTS times.
    enqueue(10)
    for _ in range(RESTARTS):
        _restart()
    worker = worker_factory()
    assert wait_until(lambda: snapshots.count() == len(days), 60), "queued tasks were lost"

    # 2. A worker waiting on the empty queue; the broker restarts; it reconnects and runs
    #    what is sent afterwards.
    for _ in range(RESTARTS):
        _restart()
        enqueue(5)
        assert wait_until(lambda: snapshots.count() == len(days), 60), "lost after reconnect"

    # 3. The documented procedure under a busy queue: warm-shut the worker down (it finishes
    #    its task and hands back what it prefetched), restart the broker, start a worker.
    for _ in range(RESTARTS):
        enqueue(10)
        worker.shut_down()
        _restart()
        worker = worker_factory()
        assert wait_until(lambda: snapshots.count() == len(days), 60), "lost in a restart"

    per_day = {
        str(d): n
        for d, n in snapshots.values_list("day").annotate(n=Count("id")).values_list("day", "n")
    }
    lost = sum(1 for day in days if day not in per_day)
    duplicates = sum(n - 1 for n in per_day.values() if n > 1)
    record(
        scenario="redis restart", crashes=3 * RESTARTS, mid_task=0,
        duplicates=duplicates, lost=lost, checked=f"{len(days)} queued tasks",
    )  # fmt: skip
    assert lost == 0
    assert duplicates == 0
