"""Set-based metrics for the journey, and customer attribution."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerhub.audit.models import AuditEntry
from partnerhub.core.actor import Actor
from partnerhub.webhooks.models import Event
from payouts.selectors.income import (
    partnership_attributed_mrr,
    partnership_commissions_earned,
    partnership_paying_customers,
)
from payouts.services.customers import customer_attribute, customer_create
from payouts.services.revenue import revenue_events_ingest
from tests.factories import (
    CommissionPlanFactory,
    CustomerFactory,
    PartnershipFactory,
    ProgramFactory,
)
from tests.payouts.helpers import T0, invoice

pytestmark = pytest.mark.django_db


def test_money_per_partnership_is_keyed_by_partnership_in_one_query_each(
    vendor, other_vendor, django_assert_num_queries
):
    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program)
    a, b, idle = (PartnershipFactory(program=program) for _ in range(3))
    for i, ptn in enumerate([a, a, b]):
        CustomerFactory(partnership=ptn, external_id=f"c{i}")
    revenue_events_ingest(
        vendor=vendor,
        items=[
            invoice("a1", "c0", 10000, T0),
            invoice("a2", "c1", 20000, T0 + dt.timedelta(days=40)),
            invoice("b1", "c2", 4999, T0),
        ],
    )
    theirs = ProgramFactory(vendor=other_vendor)
    CommissionPlanFactory(program=theirs)
    CustomerFactory(partnership=PartnershipFactory(program=theirs), external_id="x")
    revenue_events_ingest(vendor=other_vendor, items=[invoice("x1", "x", 99999)])

    with django_assert_num_queries(1):
        paying = partnership_paying_customers(vendor=vendor)
    with django_assert_num_queries(1):
        mrr = partnership_attributed_mrr(vendor=vendor)
    with django_assert_num_queries(1):
        earned = partnership_commissions_earned(
            vendor=vendor, since=T0 - dt.timedelta(days=1), until=T0 + dt.timedelta(days=30)
        )
    assert paying == {a.pk: 2, b.pk: 1}
    assert mrr == {a.pk: 30000, b.pk: 4999}
    assert earned == {a.pk: 1500, b.pk: 750}
    assert idle.pk not in paying


def test_customer_attribute_keeps_the_first_partnership_unless_replaced(vendor, manager):
    program = ProgramFactory(vendor=vendor)
    first, second = PartnershipFactory(program=program), PartnershipFactory(program=program)
    customer, created = customer_create(actor=Actor.system(), vendor=vendor, external_id="new-co")
    assert created
    assert Event.objects.for_vendor(vendor).filter(type="customer.created").count() == 1
    assert customer_attribute(
        actor=Actor.system(),
        vendor=vendor,
        customer=customer,
        partnership=first,
        method="click",
        ref="clk_1",
    )
    assert not customer_attribute(
        actor=Actor.system(), vendor=vendor, customer=customer, partnership=second, method="click"
    )
    assert customer_attribute(
        vendor=vendor,
        customer=customer,
        partnership=second,
        method="manual",
        replace=True,
        actor=Actor.for_user(manager),
        reason="Deal registered by the second partner",
    )
    customer.refresh_from_db()
    assert (customer.partnership, customer.attribution_method) == (second, "manual")
    entries = AuditEntry.objects.for_vendor(vendor).filter(action="customer.attributed")
    assert entries.count() == 2


def test_attributing_to_another_vendors_partnership_is_refused(vendor, other_vendor):
    from django.core.exceptions import ValidationError

    customer, _ = customer_create(actor=Actor.system(), vendor=vendor, external_id="c")
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    with pytest.raises(ValidationError):
        customer_attribute(
            actor=Actor.system(),
            vendor=vendor,
            customer=customer,
            partnership=theirs,
            method="deal",
        )
