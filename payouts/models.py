"""Customers, revenue events, commission plans, the commission ledger and payouts.

Money is an integer number of minor units plus an ISO-4217 currency; rates are ``Decimal``
fractions (``0.150000`` = 15 %). ``CommissionPlan`` lives here rather than in ``programs``
because the plan is a ledger concept (it is what a commission row points at) and the
``programs`` migrations are owned elsewhere; it still hangs off ``programs.Program``.

The ledger (``Commission``), the revenue events and the payouts are append-only **in the
database**: triggers installed by migration ``0002_ledger_triggers`` refuse a change of an
amount column, an illegal status move, and any DELETE (see that migration).

Longer than ~500 lines on purpose: one models module per app is the Django convention, and
these reference each other (the ledger points at events, plans, customers and payouts).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from partnerhub.tenancy.models import (
    CURRENCY_VALIDATOR,
    TenantModel,
    Vendor,
    vendor_public_id_constraint,
)
from partners.stages import Stage


class AttributionMethod(models.TextChoices):
    CLICK = "click", "Referral link click"
    REFERRAL_CODE = "referral_code", "Referral code"
    DEAL = "deal", "Registered deal"
    MANUAL = "manual", "Manual (by a manager)"
    API = "api", "Given by the integrator"


class Customer(TenantModel):
    """A customer of the vendor, known by the vendor's own id, attributed to (at most) one
    partnership. ``attribution_method``/``attribution_ref`` say how (e.g. the click or deal
    id); ``attributed_at`` when."""

    # The partner-facing portal reads these rows with ``objects.for_partner(partner)``.
    PARTNER_FIELD = "partnership__partner"

    class Status(models.TextChoices):
        LEAD = "lead", "Not paying yet"
        ACTIVE = "active", "Paying"
        CHURNED = "churned", "Churned"

    external_id = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    partnership = models.ForeignKey(
        "partners.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    attribution_method = models.CharField(
        max_length=16, choices=AttributionMethod.choices, blank=True
    )
    attribution_ref = models.CharField(max_length=100, blank=True)
    attributed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LEAD)
    first_paid_at = models.DateTimeField(null=True, blank=True)
    # When a paying customer stopped paying (``customer_churn``); cleared by an invoice paid
    # after it. A churned customer keeps its commissions but leaves the paying customers and
    # the attributed MRR of its partnership.
    churned_at = models.DateTimeField(null=True, blank=True)
    # Normalised monthly recurring revenue of the latest paid invoice (minor units).
    mrr_amount = models.BigIntegerField(default=0)
    mrr_currency = models.CharField(max_length=3, blank=True)
    signed_up_at = models.DateTimeField(null=True, blank=True)
    # A referral that was not attributed because it looks like self-referral (the partner's
    # own e-mail or company domain): the partnership that claimed it, for a manager to decide.
    flagged_partnership = models.ForeignKey(
        "partners.Partnership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    flag_reason = models.CharField(max_length=200, blank=True)

    public_id_prefix = "cus"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "external_id"], name="payouts_customer_vendor_external_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "partnership", "status"]),
            # The customers page order (newest first): a page is an index range, not a sort
            # of every customer of the vendor. created_at never changes, so the MRR updates
            # of ingestion stay HOT.
            models.Index(fields=["vendor", "created_at", "id"], name="payouts_cus_vendor_created"),
        ]

    def __str__(self) -> str:
        return self.external_id


class RevenueEvent(TenantModel):
    """Money the vendor received from (invoice paid) or returned to (refund, chargeback) a
    customer. ``amount`` is always positive; ``kind`` gives the direction."""

    class Kind(models.TextChoices):
        INVOICE_PAID = "invoice_paid", "Invoice paid"
        REFUND = "refund", "Refund"
        CHARGEBACK = "chargeback", "Chargeback"

    external_id = models.CharField(max_length=200)
    # Foreign keys without their own single-column index: the composite indexes below
    # (all beginning with ``vendor``) serve every look-up, and each index is paid on every
    # insert of the ledger's hot path (see docs/payouts.md, "What each guard costs").
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    # The partnership the customer was attributed to when the event arrived (a snapshot).
    partnership = models.ForeignKey(
        "partners.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    occurred_at = models.DateTimeField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # MRR of an invoice: the amount spread over the months its period covers.
    mrr_amount = models.BigIntegerField(default=0)
    refunded_event = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        db_index=False,
    )
    source = models.CharField(max_length=16, default="api")  # api, csv, stripe

    public_id_prefix = "rev"

    class Meta(TenantModel.Meta):
        ordering = ["-occurred_at", "-id"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "external_id"], name="payouts_revenueevent_vendor_external_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payouts_revenueevent_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "customer", "occurred_at"]),
            models.Index(fields=["vendor", "partnership", "occurred_at"]),
            # Only refunds and chargebacks have a refunded event: invoices add no entry.
            models.Index(
                fields=["vendor", "refunded_event"],
                condition=models.Q(refunded_event__isnull=False),
                name="payouts_rev_vendor_refunded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class CommissionPlan(TenantModel):
    """How a program pays: a share of revenue (recurring for N months or the customer's
    lifetime), or a flat bounty per new paying customer or per accepted lead. A plan with a
    persona applies only to that persona's partnerships and replaces the persona-less plans of
    the same kind for them. Stage tiers raise the rate from a journey stage on."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent of revenue"
        BOUNTY_CUSTOMER = "bounty_customer", "Bounty per new paying customer"
        BOUNTY_LEAD = "bounty_lead", "Bounty per accepted lead"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="commission_plans"
    )
    persona = models.ForeignKey(
        "programs.PartnerPersona",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commission_plans",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERCENT)
    rate = models.DecimalField(max_digits=9, decimal_places=6, default=0)
    bounty_amount = models.BigIntegerField(default=0)
    duration_months = models.PositiveIntegerField(
        null=True, blank=True, help_text="Months after the first payment; empty = lifetime."
    )
    cap_per_customer_amount = models.BigIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    public_id_prefix = "cpl"

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            vendor_public_id_constraint(),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=1), name="payouts_plan_rate_fraction"
            ),
            models.CheckConstraint(
                condition=models.Q(bounty_amount__gte=0), name="payouts_plan_bounty_nonneg"
            ),
        ]
        indexes = [models.Index(fields=["vendor", "program", "is_active"])]

    def __str__(self) -> str:
        return self.name


class CommissionPlanTier(TenantModel):
    """A higher rate from a journey stage on (e.g. 20 % from Investment)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="tiers")
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    rate = models.DecimalField(max_digits=9, decimal_places=6)

    public_id_prefix = "cpt"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "plan", "from_stage"], name="payouts_tier_vendor_plan_stage_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=1), name="payouts_tier_rate_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} from {self.from_stage}"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", "Pending (in hold)"
    AVAILABLE = "available", "Available"
    IN_PAYOUT = "in_payout", "In a payout"
    PAID = "paid", "Paid"
    REVERSED = "reversed", "Reversed"


class Commission(TenantModel):
    """One line of the append-only ledger: what a partnership earned from one revenue event
    under one plan (or, negative, what a refund took back: ``reverses`` points at it)."""

    # The partner-facing portal reads these rows with ``objects.for_partner(partner)``.
    PARTNER_FIELD = "partnership__partner"

    class Kind(models.TextChoices):
        PERCENT = "percent", "Share of revenue"
        BOUNTY = "bounty", "Bounty"
        CLAWBACK = "clawback", "Clawback (refund/chargeback)"

    # Foreign keys without their own single-column index (as on RevenueEvent): the
    # ``vendor``-first composites and unique constraints below serve every look-up, and a
    # status move rewrites an entry in every index, so each one costs twice per payout.
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
    partnership = models.ForeignKey(
        "partners.Partnership",
        on_delete=models.PROTECT,
        related_name="commissions",
        db_index=False,
    )
    plan = models.ForeignKey(
        CommissionPlan, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    revenue_event = models.ForeignKey(
        RevenueEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissions",
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    base_amount = models.BigIntegerField(default=0)  # the revenue it was computed from
    occurred_at = models.DateTimeField()
    available_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=CommissionStatus.choices, default=CommissionStatus.PENDING
    )
    payout = models.ForeignKey(
        "Payout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissions",
        db_index=False,
    )
    # The accepted lead a ``bounty_lead`` plan paid for.
    lead = models.ForeignKey(
        "partners.Lead",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    public_id_prefix = "com"

    class Meta(TenantModel.Meta):
        ordering = ["-occurred_at", "-id"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "revenue_event", "plan"],
                name="payouts_commission_vendor_event_plan_uniq",
            ),
            # A bounty per new customer is earned once per customer and plan.
            models.UniqueConstraint(
                fields=["vendor", "customer", "plan"],
                condition=models.Q(kind="bounty"),
                name="payouts_commission_vendor_customer_bounty_uniq",
            ),
            # A lead bounty is earned once per accepted lead and plan.
            models.UniqueConstraint(
                fields=["vendor", "lead", "plan"],
                condition=models.Q(lead__isnull=False),
                name="payouts_commission_vendor_lead_plan_uniq",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="in_payout") | models.Q(payout__isnull=False),
                name="payouts_commission_in_payout_has_payout",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "partnership", "status"]),
            models.Index(fields=["vendor", "status", "available_at"]),
            # Partial: only rows that are (or were) in a payout, or that reverse another.
            models.Index(
                fields=["vendor", "payout"],
                condition=models.Q(payout__isnull=False),
                name="payouts_com_vendor_payout",
            ),
            models.Index(
                fields=["vendor", "reverses"],
                condition=models.Q(reverses__isnull=False),
                name="payouts_com_vendor_reverses",
            ),
            models.Index(fields=["vendor", "occurred_at"]),
            # The API list order (partnerhub/api/pagination.py): a page is an index range.
            models.Index(fields=["vendor", "created_at", "id"], name="payouts_com_vendor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id}: {self.amount} {self.currency}"


class LedgerMonth(TenantModel):
    """The ledger summed per vendor, month and currency: the attributed MRR of the paid
    invoices (``mrr_amount`` of ``invoice_paid`` events with a partnership) and the commission
    cost (every commission but the reversed ones) of one month, the month cut in the vendor's
    time zone. The home page's 12-month trend reads these few rows instead of every event and
    commission of the year.

    Exact and current, never a cache: statement-level triggers on the two ledger tables
    (migration ``0009``) add each write's integer sums in the writer's own statement and
    transaction, whoever writes (API, CSV, Stripe, ledger, payout runs); a change of the
    vendor's time zone rebuilds its rows. ``manage.py ledger_months_rebuild`` recomputes them
    from the ledger (after writes that skip triggers, such as ``bench_seed``). A month may have
    several rows (``slot``): concurrent writers of one vendor add to different rows instead
    of queueing on one row lock until they commit; readers sum them."""

    month = models.DateField()  # first day of the month, in the vendor's time zone
    currency = models.CharField(max_length=3)
    slot = models.PositiveSmallIntegerField(default=0)
    mrr_amount = models.BigIntegerField(default=0)
    commission_amount = models.BigIntegerField(default=0)

    public_id_prefix = "lmo"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "month", "currency", "slot"],
                name="payouts_ledgermonth_vendor_month_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.currency}: {self.mrr_amount} / {self.commission_amount}"


class RevenueBatch(TenantModel):
    """The revenue events one ingestion call stored, and whether their commissions exist yet.

    Bulk API requests store their events and a *pending* batch, and answer; a task enqueued
    on commit (``revenue_events_settle_task``), or the sweeper behind it, computes the
    commissions of the vendor's pending batches in id order and marks them *settled* in the
    same transaction. Every other ingestion path settles in its own transaction (its batch is
    written settled). The partial index keeps "this vendor's pending batches" a short index
    range however many settled batches accumulate."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SETTLED = "settled", "Settled"

    event_ids = ArrayField(models.BigIntegerField())
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=16, default="api")
    settled_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "rvb"

    class Meta(TenantModel.Meta):
        constraints = [vendor_public_id_constraint()]
        indexes = [
            models.Index(
                fields=["vendor", "id"],
                name="payouts_revbatch_pending_idx",
                condition=models.Q(status="pending"),
            ),
            # The API list order (partnerhub/api/pagination.py): a page is an index range.
            models.Index(fields=["vendor", "created_at", "id"], name="payouts_revbatch_created"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({len(self.event_ids)} events, {self.status})"


class PayoutRun(TenantModel):
    """One payout run of a program for a period; unique per (vendor, program, period)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()  # exclusive
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    partnerships_total = models.PositiveIntegerField(default=0)
    partnerships_done = models.PositiveIntegerField(default=0)
    payouts_created = models.PositiveIntegerField(default=0)
    carried_forward = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "prun"

    class Meta(TenantModel.Meta):
        ordering = ["-period_start", "-id"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "program", "period_start"],
                name="payouts_run_vendor_program_period_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.public_id} ({self.period_start})"

    @property
    def progress_percent(self) -> int:
        if not self.partnerships_total:
            return 100 if self.status == self.Status.COMPLETED else 0
        return int(100 * self.partnerships_done / self.partnerships_total)


class PayoutStatus(models.TextChoices):
    HELD = "held", "Held"
    DRAFT = "draft", "Draft (to review)"
    APPROVED = "approved", "Approved"
    PROCESSING = "processing", "Sending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payout(TenantModel):
    """One payment to one partnership's partner, in one currency, for one run. Its amount is
    the sum of its commissions (set once, never updated)."""

    # The partner-facing portal reads these rows with ``objects.for_partner(partner)``.
    PARTNER_FIELD = "partnership__partner"

    class Provider(models.TextChoices):
        MANUAL = "manual", "Manual (bank / PayPal mass payout)"
        STRIPE = "stripe", "Stripe Connect"

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    partnership = models.ForeignKey(
        "partners.Partnership", on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    commissions_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=PayoutStatus.choices)
    held_reason = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=16, choices=Provider.choices, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "po"

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "run", "partnership", "currency"],
                name="payouts_payout_vendor_run_ptn_currency_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payouts_payout_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "status"]),
            models.Index(fields=["vendor", "partnership", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"payout {self.public_id}: {self.amount} {self.currency}"


class PartnerPayoutDetails(TenantModel):
    """How a vendor pays one partner: method, country, tax form and its status, and the
    partner's own minimum payout. Payouts are held until these are complete."""

    # The partner-facing portal reads these rows with ``objects.for_partner(partner)``.
    PARTNER_FIELD = "partner"

    class Method(models.TextChoices):
        BANK = "bank", "Bank transfer"
        PAYPAL = "paypal", "PayPal"
        STRIPE = "stripe", "Stripe Connect"

    class TaxForm(models.TextChoices):
        W9 = "w9", "W-9 (US persons)"
        W8BEN = "w8ben", "W-8BEN (non-US persons)"

    class TaxFormStatus(models.TextChoices):
        MISSING = "missing", "Missing"
        SUBMITTED = "submitted", "Submitted"
        VERIFIED = "verified", "Verified"

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="payout_details"
    )
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    tax_form = models.CharField(max_length=8, choices=TaxForm.choices, blank=True)
    tax_form_status = models.CharField(
        max_length=16, choices=TaxFormStatus.choices, default=TaxFormStatus.MISSING
    )
    paypal_email = models.EmailField(blank=True)
    bank_reference = models.CharField(max_length=200, blank=True)  # e.g. masked IBAN
    stripe_account_id = models.CharField(max_length=100, blank=True)
    minimum_payout_amount = models.BigIntegerField(default=0)

    public_id_prefix = "ppd"

    class Meta(TenantModel.Meta):
        constraints = [
            vendor_public_id_constraint(),
            models.UniqueConstraint(
                fields=["vendor", "partner"], name="payouts_details_vendor_partner_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"payout details of {self.partner_id}"

    @property
    def missing(self) -> list[str]:
        """What is still needed before this partner can be paid (empty = complete)."""
        needed = []
        if not self.method:
            needed.append("payout method")
        if not self.country:
            needed.append("country")
        expected = self.TaxForm.W9 if self.country == "US" else self.TaxForm.W8BEN
        if self.tax_form != expected or self.tax_form_status == self.TaxFormStatus.MISSING:
            needed.append(f"tax form {self.TaxForm(expected).label.split(' ')[0]}")
        if self.method == self.Method.STRIPE and not self.stripe_account_id:
            needed.append("Stripe account")
        if self.method == self.Method.PAYPAL and not self.paypal_email:
            needed.append("PayPal e-mail")
        return needed


class BillingIntegration(TenantModel):
    """An inbound billing webhook (Stripe format): the vendor points Stripe at
    ``/hooks/stripe/<public_id>/`` and we verify each delivery with ``webhook_secret``."""

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"

    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.STRIPE)
    webhook_secret = models.CharField(max_length=200, help_text="Stripe's whsec_… signing secret.")
    is_active = models.BooleanField(default=True)
    last_received_at = models.DateTimeField(null=True, blank=True)

    public_id_prefix = "bil"

    class Meta(TenantModel.Meta):
        constraints = [vendor_public_id_constraint()]

    def __str__(self) -> str:
        return f"{self.provider} integration {self.public_id}"
