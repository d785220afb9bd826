"""A payout run on a real Celery worker that is SIGKILLed mid-run, then run again; and two
runs of the same period started at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections

from partnerhub.core.actor import Actor
from payouts.models import Commission, Payout, PayoutRun
from payouts.services import runs
from tests.factories import (
    CommissionPlanFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _world(vendor, partnerships=30):
    """Available commissions of ``partnerships`` partnerships (made directly: the run is
    what is under test)."""
    program = ProgramFactory(vendor=vendor, hold_period_days=0, payout_threshold_amount=100)
    plan = CommissionPlanFactory(program=program)
    rows = []
    for i in range(partnerships):
        ptn = PartnershipFactory(program=program)
        PartnerPayoutDetailsFactory(vendor=vendor, partner=ptn.partner)
        for j in range(3):
            rows.append(
                Commission(
                    vendor=vendor,
                    public_id=Commission.new_public_id(),
                    partnership=ptn,
                    plan=plan,
                    kind="bounty",
                    amount=1000 * (i + 1) + j - (2500 if j == 2 else 0),
                    currency="USD",
                    occurred_at="2026-01-10T00:00:00Z",
                    available_at="2026-01-10T00:00:00Z",
                    status="available",
                )
            )
    Commission.objects.unscoped().bulk_create(rows)
    return program


def _expected(vendor, program):
    sums = defaultdict(int)
    for ptn_id, amount in Commission.objects.for_vendor(vendor).values_list(
        "partnership_id", "amount"
    ):
        sums[ptn_id] += amount
    return {k: v for k, v in sums.items() if v >= program.payout_threshold_amount}


def _assert_ledger(vendor, expected):
    payouts = {p.partnership_id: p for p in Payout.objects.for_vendor(vendor)}
    assert {k: p.amount for k, p in payouts.items()} == expected
    for p in payouts.values():
        linked = Commission.objects.for_vendor(vendor).filter(payout=p)
        assert sum(linked.values_list("amount", flat=True)) == p.amount
    # a commission is in at most one payout by construction (one FK); none left behind
    assert (
        not Commission.objects.for_vendor(vendor)
        .filter(partnership_id__in=expected, payout__isnull=True)
        .exists()
    )


def _worker(extra_env):
    db = connection.settings_dict
    host = db["HOST"] or ""
    # The embedded server listens on a Unix socket: its directory goes percent-encoded.
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db["PORT"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{host}{port}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "partnerhub.settings.test",
        **extra_env,
    }
    return subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            sys.executable, "-m", "celery", "-A", "partnerhub", "worker", "--pool=solo",
            "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-heartbeat",
            "--without-gossip", "--without-mingle", "-l", "warning",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_run_then_rerun_pays_exactly_once(vendor, other_vendor):
    from partnerhub.celery import app

    app.control.purge()
    program = _world(vendor)
    expected = _expected(vendor, program)
    env = {"PAYOUTS_RUN_CHUNK_SIZE": "4", "PAYOUTS_RUN_CHUNK_PAUSE_SECONDS": "0.4"}
    worker = _worker(env)
    try:
        run, _ = runs.payout_run_start(
            actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
        )
        done = PayoutRun.objects.for_vendor(vendor).filter(pk=run.pk)
        assert wait_for(lambda: done.get().partnerships_done >= 8, timeout=60), (
            "the worker never started"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed = done.get()
    assert killed.status == "running"
    assert 0 < Payout.objects.for_vendor(vendor).count() < len(expected)

    worker = _worker(env)
    try:
        runs.payout_run_start(
            actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
        )
        assert wait_for(lambda: done.get().status == "completed", timeout=60), (
            "the re-run never finished"
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    _assert_ledger(vendor, expected)
    assert PayoutRun.objects.for_vendor(vendor).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_once_make_one_set_of_payouts(vendor):
    program = _world(vendor, partnerships=12)
    expected = _expected(vendor, program)
    barrier = threading.Barrier(2)
    errors = []

    def go():
        try:
            barrier.wait()
            run, _ = runs.payout_run_start(
                actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
            )
            runs.payout_run_execute(vendor=vendor, run_id=run.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert PayoutRun.objects.for_vendor(vendor).count() == 1
    _assert_ledger(vendor, expected)
