"""Beat entry points of payouts."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerhub.celery import app
from payouts import tasks
from payouts.models import Commission, PayoutRun
from tests.factories import paid_invoice

pytestmark = pytest.mark.django_db


def test_release_task_moves_commissions_past_their_hold(vendor, other_vendor):
    event = paid_invoice(vendor)  # hold 30 days from yesterday: still pending
    assert tasks.commissions_release_task(vendor.pk) == 0
    Commission.objects.unscoped().bulk_create(
        [
            Commission(
                vendor=vendor,
                public_id=Commission.new_public_id(),
                partnership=event.partnership,
                plan=event.commissions.get().plan,
                kind="bounty",
                amount=100,
                currency="USD",
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                available_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        ]
    )
    assert tasks.commissions_release_task(vendor.pk) == 1
    assert tasks.commissions_release_task(vendor.pk) == 0  # re-run: nothing more


def test_runs_due_starts_last_months_run_once_per_program(vendor, monkeypatch):
    event = paid_invoice(vendor)
    monkeypatch.setattr("payouts.tasks.runs.payout_run_execute", lambda **kw: None)
    assert tasks.payout_runs_due_task() == 1
    program = event.partnership.program
    assert PayoutRun.objects.for_vendor(vendor).filter(program=program).count() == 1


def test_beat_schedules_release_and_runs():
    schedule = app.conf.beat_schedule
    assert schedule["payout-runs-due"]["task"] == tasks.payout_runs_due_task.name
    assert schedule["commissions-release"]["task"] == tasks.commissions_release_fanout_task.name
