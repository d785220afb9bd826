"""A refund arriving while a payout run links the same commissions: the refund waits for the
run's chunk and then succeeds (its clawback nets in a later payout), never a 500."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import vendor_scope
from payouts.models import Commission, PayoutRun
from payouts.services import ledger, runs
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    PayoutRunFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice, refund
from tests.waiting import blocking_another_backend, wait_for


@pytest.mark.django_db(transaction=True)
def test_refund_during_a_payout_run_chunk_is_not_a_server_error(
    vendor, other_vendor, api_client_for
):
    program = ProgramFactory(vendor=vendor, hold_period_days=0, payout_threshold_amount=100)
    CommissionPlanFactory(program=program, rate="0.150000")
    CommissionPlanFactory(program=program, rate="0.050000", name="Second plan")
    ptn = PartnershipFactory(program=program)
    customer = CustomerFactory(partnership=ptn, external_id="cust-1")
    with vendor_scope(vendor):
        revenue_events_ingest(vendor=vendor, items=[invoice("in-1", "cust-1", 10000)])
        ledger.commissions_release(
            actor=Actor.system(), vendor_id=vendor.pk, now=T0 + dt.timedelta(days=1)
        )
    assert sorted(Commission.objects.for_vendor(vendor).values_list("amount", flat=True)) == [
        500,
        1500,
    ]
    run = PayoutRunFactory(program=program, status=PayoutRun.Status.RUNNING)
    linked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def payout_chunk() -> None:
        try:
            with vendor_scope(vendor), transaction.atomic():
                runs._chunk_payouts(
                    vendor=vendor,
                    run=run,
                    chunk=[ptn.pk],
                    cutoff=T0 + dt.timedelta(days=30),
                    now=T0 + dt.timedelta(days=30),
                )
                linked.set()
                release.wait(10)
                assert wait_for(blocking_another_backend)  # the refund waits on our row locks
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    responses = []

    def refund_request() -> None:
        try:
            client = api_client_for(vendor)
            release.set()
            responses.append(
                client.post(
                    "/api/v1/revenue-events",
                    refund("rf-1", customer.external_id, 10000, of="in-1"),
                    format="json",
                )
            )
        finally:
            connections.close_all()

    run_thread = threading.Thread(target=payout_chunk)
    run_thread.start()
    assert linked.wait(10)
    refund_thread = threading.Thread(target=refund_request)
    refund_thread.start()
    run_thread.join(30)
    refund_thread.join(30)

    assert not errors
    (response,) = responses
    assert response.status_code == 201, response.content
    commissions = Commission.objects.for_vendor(vendor)
    # The run won: both originals are in its payout; the clawbacks wait for a later one.
    assert set(commissions.filter(kind="percent").values_list("status", flat=True)) == {"in_payout"}
    assert sorted(commissions.filter(kind="clawback").values_list("amount", flat=True)) == [
        -1500,
        -500,
    ]
    assert set(commissions.filter(kind="clawback").values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_a_request_the_database_aborts_for_a_lock_conflict_answers_409_then_retry_works(
    vendor, other_vendor, api_client_for, monkeypatch
):
    """When PostgreSQL aborts a request's transaction because another one holds what it
    needs (deadlock, serialization failure, lock not available), the API answers 409
    ``concurrent_update`` (nothing was written; send it again), never a 500."""
    from partnerhub.api.base import VendorViewSet

    program = ProgramFactory(vendor=vendor, name="Resellers")
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with vendor_scope(vendor), transaction.atomic():
                list(type(program).objects.for_vendor(vendor).select_for_update().filter(
                    pk=program.pk))  # fmt: skip
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    original = VendorViewSet.scope_queryset

    def scope_queryset(self, queryset):
        # The request needs the row the other transaction holds, and will not wait for it.
        with transaction.atomic():
            rows = type(program).objects.for_vendor(vendor).select_for_update(nowait=True)
            list(rows.filter(pk=program.pk))
        return original(self, queryset)

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(10)
    client = api_client_for(vendor)
    client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setattr(VendorViewSet, "scope_queryset", scope_queryset)
        try:
            response = client.get("/api/v1/programs")
        finally:
            done.set()
            thread.join(10)

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "concurrent_update"
    assert response["Retry-After"] == "1"
    again = client.get("/api/v1/programs")
    assert again.status_code == 200
    assert [p["name"] for p in again.json()["results"]] == ["Resellers"]
