"""Bulk ingestion answers once the events are stored; their commissions are computed after
the commit (``revenue_events_settle``, by the task enqueued on commit or the sweeper), with
the same money as the synchronous path, exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnerhub.celery import app
from partnerhub.webhooks.models import Event
from payouts import tasks
from payouts.models import Commission, Customer, RevenueBatch
from payouts.services.events import commission_data
from payouts.services.revenue import revenue_events_accept
from payouts.services.settlement import revenue_events_settle
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, amounts, invoice, refund
from tests.waiting import blocking_another_backend, wait_for

BULK = "/api/v1/revenue-events/bulk"


@pytest.fixture
def agency(vendor):
    program = ProgramFactory(vendor=vendor, currency="USD", hold_period_days=30)
    CommissionPlanFactory(program=program, rate="0.150000", name="15% recurring")
    partnership = PartnershipFactory(program=program)
    for i in range(3):
        CustomerFactory(partnership=partnership, external_id=f"c{i}")
    return partnership


def _post(api, items):
    response = api.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _events(vendor, type_: str) -> list[Event]:
    return list(Event.objects.for_vendor(vendor).filter(type=type_).order_by("id"))


def _pending(vendor) -> int:
    return RevenueBatch.objects.for_vendor(vendor).filter(status="pending").count()


@pytest.mark.django_db
def test_bulk_post_stores_now_and_settle_computes_the_commissions_once(
    vendor, other_vendor, agency, api_client_for
):
    api = api_client_for(vendor)
    body = _post(
        api,
        [invoice("in-a", "c0", 10000), invoice("in-b", "c1", 25000), invoice("in-c", "c2", 4999)],
    )
    assert (body["stored"], body["commissions"]) == (3, "pending")
    assert body["batch"].startswith("rvb_")
    assert [r["outcome"] for r in body["results"]] == ["stored"] * 3
    # Accepted, not yet computed: no commission, no webhook event, customers not yet paying.
    assert amounts(vendor) == []
    assert _events(vendor, "commission.created") == []
    assert Customer.objects.for_vendor(vendor).get(external_id="c0").first_paid_at is None
    batch = RevenueBatch.objects.for_vendor(vendor).get(public_id=body["batch"])
    assert (batch.status, len(batch.event_ids), batch.source) == ("pending", 3, "api")

    assert revenue_events_settle(vendor=other_vendor) == 0  # not theirs
    assert revenue_events_settle(vendor=vendor) == 3
    # 15% of 100.00 = 15.00; of 250.00 = 37.50; of 49.99 = 7.4985 → 7.50 (half-even, once)
    assert amounts(vendor) == [1500, 3750, 750]
    created = _events(vendor, "commission.created")
    assert [e.data["amount"] for e in created] == [1500, 3750, 750]
    for commission in Commission.objects.for_vendor(vendor):
        event = next(e for e in created if e.data["id"] == commission.public_id)
        assert event.data == commission_data(commission)
    customer = Customer.objects.for_vendor(vendor).get(external_id="c2")
    assert (customer.status, customer.mrr_amount, customer.first_paid_at) == ("active", 4999, T0)
    batch.refresh_from_db()
    assert batch.status == "settled"
    assert batch.settled_at is not None

    # Settling again (a redelivered task, the sweeper) changes nothing.
    assert revenue_events_settle(vendor=vendor) == 0
    assert amounts(vendor) == [1500, 3750, 750]
    assert len(_events(vendor, "commission.created")) == 3
    # A resend of the same events is all duplicates: no new batch, nothing pending.
    again = _post(api, [invoice("in-a", "c0", 10000)])
    assert (again["stored"], again["duplicate"], again["commissions"], again["batch"]) == (
        0,
        1,
        "none",
        None,
    )
    assert RevenueBatch.objects.for_vendor(vendor).count() == 1


@pytest.mark.django_db
def test_a_refund_in_a_later_bulk_batch_claws_back_exactly_after_settle(
    vendor, agency, api_client_for
):
    api = api_client_for(vendor)
    _post(api, [invoice("in-1", "c0", 4999)])  # its commission still pending computation
    body = _post(api, [refund("rf-1", "c0", 1000, of="in-1")])
    assert (body["stored"], body["commissions"]) == (1, "pending")
    assert _pending(vendor) == 2

    assert revenue_events_settle(vendor=vendor) == 2
    # 15% of 49.99 = 7.4985 → 750; refund of 10.00: 750 x 1000 / 4999 = 150.03 → -150
    assert amounts(vendor) == [750, -150]
    clawback = Commission.objects.for_vendor(vendor).get(kind="clawback")
    assert clawback.reverses == Commission.objects.for_vendor(vendor).get(kind="percent")
    assert [e.data["amount"] for e in _events(vendor, "commission.reversed")] == [-150]
    assert _pending(vendor) == 0
    assert revenue_events_settle(vendor=vendor) == 0
    assert amounts(vendor) == [750, -150]


@pytest.mark.django_db
def test_a_single_create_while_a_bulk_batch_is_pending_settles_that_batch_first(
    vendor, agency, api_client_for
):
    api = api_client_for(vendor)
    _post(api, [invoice("in-1", "c0", 10000), invoice("in-2", "c1", 3333)])
    response = api.post(
        "/api/v1/revenue-events", refund("rf-1", "c0", 2500, of="in-1"), format="json"
    )
    assert response.status_code == 201, response.content
    # Without a settle call: the refund's transaction computed the pending invoices first.
    # 15% of 100.00 = 1500; of 33.33 = 499.95 → 500 (half-even); refund of 25.00 of the
    # first: 1500 x 2500 / 10000 = -375.
    assert amounts(vendor) == [1500, 500, -375]
    assert _pending(vendor) == 0
    batches = RevenueBatch.objects.for_vendor(vendor).order_by("id")
    assert [(b.status, len(b.event_ids)) for b in batches] == [("settled", 2), ("settled", 1)]
    assert revenue_events_settle(vendor=vendor) == 0
    assert len(_events(vendor, "commission.created")) == 2
    assert len(_events(vendor, "commission.reversed")) == 1


@pytest.mark.django_db
def test_a_failed_settlement_leaves_the_batches_pending(vendor, agency, api_client_for):
    from django.db import transaction

    _post(api_client_for(vendor), [invoice("in-1", "c0", 10000)])

    def settle_then_crash() -> None:
        with transaction.atomic():
            assert revenue_events_settle(vendor=vendor) == 1
            raise RuntimeError("worker killed before its commit")

    with pytest.raises(RuntimeError):
        settle_then_crash()
    assert (_pending(vendor), amounts(vendor)) == (1, [])
    assert revenue_events_settle(vendor=vendor) == 1
    assert amounts(vendor) == [1500]


@pytest.mark.django_db
def test_accepting_and_settling_take_a_bounded_number_of_queries(
    vendor, agency, api_client_for, django_assert_max_num_queries
):
    """Accepting is set-based whatever the batch size; settling is per chunk of events,
    not per batch, event or commission."""
    for n in range(30):
        CustomerFactory(partnership=agency, external_id=f"k{n}")
    when = T0 + dt.timedelta(microseconds=250_000)
    for size, tag in ((10, "small"), (300, "large")):
        items = [invoice(f"{tag}-{i}", f"k{i % 30}", 1000 + i, when) for i in range(size)]
        # Known events, customers, events + batch (one statement), the savepoint pair.
        with django_assert_max_num_queries(5):
            report, batch = revenue_events_accept(vendor=vendor, items=items)
        assert report.count("stored") == size
        assert batch.startswith("rvb_")
    for i in range(3):
        revenue_events_accept(
            vendor=vendor, items=[refund(f"r-{i}", f"k{i}", 100, of=f"small-{i}")]
        )
    with django_assert_max_num_queries(12):
        created = revenue_events_settle(vendor=vendor)
    assert created == 310 + 3
    # The vendor, the lock, the claim (and the test's savepoint pair): nothing pending.
    with django_assert_max_num_queries(5):
        assert revenue_events_settle(vendor=vendor) == 0


@pytest.mark.django_db
def test_the_sweeper_finds_only_vendors_with_an_old_pending_batch(
    vendor, other_vendor, agency, api_client_for
):
    _post(api_client_for(vendor), [invoice("in-1", "c0", 10000)])
    assert tasks.revenue_events_settle_sweep_task() == 0  # just accepted: its task is coming
    entry = app.conf.beat_schedule["revenue-events-settle-sweep"]
    assert (entry["task"], entry["schedule"]) == (tasks.revenue_events_settle_sweep_task.name, 60)


def _age_pending_batches(vendor, seconds: int) -> None:
    RevenueBatch.objects.for_vendor(vendor).filter(status="pending").update(
        created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_bulk_posts_commissions_appear_through_the_worker(
    vendor, agency, api_client_for, celery_worker
):
    body = _post(
        api_client_for(vendor), [invoice("in-1", "c0", 10000), invoice("in-2", "c1", 4999)]
    )
    assert body["commissions"] == "pending"
    # The task enqueued on commit computes them; nobody calls settle here.
    assert wait_for(lambda: amounts(vendor) == [1500, 750])
    assert wait_for(lambda: _pending(vendor) == 0)
    assert len(_events(vendor, "commission.created")) == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_lost_settle_message_is_recovered_by_the_sweeper(vendor, agency, api_client_for):
    from celery.contrib.testing.worker import start_worker

    _post(api_client_for(vendor), [invoice("in-1", "c0", 10000)])
    app.control.purge()  # the message enqueued on commit is lost (broker restart)
    assert _pending(vendor) == 1
    _age_pending_batches(vendor, 31)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False):
        assert tasks.revenue_events_settle_sweep_task.delay().get(timeout=20) == 1
        assert wait_for(lambda: amounts(vendor) == [1500])
        assert wait_for(lambda: _pending(vendor) == 0)
    assert len(_events(vendor, "commission.created")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refund_arriving_while_a_worker_settles_its_invoice_waits_and_claws_back_exactly(
    vendor, agency, api_client_for
):
    """Two connections: a worker has claimed the batch holding the invoice and not yet
    committed; the single refund waits for the settlement lock, then finds the invoice's
    commission and reverses it exactly (no missing clawback, no deadlock)."""
    import threading

    from django.db import connections, transaction

    from partnerhub.tenancy.context import vendor_scope

    api = api_client_for(vendor)
    app.control.purge()
    _post(api, [invoice("in-1", "c0", 10000)])
    app.control.purge()  # no worker here: the settlement below plays it
    claimed, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with vendor_scope(vendor), transaction.atomic():
                assert revenue_events_settle(vendor=vendor) == 1
                claimed.set()
                release.wait(10)
                # The refund waits on the settlement lock.
                assert wait_for(blocking_another_backend)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    assert claimed.wait(10)
    release.set()
    response = api.post(
        "/api/v1/revenue-events", refund("rf-1", "c0", 4000, of="in-1"), format="json"
    )
    thread.join(15)
    assert not errors, errors
    assert response.status_code == 201, response.content
    # 15% of 100.00 = 1500; refund of 40.00: 1500 x 4000 / 10000 = -600.
    assert amounts(vendor) == [1500, -600]
    assert _pending(vendor) == 0


@pytest.mark.django_db
def test_settling_at_most_n_batches_takes_the_oldest_and_leaves_the_rest_pending(
    vendor, agency, api_client_for
):
    api = api_client_for(vendor)
    first = _post(api, [invoice("in-1", "c0", 10000)])["batch"]
    second = _post(api, [invoice("in-2", "c1", 2000), invoice("in-3", "c2", 4999)])["batch"]
    third = _post(api, [invoice("in-4", "c0", 3000)])["batch"]

    # 15% of 100.00 = 15.00; of 20.00 = 3.00; of 49.99 = 7.4985 → 7.50
    assert revenue_events_settle(vendor=vendor, max_batches=2) == 3
    assert amounts(vendor) == [1500, 300, 750]
    statuses = dict(RevenueBatch.objects.for_vendor(vendor).values_list("public_id", "status"))
    assert statuses == {first: "settled", second: "settled", third: "pending"}
    # 15% of 30.00 = 4.50
    assert revenue_events_settle(vendor=vendor, max_batches=2) == 1
    assert amounts(vendor) == [1500, 300, 750, 450]
    assert _pending(vendor) == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_settle_task_works_off_a_backlog_in_bounded_transactions(
    vendor, agency, api_client_for, monkeypatch
):
    from celery.contrib.testing.worker import start_worker

    api = api_client_for(vendor)
    for n, amount in enumerate([10000, 2000, 4999]):
        _post(api, [invoice(f"in-{n}", f"c{n}", amount)])
    app.control.purge()  # the three messages are lost: one task must do it all
    monkeypatch.setattr(tasks, "SETTLE_MAX_BATCHES", 1)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False):
        # The first task settles the oldest batch, sees the backlog and enqueues the next.
        assert tasks.revenue_events_settle_task.delay(vendor.pk).get(timeout=20) == 1
        assert wait_for(lambda: _pending(vendor) == 0)
    assert amounts(vendor) == [1500, 300, 750]
    settled = RevenueBatch.objects.for_vendor(vendor).order_by("id")
    times = [b.settled_at for b in settled]
    # Three transactions, in batch order: each batch got its own settlement time.
    assert times == sorted(times)
    assert len(set(times)) == 3
