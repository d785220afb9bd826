"""Funnel figures on a hand-built data set; every expected number is worked out by hand in
the comments (days between dates counted on a calendar)."""

import datetime as dt

import pytest

from journey.selectors import funnel, percentile
from partners.models import Partnership
from tests.factories import (
    JoinSourceFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    ProgramFactory,
    StageTransitionFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def d(month, day):
    return dt.datetime(2026, month, day, tzinfo=dt.UTC)


@pytest.fixture
def world(vendor, other_vendor):
    a = ProgramFactory(vendor=vendor, name="Alpha", activation_target_days=60)
    b = ProgramFactory(vendor=vendor, name="Beta", activation_target_days=30)
    agency = PartnerPersonaFactory(
        vendor=vendor, program=a, name="Agency", activation_target_days=10
    )
    web = JoinSourceFactory(vendor=vendor, name="Web")
    net = JoinSourceFactory(vendor=vendor, name="Net")

    def make(program, source, created, approved, stage, persona=None, history=()):
        p = PartnershipFactory(
            program=program,
            persona=persona,
            join_source=source,
            approved_at=approved,
            status="approved" if approved else "applied",
            stage=stage,
        )
        Partnership.objects.for_vendor(vendor).filter(pk=p.pk).update(created_at=created)
        for src, dst, at in history:
            StageTransitionFactory(partnership=p, from_stage=src, to_stage=dst, at=at)
        return p

    ps = {
        # p1: approval → activation 5 days (agency target 10: in time); activation → investment 30
        "p1": make(a, web, d(1, 5), d(1, 10), "investment", agency,
                   [("recruitment", "activation", d(1, 15)),
                    ("activation", "investment", d(2, 14))]),
        # p2: recruitment (Jan 20) → activation (Mar 1) = 40 days, target 60: in time
        "p2": make(a, web, d(1, 20), d(1, 20), "activation", None,
                   [("recruitment", "activation", d(3, 1))]),
        # p3: never activated, target passed (Apr 4 < Jun 1): eligible, not in time
        "p3": make(a, net, d(2, 3), d(2, 3), "recruitment"),
        # p4: Feb 10 → Apr 1 = 50 days (target 30: late); +10 to investment, +30 to devotion
        "p4": make(b, net, d(2, 10), d(2, 10), "devotion", None,
                   [("recruitment", "activation", d(4, 1)), ("activation", "investment", d(4, 11)),
                    ("investment", "devotion", d(5, 11))]),
        # p5: approved May 20, target Jun 19 not reached yet: not eligible
        "p5": make(b, web, d(5, 20), d(5, 20), "recruitment"),
        # p6: never approved; interest (Mar 1) → recruitment (Mar 4) = 3 days
        "p6": make(b, net, d(3, 1), None, "recruitment", None,
                   [("interest", "recruitment", d(3, 4))]),
    }  # fmt: skip
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor), stage="activation")
    StageTransitionFactory(partnership=theirs, at=d(1, 2))
    return {"a": a, "b": b, "agency": agency, "web": web, "net": net, **ps}


def _by_label(groups):
    return {g["name"]: g for g in groups}


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([10, 40, 50], 0.5) == 40
    assert percentile([10, 40, 50], 0.9) == 48  # 40 + 0.8 * 10
    assert percentile([], 0.5) is None


def test_funnel_of_all_partnerships(vendor, world):
    [all_] = funnel(vendor=vendor, now=NOW)
    assert all_["partnerships"] == 6  # the other vendor's partnership is not counted
    assert all_["stages"] == {
        "interest": 0, "recruitment": 3, "activation": 1, "investment": 1, "devotion": 1,
    }  # fmt: skip
    assert all_["reached"] == {
        "interest": 6, "recruitment": 6, "activation": 3, "investment": 2, "devotion": 1,
    }  # fmt: skip
    assert all_["conversion"] == {
        "interest_to_recruitment": 1.0,
        "recruitment_to_activation": 0.5,  # 3 / 6
        "activation_to_investment": 0.6667,  # 2 / 3
        "investment_to_devotion": 0.5,  # 1 / 2
    }
    assert all_["days_between"] == {
        "interest_to_recruitment": {"count": 1, "median": 3, "p90": 3},
        "recruitment_to_activation": {"count": 3, "median": 40, "p90": 48},  # 10, 40, 50
        "activation_to_investment": {"count": 2, "median": 20, "p90": 28},  # 30, 10
        "investment_to_devotion": {"count": 1, "median": 30, "p90": 30},
    }
    # 5, 40, 50 days from approval
    assert all_["approval_to_activation_days"] == {"count": 3, "median": 40, "p90": 48}
    # eligible p1, p2, p3, p4; in time p1, p2
    assert all_["activated_within_target"] == {"eligible": 4, "activated": 2, "share": 0.5}


def test_funnel_by_program(vendor, world):
    groups = _by_label(funnel(vendor=vendor, group_by="program", now=NOW))
    alpha, beta = groups["Alpha"], groups["Beta"]
    assert alpha["key"] == world["a"].public_id
    assert alpha["stages"] == {
        "interest": 0, "recruitment": 1, "activation": 1, "investment": 1, "devotion": 0,
    }  # fmt: skip
    assert alpha["conversion"] == {
        "interest_to_recruitment": 1.0,
        "recruitment_to_activation": 0.6667,  # 2 / 3
        "activation_to_investment": 0.5,  # 1 / 2
        "investment_to_devotion": 0.0,  # 0 / 1
    }
    # 5 and 40 days: median 22.5, p90 5 + 0.9 * 35 = 36.5
    assert alpha["approval_to_activation_days"] == {"count": 2, "median": 22.5, "p90": 36.5}
    assert alpha["activated_within_target"] == {"eligible": 3, "activated": 2, "share": 0.6667}
    assert beta["reached"] == {
        "interest": 3, "recruitment": 3, "activation": 1, "investment": 1, "devotion": 1,
    }  # fmt: skip
    assert beta["conversion"]["recruitment_to_activation"] == 0.3333
    assert beta["activated_within_target"] == {"eligible": 1, "activated": 0, "share": 0.0}


def test_funnel_by_persona_uses_the_persona_activation_target(vendor, world):
    groups = _by_label(funnel(vendor=vendor, group_by="persona", now=NOW))
    assert list(groups) == ["Agency", "None"]
    assert groups["Agency"]["partnerships"] == 1
    assert groups["Agency"]["activated_within_target"] == {
        "eligible": 1, "activated": 1, "share": 1.0,
    }  # fmt: skip
    assert groups["None"]["partnerships"] == 5
    # eligible p2, p3, p4; in time p2
    assert groups["None"]["activated_within_target"] == {
        "eligible": 3, "activated": 1, "share": 0.3333,
    }  # fmt: skip


def test_funnel_by_join_source(vendor, world):
    groups = _by_label(funnel(vendor=vendor, group_by="join_source", now=NOW))
    assert groups["Net"]["partnerships"] == 3
    assert groups["Net"]["stages"]["recruitment"] == 2
    assert groups["Net"]["stages"]["devotion"] == 1
    assert groups["Net"]["activated_within_target"]["share"] == 0.0  # p3 and p4: 0 of 2
    assert groups["Web"]["activated_within_target"] == {
        "eligible": 2, "activated": 2, "share": 1.0,
    }  # fmt: skip
    assert groups["Web"]["conversion"]["recruitment_to_activation"] == 0.6667  # p1, p2 of 3


def test_funnel_by_join_month_cohort(vendor, world):
    groups = _by_label(funnel(vendor=vendor, group_by="cohort", now=NOW))
    assert list(groups) == ["2026-01", "2026-02", "2026-03", "2026-05"]
    assert groups["2026-01"]["conversion"]["recruitment_to_activation"] == 1.0
    assert groups["2026-01"]["activated_within_target"]["share"] == 1.0
    assert groups["2026-02"]["conversion"]["recruitment_to_activation"] == 0.5
    assert groups["2026-02"]["activated_within_target"] == {
        "eligible": 2, "activated": 0, "share": 0.0,
    }  # fmt: skip
    assert groups["2026-03"]["activated_within_target"]["share"] is None
    assert groups["2026-05"]["partnerships"] == 1


def test_funnel_for_a_period_and_a_program(vendor, world):
    [period] = funnel(
        vendor=vendor, joined_from=dt.date(2026, 2, 1), joined_to=dt.date(2026, 3, 31), now=NOW
    )
    assert period["partnerships"] == 3  # p3, p4, p6
    assert period["reached"]["activation"] == 1
    groups = _by_label(
        funnel(vendor=vendor, group_by="persona", program_id=world["a"].public_id, now=NOW)
    )
    assert {k: g["partnerships"] for k, g in groups.items()} == {"Agency": 1, "None": 2}


def test_funnel_of_another_vendor_sees_only_its_own(other_vendor, world):
    [theirs] = funnel(vendor=other_vendor, now=NOW)
    assert theirs["partnerships"] == 1
    assert theirs["stages"]["activation"] == 1
