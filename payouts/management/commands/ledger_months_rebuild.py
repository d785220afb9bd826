"""Recompute the ledger's monthly sums (LedgerMonth, the home page's 12-month trend) from the
revenue events and commissions: of every vendor, or of the vendors named by slug."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerhub.tenancy.models import Vendor
from partnerhub.tenancy.rls import rls_bypass
from payouts.services.ledger_months import ledger_months_rebuild


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("vendor_slugs", nargs="*", help="vendor slugs (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        slugs = options["vendor_slugs"]
        vendors = Vendor.objects.order_by("pk")
        if slugs:
            vendors = vendors.filter(slug__in=slugs)
            missing = set(slugs) - {v.slug for v in vendors}
            if missing:
                raise CommandError(f"no such vendor: {', '.join(sorted(missing))}")
        ids = list(vendors.values_list("pk", flat=True))
        # An operator's repair across tenants: the named bypass of tenancy.
        with rls_bypass():
            ledger_months_rebuild(vendor_ids=ids)
        self.stdout.write(f"Rebuilt the monthly ledger sums of {len(ids)} vendor(s).")
