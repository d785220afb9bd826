"""SIGKILL a real worker at seeded random points of a payout run, a journey evaluation and a
webhook delivery batch, ``RELIABILITY_KILLS`` (20) times each; afterwards nothing is lost and
nothing is done twice. Run by ``make reliability`` (not collected by ``make test``)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from journey.models import StageTransition
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt
from partnerhub.webhooks.services.outbox import event_record
from partnerhub.webhooks.tasks import webhook_deliveries_due_task
from partners.models import Partnership
from payouts.models import Commission, Payout, PayoutRun
from payouts.services import runs
from reliability.conftest import KILLS, record, wait_until
from tests.factories import (
    CertificationAttemptFactory,
    CommissionPlanFactory,
    PartnerPayoutDetailsFactory,
    PartnershipFactory,
    ProgramFactory,
    StageRuleFactory,
    WebhookEndpointFactory,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


# --- payout run -----------------------------------------------------------------------------


def _payout_world(vendor, partnerships: int) -> tuple[object, dict[int, int]]:
    """Available commissions of ``partnerships`` partnerships; returns the program and the
    expected payout per partnership (computed here, by hand: 3 commissions each)."""
    program = ProgramFactory(vendor=vendor, hold_period_days=0, payout_threshold_amount=100)
    plan = CommissionPlanFactory(program=program)
    rows, expected = [], {}
    for i in range(partnerships):
        ptn = PartnershipFactory(program=program)
        PartnerPayoutDetailsFactory(vendor=vendor, partner=ptn.partner)
        amounts = [1000 + i, 250, -100]
        expected[ptn.pk] = sum(amounts)
        rows += [
            Commission(
                vendor=vendor,
                public_id=Commission.new_public_id(),
                partnership=ptn,
                plan=plan,
                kind="bounty",
                amount=amount,
                currency="USD",
                occurred_at="2026-01-10T00:00:00Z",
                available_at="2026-01-10T00:00:00Z",
                status="available",
            )
            for amount in amounts
        ]
    Commission.objects.unscoped().bulk_create(rows)
    return program, expected


def test_payout_runs_killed_at_random_points_pay_every_commission_exactly_once(
    vendor, other_vendor, worker_factory, rng
):
    worker = worker_factory(
        {"PAYOUTS_RUN_CHUNK_SIZE": "2", "PAYOUTS_RUN_CHUNK_PAUSE_SECONDS": "0.05"}
    )
    mid_task, expected_all, run_ids = 0, {}, []
    for _ in range(KILLS):
        program, expected = _payout_world(vendor, partnerships=8)
        expected_all.update(expected)
        run, _ = runs.payout_run_start(
            actor=Actor.system(), vendor=vendor, program_id=program.public_id, period="2026-01"
        )
        run_ids.append(run.pk)
        time.sleep(rng.uniform(0.0, 0.5))
        status = PayoutRun.objects.for_vendor(vendor).get(pk=run.pk).status
        worker.kill_child()
        mid_task += status != "completed"
        done = PayoutRun.objects.for_vendor(vendor).filter(pk=run.pk, status="completed")
        assert wait_until(done.exists, 60), "a killed run was never finished by the redelivery"

    payouts = Payout.objects.for_vendor(vendor)
    paid = dict(payouts.values_list("partnership_id", "amount"))
    duplicates = (
        payouts.values("run", "partnership", "currency").annotate(n=Count("id")).filter(n__gt=1)
    ).count()
    lost = sum(1 for ptn, amount in expected_all.items() if paid.get(ptn) != amount)
    commissions = Commission.objects.for_vendor(vendor)
    linked = commissions.filter(payout__isnull=False).aggregate(s=Sum("amount"))["s"] or 0
    lost += commissions.filter(payout__isnull=True).count()  # left behind, never paid
    record(
        scenario="payout run", crashes=KILLS, mid_task=mid_task, duplicates=duplicates,
        lost=lost, checked=f"{len(expected_all)} payouts, {commissions.count()} commissions",
    )  # fmt: skip
    assert duplicates == 0
    assert lost == 0
    assert linked == sum(paid.values()) == sum(expected_all.values())
    assert PayoutRun.objects.for_vendor(vendor).filter(status="completed").count() == KILLS
    assert not Payout.objects.for_vendor(other_vendor).exists()


# --- journey evaluation ---------------------------------------------------------------------


def test_journey_evaluations_killed_at_random_points_move_each_partnership_once(
    vendor, worker_factory, rng
):
    from journey.tasks import journey_evaluate_vendor_task

    program = ProgramFactory(vendor=vendor)
    StageRuleFactory(
        program=program,
        stage="activation",
        criteria=[[{"metric": "certifications_passed", "op": "gte", "value": 1}]],
    )
    worker = worker_factory()
    mid_task, certified = 0, []
    for _ in range(KILLS):
        batch = [PartnershipFactory(program=program) for _ in range(10)]
        for ptn in batch:
            CertificationAttemptFactory(partnership=ptn)
        certified += [p.pk for p in batch]
        result = journey_evaluate_vendor_task.delay(vendor.pk)
        time.sleep(rng.uniform(0.0, 0.4))
        mid_task += not result.ready()
        worker.kill_child()
        moved = Partnership.objects.for_vendor(vendor).filter(pk__in=certified, stage="activation")
        want = len(certified)
        assert wait_until(lambda q=moved, n=want: q.count() == n, 60), "moves were lost"
        result.get(timeout=60)

    transitions = StageTransition.objects.for_vendor(vendor)
    per_move = Counter(transitions.values_list("partnership_id", "from_stage", "to_stage"))
    duplicates = sum(n - 1 for n in per_move.values() if n > 1)
    stages = dict(Partnership.objects.for_vendor(vendor).values_list("pk", "stage"))
    lost = sum(1 for pk in certified if stages[pk] != "activation" or not per_move[
        (pk, "recruitment", "activation")])  # fmt: skip
    record(
        scenario="journey evaluation", crashes=KILLS, mid_task=mid_task,
        duplicates=duplicates, lost=lost, checked=f"{len(certified)} moves",
    )  # fmt: skip
    assert duplicates == 0
    assert lost == 0
    assert transitions.count() == len(certified)


# --- webhook delivery batch -----------------------------------------------------------------


@pytest.fixture
def slow_receiver() -> Iterator[dict[str, object]]:
    """An HTTP endpoint on 127.0.0.1 taking 30 ms per delivery and counting message ids."""
    state: dict[str, object] = {"ids": Counter(), "url": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(0.03)
            state["ids"][self.headers.get("webhook-id")] += 1  # type: ignore[index]
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def test_webhook_batches_killed_at_random_points_deliver_each_event_once(
    vendor, worker_factory, rng, slow_receiver, settings
):
    from django.db import transaction

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    endpoints = [WebhookEndpointFactory(vendor=vendor, url=slow_receiver["url"]) for _ in range(2)]
    worker = worker_factory()
    mid_task, events = 0, []
    for i in range(KILLS):
        with transaction.atomic():  # one fan-out task for the batch, enqueued on commit
            events += [
                event_record(vendor=vendor, type="partnership.created", data={"n": i, "k": k})
                for k in range(5)
            ]
        time.sleep(rng.uniform(0.0, 0.4))
        pending = WebhookDelivery.objects.for_vendor(vendor).exclude(status="succeeded")
        mid_task += pending.exists() or len(slow_receiver["ids"]) < len(events) * 2
        worker.kill_child()
    # A delivery whose attempt was killed is leased for two minutes: let that time pass,
    # then the beat's retry task (through the worker) sends what is still due.
    deliveries = WebhookDelivery.objects.for_vendor(vendor)
    for _ in range(5):
        wait_until(lambda: not deliveries.filter(status="pending").exists(), 5)
        deliveries.filter(status="pending").update(next_attempt_at=timezone.now())
        webhook_deliveries_due_task.delay().get(timeout=60)
    left = deliveries.exclude(status="succeeded")
    assert wait_until(lambda: not left.exists(), 60), list(
        left.values_list("status", "attempt_count", "last_error", "next_attempt_at")
    )

    per_pair = Counter(deliveries.values_list("event_id", "endpoint_id"))
    successes = Counter(
        WebhookDeliveryAttempt.objects.for_vendor(vendor)
        .filter(response_status__gte=200, response_status__lt=300)
        .values_list("delivery_id", flat=True)
    )
    duplicates = sum(n - 1 for n in per_pair.values() if n > 1)
    duplicates += sum(n - 1 for n in successes.values() if n > 1)
    expected = {(e.pk, ep.pk) for e in events for ep in endpoints}
    lost = len(expected - set(per_pair))
    lost += deliveries.exclude(status="succeeded").count()
    received = slow_receiver["ids"]
    lost += sum(1 for e in events if received[e.public_id] < 2)  # type: ignore[index]
    resent = sum(received.values()) - len(expected)  # type: ignore[attr-defined]
    record(
        scenario="webhook batch", crashes=KILLS, mid_task=mid_task, duplicates=duplicates,
        lost=lost, checked=f"{len(expected)} deliveries ({resent} re-sent after a kill)",
    )  # fmt: skip
    assert duplicates == 0
    assert lost == 0
