"""Real concurrency: two workers evaluating the same vendor at once, on two connections."""

import threading

import pytest
from django.db import connection

from journey.models import StageTransition
from journey.services.evaluation import journey_evaluate
from partnerhub.tenancy.context import vendor_scope
from partnerhub.webhooks.models import Event
from partners.models import Partnership
from tests.factories import (
    CertificationAttemptFactory,
    PartnershipFactory,
    ProgramFactory,
    StageRuleFactory,
    VendorFactory,
)


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_at_once_record_each_move_exactly_once():
    vendor = VendorFactory(slug="race")
    program = ProgramFactory(vendor=vendor)
    StageRuleFactory(program=program, criteria=[[{"metric": "certifications_passed", "value": 1}]])
    for _ in range(30):
        CertificationAttemptFactory(partnership=PartnershipFactory(program=program))
    barrier = threading.Barrier(2)
    moved, errors = [], []

    def worker():
        try:
            with vendor_scope(vendor):
                barrier.wait()
                moved.append(journey_evaluate(vendor=vendor).moved)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(moved) == 30  # whichever worker won, each partnership moved once
    assert Partnership.objects.for_vendor(vendor).filter(stage="activation").count() == 30
    assert StageTransition.objects.for_vendor(vendor).count() == 30
    assert Event.objects.for_vendor(vendor).filter(type="partnership.stage_changed").count() == 30
