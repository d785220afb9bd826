"""factory-boy factories. Tenant models are created through the named bypass
(``objects_unscoped``), because a factory runs outside any request or task scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import factory
from django.utils import timezone

from partnerhub.accounts.models import User
from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor
from partnerhub.webhooks.crypto import secret_encrypt
from partnerhub.webhooks.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from partnerhub.webhooks.services.endpoints import webhook_secret_generate


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class: Any) -> Any:
        return model_class.objects_unscoped


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    default_currency = "USD"
    time_zone = "UTC"


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    vendor = factory.SubFactory(VendorFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    vendor = factory.SubFactory(VendorFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MANAGER
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(16)).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


# --- programs ------------------------------------------------------------------------------


class ProgramFactory(TenantFactory):
    class Meta:
        model = "programs.Program"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    status = "active"
    application_mode = "approval"
    currency = "USD"


class PartnerPersonaFactory(TenantFactory):
    class Meta:
        model = "programs.PartnerPersona"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Persona {n}")
    typical_partner_type = "agency"


class PersonaRuleFactory(TenantFactory):
    class Meta:
        model = "programs.PersonaRule"

    vendor = factory.LazyAttribute(lambda o: o.persona.vendor)
    persona = factory.SubFactory(PartnerPersonaFactory)
    conditions = factory.LazyFunction(list)


class JoinSourceFactory(TenantFactory):
    class Meta:
        model = "programs.JoinSource"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    kind = "website"
    code = factory.Sequence(lambda n: f"src-{n}")


class CourseFactory(TenantFactory):
    class Meta:
        model = "programs.Course"

    vendor = factory.SubFactory(VendorFactory)
    title = factory.Sequence(lambda n: f"Course {n}")


class LessonFactory(TenantFactory):
    class Meta:
        model = "programs.Lesson"

    vendor = factory.LazyAttribute(lambda o: o.course.vendor)
    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    position = factory.Sequence(lambda n: n)
    body = "Read me."


class CertificationFactory(TenantFactory):
    class Meta:
        model = "programs.Certification"

    vendor = factory.SubFactory(VendorFactory)
    title = factory.Sequence(lambda n: f"Certification {n}")
    pass_mark_percent = 50
    questions = factory.LazyFunction(
        lambda: [
            {"text": "What do partners earn?", "choices": ["Nothing", "MRR share"], "answer": 1},
            {"text": "Who pays?", "choices": ["The vendor", "The partner"], "answer": 0},
        ]
    )


# --- partners ------------------------------------------------------------------------------


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.Partner"

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"partner{n}@partners.example")


class PartnerUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.PartnerUser"

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..partner.email"))


class PartnershipFactory(TenantFactory):
    class Meta:
        model = "partners.Partnership"

    vendor = factory.LazyAttribute(lambda o: o.program.vendor)
    program = factory.SubFactory(ProgramFactory)
    partner = factory.SubFactory(PartnerFactory)
    referral_code = factory.Sequence(lambda n: f"ref{n:05d}")
    status = "approved"
    stage = "recruitment"
    approved_at = factory.LazyFunction(timezone.now)


class ApplicationFactory(TenantFactory):
    class Meta:
        model = "partners.Application"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory, status="applied", approved_at=None)
    program = factory.LazyAttribute(lambda o: o.partnership.program)
    partner = factory.LazyAttribute(lambda o: o.partnership.partner)
    answers = factory.LazyFunction(dict)


class LeadFactory(TenantFactory):
    class Meta:
        model = "partners.Lead"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    company = factory.Sequence(lambda n: f"Initech {n}")
    contact_name = "Peter Gibbons"
    contact_email = factory.Sequence(lambda n: f"peter{n}@initech{n}.example")
    value_amount = 500000
    currency = factory.LazyAttribute(lambda o: o.partnership.program.currency)


class ReferralClickFactory(TenantFactory):
    class Meta:
        model = "partners.ReferralClick"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    landing = "https://acme.example/"


class ReferralDestinationFactory(TenantFactory):
    class Meta:
        model = "partners.ReferralDestination"

    vendor = factory.LazyAttribute(lambda o: o.program.vendor)
    program = factory.SubFactory(ProgramFactory)
    website_url = "https://acme.example"
    allowed_paths = factory.LazyFunction(list)


class PartnerImportFactory(TenantFactory):
    class Meta:
        model = "partners.PartnerImport"

    vendor = factory.SubFactory(VendorFactory)
    program = factory.SubFactory(ProgramFactory, vendor=factory.SelfAttribute("..vendor"))
    checksum = "0" * 64


class EventFactory(TenantFactory):
    class Meta:
        model = Event

    vendor = factory.SubFactory(VendorFactory)
    type = "partnership.created"
    data = factory.LazyAttribute(lambda o: {"id": "ptn_test", "status": "active"})
    actor_type = "system"


class WebhookEndpointFactory(TenantFactory):
    class Meta:
        model = WebhookEndpoint

    vendor = factory.SubFactory(VendorFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/partnerhub")
    event_types = factory.LazyFunction(lambda: ["*"])
    secret_encrypted = factory.LazyFunction(lambda: secret_encrypt(webhook_secret_generate()))


class WebhookDeliveryFactory(TenantFactory):
    class Meta:
        model = WebhookDelivery

    vendor = factory.SubFactory(VendorFactory)
    endpoint = factory.SubFactory(WebhookEndpointFactory, vendor=factory.SelfAttribute("..vendor"))
    event = factory.SubFactory(EventFactory, vendor=factory.SelfAttribute("..vendor"))
    status = DeliveryStatus.FAILED
    attempt_count = 1


class AuditEntryFactory(TenantFactory):
    class Meta:
        model = AuditEntry

    vendor = factory.SubFactory(VendorFactory)
    actor_label = "system"
    action = "api_key.created"
    target_type = "api_key"
    target_id = factory.Sequence(lambda n: f"key_{n:06d}")


class WebhookDeliveryAttemptFactory(TenantFactory):
    class Meta:
        model = WebhookDeliveryAttempt

    vendor = factory.SubFactory(VendorFactory)
    delivery = factory.SubFactory(WebhookDeliveryFactory, vendor=factory.SelfAttribute("..vendor"))
    number = 1
    succeeded = False
    response_status = factory.LazyAttribute(lambda o: 200 if o.succeeded else 500)
    duration_ms = 42


# --- payouts -------------------------------------------------------------------------------


class CustomerFactory(TenantFactory):
    class Meta:
        model = "payouts.Customer"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor if o.partnership else None)
    partnership = factory.SubFactory(PartnershipFactory)
    external_id = factory.Sequence(lambda n: f"cust-{n:06d}")
    attribution_method = "referral_code"
    attributed_at = factory.LazyFunction(timezone.now)
    signed_up_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3650))


class CommissionPlanFactory(TenantFactory):
    class Meta:
        model = "payouts.CommissionPlan"

    vendor = factory.LazyAttribute(lambda o: o.program.vendor)
    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    kind = "percent"
    rate = "0.150000"


class CommissionPlanTierFactory(TenantFactory):
    class Meta:
        model = "payouts.CommissionPlanTier"

    vendor = factory.LazyAttribute(lambda o: o.plan.vendor)
    plan = factory.SubFactory(CommissionPlanFactory)
    from_stage = "investment"
    rate = "0.200000"


class PartnerPayoutDetailsFactory(TenantFactory):
    class Meta:
        model = "payouts.PartnerPayoutDetails"

    vendor = factory.SubFactory(VendorFactory)
    partner = factory.SubFactory(PartnerFactory)
    method = "bank"
    country = "US"
    tax_form = "w9"
    tax_form_status = "verified"
    bank_reference = "US** **** 1234"


class RevenueBatchFactory(TenantFactory):
    """A settled batch of the given events (``event_ids``), as a bulk request leaves it."""

    class Meta:
        model = "payouts.RevenueBatch"

    vendor = factory.SubFactory(VendorFactory)
    event_ids = factory.LazyFunction(list)
    status = "settled"


class PayoutRunFactory(TenantFactory):
    class Meta:
        model = "payouts.PayoutRun"

    vendor = factory.LazyAttribute(lambda o: o.program.vendor)
    program = factory.SubFactory(ProgramFactory)
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 2, 1)
    status = "completed"


class PayoutFactory(TenantFactory):
    class Meta:
        model = "payouts.Payout"

    vendor = factory.LazyAttribute(lambda o: o.run.vendor)
    run = factory.SubFactory(PayoutRunFactory)
    program = factory.LazyAttribute(lambda o: o.run.program)
    partnership = factory.SubFactory(
        PartnershipFactory, program=factory.SelfAttribute("..run.program")
    )
    amount = 1000
    currency = "USD"
    status = "draft"


def paid_invoice(vendor: Vendor, amount: int = 10000) -> Any:
    """A stored invoice event (through the ingestion service) with its 15% commission."""
    from payouts.models import RevenueEvent
    from payouts.services.revenue import revenue_events_ingest

    program = ProgramFactory(vendor=vendor)
    CommissionPlanFactory(program=program)
    customer = CustomerFactory(partnership=PartnershipFactory(program=program))
    external_id = f"inv-{secrets.token_hex(6)}"
    revenue_events_ingest(
        vendor=vendor,
        items=[
            {
                "external_id": external_id,
                "customer": customer.external_id,
                "amount": amount,
                "currency": program.currency,
                "occurred_at": (timezone.now() - dt.timedelta(days=1)).isoformat(),
            }
        ],
    )
    return RevenueEvent.objects.for_vendor(vendor).get(external_id=external_id)


def invoice_ingest(
    customer: Any,
    amount: int = 10000,
    *,
    occurred_at: dt.datetime | None = None,
    external_id: str | None = None,
    kind: str = "invoice_paid",
    **extra: Any,
) -> Any:
    """Store one revenue event for ``customer`` through the ingestion service (commissions
    included) and return it; a refused item fails the test."""
    from payouts.models import RevenueEvent
    from payouts.services.revenue import revenue_events_ingest

    external_id = external_id or f"inv-{secrets.token_hex(6)}"
    currency = customer.partnership.program.currency if customer.partnership else "USD"
    report = revenue_events_ingest(
        vendor=customer.vendor,
        items=[
            {
                "external_id": external_id,
                "customer": customer.external_id,
                "kind": kind,
                "amount": amount,
                "currency": currency,
                "occurred_at": (occurred_at or timezone.now() - dt.timedelta(hours=1)).isoformat(),
                **extra,
            }
        ],
    )
    assert report.results[0].outcome == "stored", report.results[0].as_dict()
    return RevenueEvent.objects.for_vendor(customer.vendor).get(external_id=external_id)


class BillingIntegrationFactory(TenantFactory):
    class Meta:
        model = "payouts.BillingIntegration"

    vendor = factory.SubFactory(VendorFactory)
    webhook_secret = factory.LazyFunction(lambda: "whsec_" + secrets.token_hex(16))


# --- journey -------------------------------------------------------------------------------


class CourseProgressFactory(TenantFactory):
    class Meta:
        model = "partners.CourseProgress"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    course = factory.SubFactory(CourseFactory, vendor=factory.SelfAttribute("..vendor"))
    completed_at = factory.LazyFunction(timezone.now)


class CertificationAttemptFactory(TenantFactory):
    class Meta:
        model = "partners.CertificationAttempt"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    certification = factory.SubFactory(
        CertificationFactory, vendor=factory.SelfAttribute("..vendor")
    )
    score_percent = 100
    passed = True


class StageRuleFactory(TenantFactory):
    class Meta:
        model = "journey.StageRule"

    vendor = factory.LazyAttribute(lambda o: o.program.vendor)
    program = factory.SubFactory(ProgramFactory)
    stage = "activation"
    kind = "entry"
    criteria = factory.LazyFunction(
        lambda: [[{"metric": "certifications_passed", "op": "gte", "value": 1}]]
    )


class StageTransitionFactory(TenantFactory):
    class Meta:
        model = "journey.StageTransition"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    from_stage = "recruitment"
    to_stage = "activation"
    at = factory.LazyFunction(timezone.now)
    actor_type = "rule"
    rule = "activation entry"


class PartnershipNoteFactory(TenantFactory):
    class Meta:
        model = "partners.PartnershipNote"

    vendor = factory.LazyAttribute(lambda o: o.partnership.vendor)
    partnership = factory.SubFactory(PartnershipFactory)
    author_label = "manager@acme.example"
    body = factory.Sequence(lambda n: f"Called them about the Q{n % 4 + 1} campaign.")


def referral_clicks(partnership: Any, n: int) -> None:
    """``n`` clicks of the partnership's referral link (the rows ``click_record`` writes)."""
    from partners.models import ReferralClick

    ReferralClick.objects.for_vendor(partnership.vendor).bulk_create(
        [
            ReferralClick(
                vendor=partnership.vendor,
                public_id=ReferralClick.new_public_id(),
                partnership=partnership,
                landing="/pricing",
            )
            for _ in range(n)
        ]
    )
