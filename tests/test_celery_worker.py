"""The nightly tenant health summary, run through a real Celery worker on the real broker."""

import datetime as dt

import pytest
from django.utils import timezone

from partnerhub.celery import app
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import VendorHealthSnapshot
from partnerhub.tenancy.services import invitation_create, vendor_health_summary_compute
from partnerhub.tenancy.tasks import vendor_health_summary_fanout_task
from tests.factories import MembershipFactory
from tests.waiting import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_nightly_health_summary_runs_per_vendor_on_a_real_worker(
    vendor, other_vendor, owner, manager, other_owner, celery_worker
):
    invitation_create(
        vendor=vendor, email="new@acme.example", role="viewer", actor=Actor.for_user(owner)
    )
    day = "2026-11-20"

    result = vendor_health_summary_fanout_task.delay(day)
    assert result.get(timeout=20) == 2  # one task per vendor

    snapshots = VendorHealthSnapshot.objects.unscoped().filter(day=dt.date(2026, 11, 20))
    assert wait_for(lambda: snapshots.count() == 2)
    acme = snapshots.get(vendor=vendor).metrics
    assert acme["members"] == 2
    assert acme["members_by_role"] == {"owner": 1, "admin": 0, "manager": 1, "viewer": 0}
    assert acme["open_invitations"] == 1
    assert snapshots.get(vendor=other_vendor).metrics["members"] == 1

    # A re-run (a redelivery, or beat firing twice) updates, never duplicates.
    MembershipFactory(vendor=vendor)
    assert vendor_health_summary_fanout_task.delay(day).get(timeout=20) == 2
    assert wait_for(lambda: snapshots.get(vendor=vendor).metrics["members"] == 3)
    assert snapshots.count() == 2


@pytest.mark.django_db
def test_health_summary_is_one_row_per_vendor_and_day(vendor, owner):
    today = timezone.localdate()
    vendor_health_summary_compute(vendor=vendor, day=today)
    vendor_health_summary_compute(vendor=vendor, day=today)
    assert VendorHealthSnapshot.objects.for_vendor(vendor).count() == 1


def test_the_beat_schedule_runs_the_summary_nightly():
    entry = app.conf.beat_schedule["vendor-health-summary-nightly"]
    assert entry["task"] == vendor_health_summary_fanout_task.name
    assert entry["schedule"].hour == {2}
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.task_time_limit
