"""The demo vendor that ``make run`` loads: idempotent, so running it again changes nothing.

Everything after the vendor and its members goes through the apps' services, as a real
vendor's data would: programs, personas and join sources; partners invited or applying;
customers attributed to partnerships and 12 months of revenue events ingested by the payouts
ledger (commissions included); the journey evaluation moving partnerships through the stages
(real ``StageTransition`` history); one completed payout run with approved and paid payouts;
managers' notes; referral-link clicks (so the portal's funnel has a top). Two things are moved
back in time after the services wrote them, because no service writes the past: a few invited
partners' approval date (so some are past their activation target: *at risk*), and the
notes' dates.

Longer than ~500 lines on purpose: it is one script read top to bottom, a vendor's story
in the order it happens; split, the order would be lost.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Membership, Role, Vendor
from partnerhub.tenancy.services import vendor_create, vendor_health_summary_compute

DEMO_PASSWORD = "partnerhub-demo"  # noqa: S105 - published demo log-in, local only
DEMO_VENDOR_SLUG = "acme"
DEMO_PARTNER_EMAIL = "partner@agency.example"
DEMO_WEBHOOK_URL = "https://example.com/partnerhub-demo-webhook"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


DEMO_USERS = [
    DemoLogin("owner@acme.example", Role.OWNER),
    DemoLogin("admin@acme.example", Role.ADMIN),
    DemoLogin("manager@acme.example", Role.MANAGER),
    DemoLogin("viewer@acme.example", Role.VIEWER),
]


@cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # once: hashing is deliberately slow


def _demo_user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name)
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def demo_seed() -> Vendor:
    """Create (or complete) the demo vendor "Acme Analytics" with one member per role, and
    its partner program data (once: a vendor that already has the demo programs is left
    alone)."""
    owner = _demo_user(DEMO_USERS[0].email, "Olivia Owner")
    vendor = Vendor.objects.filter(slug=DEMO_VENDOR_SLUG).first()
    if vendor is None:
        vendor = vendor_create(
            name="Acme Analytics",
            slug=DEMO_VENDOR_SLUG,
            owner=owner,
            default_currency="USD",
            time_zone="America/New_York",
        )
    for login in DEMO_USERS[1:]:
        user = _demo_user(login.email, f"{login.role.title()} Demo")
        Membership.objects.for_vendor(vendor).get_or_create(
            vendor=vendor, user=user, defaults={"role": login.role}
        )
    from programs.models import Program

    if not Program.objects.for_vendor(vendor).filter(slug=_REFERRAL_SLUG).exists():
        _DemoPrograms(vendor=vendor, owner=owner).build()
    _demo_partner_user()
    return vendor


def _demo_partner_user() -> None:
    """The partner log-in of the demo: linked to the demo agency's partner account."""
    from partners.models import Partner, PartnerUser

    user = _demo_user(DEMO_PARTNER_EMAIL, "Paula Partner")
    partner = Partner.objects.filter(email=DEMO_PARTNER_EMAIL).first()
    if partner is not None:
        PartnerUser.objects.get_or_create(user=user, defaults={"partner": partner})


# --- the partner program data ----------------------------------------------------------------

_REFERRAL_SLUG = "agency-referral"
_AFFILIATE_SLUG = "affiliates"
_FIRST_NAMES = [
    "Northwind", "Bluebird", "Copperleaf", "Driftwood", "Evergreen", "Foxglove", "Granite",
    "Harbor", "Ironbark", "Juniper", "Kestrel", "Lakeside", "Meridian", "Nimbus", "Oakridge",
    "Pinecrest", "Quarry", "Redwood", "Summit", "Tidewater", "Upland", "Vantage", "Willow",
    "Yarrow", "Zephyr", "Alder", "Birch", "Cedar", "Dune", "Ember",
]  # fmt: skip
_KINDS = ["Digital", "Growth", "Data", "Analytics", "Labs", "Partners"]

# (stage the revenue should take it to, how many, customers each, monthly amount range,
# months of revenue) — the journey evaluation decides the stage, not this table.
_PLAN = [
    ("activation", 14, 1, (4_900, 9_900), 2),
    ("investment", 14, 3, (9_900, 19_900), 7),
    ("devotion", 10, 3, (34_900, 49_900), 12),
]


class _DemoPrograms:
    def __init__(self, *, vendor: Vendor, owner: User) -> None:
        self.vendor, self.owner = vendor, owner
        self.actor = Actor.for_user(owner)
        self.rng = random.Random(20261121)  # demo data, not security
        self.now = timezone.now()
        self.names = iter(f"{a} {b}" for b in _KINDS for a in _FIRST_NAMES)
        self.revenue: list[dict[str, Any]] = []
        self.n_customers = 0

    def build(self) -> None:
        from journey.services.evaluation import journey_evaluate
        from payouts.services.revenue import revenue_events_ingest

        referral, affiliate = self._programs()
        partnerships = self._partnerships(referral, affiliate)
        for start in range(0, len(self.revenue), 1000):
            revenue_events_ingest(
                vendor=self.vendor, items=self.revenue[start : start + 1000], source="api"
            )
        self._refund()
        with connection.cursor() as cursor:  # fresh tables: give the planner real statistics
            cursor.execute("ANALYZE payouts_revenueevent, payouts_customer, payouts_commission")
        self._at_risk()
        journey_evaluate(vendor=self.vendor)
        self._payout_run(referral, partnerships)
        self._clicks(partnerships)
        self._notes(partnerships[0])
        self._onboarding_and_leads(referral, partnerships[0])
        self._webhook()
        vendor_health_summary_compute(vendor=self.vendor, day=timezone.localdate())

    # programs, personas, join sources, plans
    def _programs(self) -> tuple[Any, Any]:
        from payouts.services.plans import commission_plan_create
        from programs.services import join_source_create, persona_create, program_create

        referral = program_create(
            vendor=self.vendor,
            actor=self.actor,
            name="Agency Referral Program",
            slug=_REFERRAL_SLUG,
            kind="referral",
            status="active",
            currency="USD",
            landing_headline="Agencies earn 15% of what their clients pay, for good.",
        )
        affiliate = program_create(
            vendor=self.vendor,
            actor=self.actor,
            name="Affiliate Program",
            slug=_AFFILIATE_SLUG,
            kind="affiliate",
            status="active",
            currency="USD",
            landing_headline="Creators and review sites: 20% of the first 12 months.",
        )
        for program, plan, rate, months in [
            (referral, "15% recurring", "0.150000", None),
            (affiliate, "20% for 12 months", "0.200000", 12),
        ]:
            commission_plan_create(
                vendor=self.vendor,
                program_id=program.public_id,
                name=plan,
                kind="percent",
                rate=rate,
                duration_months=months,
                actor=Actor.system("demo seed"),
            )
        self.personas = {
            key: persona_create(
                vendor=self.vendor,
                actor=self.actor,
                program_id=program.public_id,
                name=name,
                description=description,
                typical_partner_type=key,
            )
            for key, program, name, description in [
                ("agency", referral, "Digital agency", "Runs analytics set-ups for 10-50 clients."),
                ("consultant", referral, "Independent consultant", "A handful of loyal clients."),
                ("creator", affiliate, "Content creator", "Writes tutorials and tool reviews."),
            ]
        }
        self.sources = [
            join_source_create(
                vendor=self.vendor, actor=self.actor, name=name, kind=kind, code=code
            )
            for name, kind, code in [
                ("Website partner page", "website", "website"),
                ("Partner newsletter", "email", "newsletter"),
                ("LinkedIn ads", "paid_ads", "linkedin"),
                ("Sales team outreach", "internal_outreach", "outreach"),
            ]
        ]
        return referral, affiliate

    # partnerships: invited (recruitment), applying (interest), earning (later stages)
    def _partnerships(self, referral: Any, affiliate: Any) -> list[Any]:
        from partners.models import Partnership
        from partners.services.applications import application_submit
        from partners.services.imports import partners_import_csv

        created: list[Any] = []
        demo_partner = self._invite(referral, "Agency Example", DEMO_PARTNER_EMAIL, "agency")
        self._customers(demo_partner, count=3, amounts=(29_900, 44_900), months=12, annual=True)
        created.append(demo_partner)
        for stage, count, customers, amounts, months in _PLAN:
            for i in range(count):
                program, persona = (
                    (affiliate, "creator")
                    if i % 3 == 2
                    else (referral, ("agency", "consultant")[i % 2])
                )
                partnership = self._invite(program, next(self.names), None, persona)
                slipping = stage == "investment" and i < 2
                self._customers(
                    partnership,
                    count=customers + (i % 2 if stage != "activation" else 0),
                    amounts=amounts,
                    months=months,
                    annual=stage == "devotion" and i % 4 == 0,
                    stop_months_ago=3 if slipping else 0,
                )
                created.append(partnership)
        self.not_earning: list[Any] = []
        for _ in range(14):  # invited, not earning yet
            program = referral if self.rng.random() < 0.7 else affiliate
            persona = "creator" if program == affiliate else "agency"
            self.not_earning.append(self._invite(program, next(self.names), None, persona))
        created += self.not_earning
        for _ in range(8):  # applied, waiting for a decision
            name = next(self.names)
            application_submit(
                program=self.rng.choice([referral, affiliate]),
                email=_email(name),
                name=name,
                company_name=name,
            )
        # A list from a partner marketplace, imported: interest, until invited or applying.
        rows = ["email,name,persona,join_source"]
        for _ in range(6):
            name = next(self.names)
            rows.append(f"{_email(name)},{name},Digital agency,outreach")
        partners_import_csv(
            vendor=self.vendor,
            program_id=referral.public_id,
            content="\n".join(rows).encode(),
            file_name="marketplace-leads.csv",
            actor=self.actor,
        )
        return [p for p in created if p.status == Partnership.Status.APPROVED]

    def _invite(self, program: Any, name: str, email: str | None, persona: str) -> Any:
        from partners.services.partnerships import partnership_invite

        return partnership_invite(
            vendor=self.vendor,
            program_id=program.public_id,
            email=email or _email(name),
            name=name,
            persona_id=self.personas[persona].public_id,
            join_source_id=self.rng.choice(self.sources).public_id,
            actor=self.actor,
            send_email=False,
        )

    def _customers(
        self,
        partnership: Any,
        *,
        count: int,
        amounts: tuple[int, int],
        months: int,
        annual: bool = False,
        stop_months_ago: int = 0,
    ) -> None:
        from payouts.services.customers import customer_create

        for c in range(count):
            self.n_customers += 1
            external_id = f"demo-cus-{self.n_customers:04d}"
            first = self.now - dt.timedelta(days=30 * (months - 1) + 5)
            customer_create(
                vendor=self.vendor,
                external_id=external_id,
                email=f"billing{self.n_customers}@client.example",
                name=f"Client {self.n_customers}",
                partnership_id=partnership.public_id,
                attribution_method="referral_code",
                attribution_ref=partnership.referral_code,
                signed_up_at=first - dt.timedelta(days=3),
                actor=Actor.system("demo"),
            )
            amount = self.rng.randrange(amounts[0], amounts[1] + 1, 100)
            if annual and c == 0:
                start = first.date()
                self.revenue.append(
                    {
                        "external_id": f"{external_id}-annual",
                        "customer": external_id,
                        "amount": amount * 12,
                        "currency": "USD",
                        "occurred_at": first.isoformat(),
                        "period_start": start.isoformat(),
                        "period_end": (start + dt.timedelta(days=365)).isoformat(),
                    }
                )
                continue
            for m in range(months - 1, stop_months_ago - 1, -1):
                at = self.now - dt.timedelta(days=30 * m + 5)
                self.revenue.append(
                    {
                        "external_id": f"{external_id}-{at:%Y%m}",
                        "customer": external_id,
                        "amount": amount,
                        "currency": "USD",
                        "occurred_at": at.isoformat(),
                    }
                )

    def _refund(self) -> None:
        """One partial refund of a demo invoice (its commission gets a clawback)."""
        from payouts.services.revenue import revenue_events_ingest

        invoice = self.revenue[-1]
        revenue_events_ingest(
            vendor=self.vendor,
            items=[
                {
                    "external_id": f"{invoice['external_id']}-refund",
                    "customer": invoice["customer"],
                    "kind": "refund",
                    "refunds": invoice["external_id"],
                    "amount": invoice["amount"] // 2,
                    "currency": "USD",
                    "occurred_at": timezone.now().isoformat(),
                }
            ],
        )

    def _payout_run(self, program: Any, partnerships: list[Any]) -> None:
        """Last month's run of the referral program: payout details for most partners, the
        run executed, its complete payouts approved and half of them paid."""
        from payouts.models import Payout, PayoutStatus
        from payouts.services.payout_details import payout_details_set, payout_details_verify
        from payouts.services.runs import (
            payout_mark_paid,
            payout_run_execute,
            payout_run_start,
            payouts_approve,
        )

        for n, partnership in enumerate(partnerships):
            if n % 7 == 6:
                continue  # a few partners without details: their payouts are held
            details = payout_details_set(
                vendor=self.vendor,
                partner_id=partnership.partner_id,
                actor=self.actor,
                method="bank",
                country="US",
                tax_form="w9",
                tax_form_status="submitted",
                bank_reference=f"US** **** {1000 + n}",
            )
            payout_details_verify(
                vendor=self.vendor, details_id=details.public_id, actor=self.actor
            )
        last_month = (self.now.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        run, _ = payout_run_start(
            vendor=self.vendor,
            program_id=program.public_id,
            period=last_month,
            actor=self.actor,
        )
        payout_run_execute(vendor=self.vendor, run_id=run.pk)
        drafts = list(
            Payout.objects.for_vendor(self.vendor)
            .filter(run=run, status=PayoutStatus.DRAFT)
            .order_by("id")
            .values_list("public_id", flat=True)
        )
        if drafts:
            payouts_approve(vendor=self.vendor, payout_ids=drafts, actor=self.actor)
        for n, payout_id in enumerate(drafts):
            if n % 2 == 0:
                payout_mark_paid(
                    vendor=self.vendor,
                    payout_id=payout_id,
                    reference=f"DEMO-TRANSFER-{n + 1:04d}",
                    actor=self.actor,
                )

    def _at_risk(self) -> None:
        """Five invited partners were approved 75 to 140 days ago and never earned: past their
        activation target, so the dashboard's *partners at risk* list has them."""
        from partners.models import Partnership

        for n, partnership in enumerate(self.not_earning[:5]):
            approved = self.now - dt.timedelta(days=75 + 16 * n)
            Partnership.objects.for_vendor(self.vendor).filter(pk=partnership.pk).update(
                approved_at=approved, invited_at=approved, stage_entered_at=approved
            )

    def _clicks(self, partnerships: list[Any]) -> None:
        """Referral-link clicks: about 40 per customer for earning partners, a few for some
        who have not converted anyone yet. The same rows ``click_record`` writes."""
        from partners.models import ReferralClick
        from payouts.models import Customer

        customers = dict(
            Customer.objects.for_vendor(self.vendor)
            .filter(partnership__isnull=False)
            .values_list("partnership_id")
            .annotate(n=Count("id"))
        )
        rows = []
        for partnership in partnerships + self.not_earning[:8]:
            count = customers.get(partnership.pk, 0) * self.rng.randint(25, 55)
            count = count or self.rng.randint(3, 30)
            rows += [
                ReferralClick(
                    vendor=self.vendor,
                    public_id=ReferralClick.new_public_id(),
                    partnership=partnership,
                    landing=self.rng.choice(["/", "/pricing", "/features", "/blog/agency-guide"]),
                    referrer=self.rng.choice(
                        ["", "https://www.linkedin.com/", "https://news.example/"]
                    ),
                )
                for _ in range(count)
            ]
        ReferralClick.objects.for_vendor(self.vendor).bulk_create(rows, batch_size=1000)

    def _notes(self, demo_partnership: Any) -> None:
        """Managers' notes in the timelines of the demo partner and the partners at risk."""
        from partners.models import PartnershipNote
        from partners.services.notes import partnership_note_add

        manager = User.objects.get(email="manager@acme.example")
        notes = [
            (
                demo_partnership,
                40,
                "Kick-off call: they serve about 30 clients on analytics set-ups.",
            ),
            (demo_partnership, 12, "Agreed a joint webinar for March; they send the guest list."),
            (demo_partnership, 2, "Asked for the annual-plan discount code for two prospects."),
        ]
        for n, partnership in enumerate(self.not_earning[:5]):
            notes.append(
                (
                    partnership,
                    20 + n,
                    "No customer yet. Sent the onboarding course again and offered a call.",
                )
            )
        for partnership, days_ago, text in notes:
            note = partnership_note_add(
                vendor=self.vendor,
                partnership_id=partnership.public_id,
                body=text,
                actor=Actor.for_user(manager),
            )
            PartnershipNote.objects.for_vendor(self.vendor).filter(pk=note.pk).update(
                created_at=self.now - dt.timedelta(days=days_ago)
            )

    def _onboarding_and_leads(self, referral: Any, demo_partnership: Any) -> None:
        """The referral program's onboarding (a course and a quiz), the demo partner halfway
        through the course, and the deals it registered: one accepted, two waiting."""
        from attribution.services.leads import lead_accept, lead_register
        from partners.services.onboarding import lesson_complete
        from programs.services import certification_create, course_create, lesson_create

        course = course_create(
            vendor=self.vendor,
            actor=self.actor,
            title="Selling Acme Analytics to your clients",
            program_id=referral.public_id,
            description="Three short lessons: the product, the pitch, the referral link.",
            is_required=True,
        )
        lessons = [
            lesson_create(
                vendor=self.vendor,
                actor=self.actor,
                course_id=course.public_id,
                title=title,
                position=n,
                body=body,
            )
            for n, (title, body) in enumerate(
                [
                    (
                        "What Acme Analytics does",
                        "Dashboards for e-commerce teams, set up in a day.",
                    ),
                    ("The five-minute pitch", "Lead with the time saved, then show the live demo."),
                    ("Your referral link", "Put it in proposals; every signup is attributed."),
                ]
            )
        ]
        certification_create(
            vendor=self.vendor,
            actor=self.actor,
            title="Acme Certified Agency",
            program_id=referral.public_id,
            pass_mark_percent=50,
            questions=[
                {
                    "text": "Who pays your commission?",
                    "choices": ["Acme", "The client"],
                    "answer": 0,
                },
                {"text": "How long is it paid?", "choices": ["12 months", "For good"], "answer": 1},
            ],
        )
        for lesson in lessons[:2]:
            lesson_complete(partnership=demo_partnership, lesson_id=lesson.public_id)
        leads = [
            lead_register(
                partnership=demo_partnership,
                company=company,
                contact_name=name,
                contact_email=email,
                value_amount=value,
            )
            for company, name, email, value in [
                ("Brightside Dental", "Ana Ruiz", "ana@brightside-dental.example", 358_800),
                ("Harbor Outfitters", "Ben Cho", "ben@harbor-outfitters.example", 598_800),
                ("Kiln & Co", "Cleo Park", "cleo@kiln-co.example", 238_800),
            ]
        ]
        manager = User.objects.get(email="manager@acme.example")
        lead_accept(
            vendor=self.vendor,
            lead_id=leads[0].public_id,
            reason="Not a customer yet; we will attribute them when they sign up.",
            actor=Actor.for_user(manager),
        )

    def _webhook(self) -> None:
        """A disabled endpoint: the demo never delivers anything to the internet."""
        from partnerhub.webhooks.services.endpoints import webhook_endpoint_create

        webhook_endpoint_create(
            vendor=self.vendor,
            url=DEMO_WEBHOOK_URL,
            event_types=["*"],
            description="Demo endpoint (disabled: enable it with your own receiver's URL)",
            enabled=False,
            actor=self.actor,
        )


def _email(name: str) -> str:
    return f"hello@{name.lower().replace(' ', '-')}.example"
