"""``manage.py journey_evaluate [--vendor slug] [--dry-run]``: evaluate the stage rules now,
vendor by vendor, with a progress bar on stderr."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journey.services.evaluation import journey_evaluate
from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Vendor


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Evaluate the partner-journey stage rules (all vendors, or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendor", help="Slug of one vendor")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the moves without making them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendors = Vendor.objects.order_by("slug")
        if options["vendor"]:
            vendors = vendors.filter(slug=options["vendor"])
            if not vendors.exists():
                raise CommandError(f"No vendor with slug {options['vendor']!r}.")
        vendor_list = list(vendors)
        dry_run = options["dry_run"]
        total_planned = total_moved = 0
        for done, vendor in enumerate(vendor_list, start=1):
            with vendor_scope(vendor):
                result = journey_evaluate(vendor=vendor, dry_run=dry_run)
            total_planned += result.planned
            total_moved += result.moved
            if sys.stderr.isatty():
                self.stderr.write(f"\r{_bar(done, len(vendor_list))}", ending="")
            if dry_run:
                for move in result.plan:
                    steps = " → ".join([move.from_stage, *(s[1] for s in move.steps)])
                    self.stdout.write(f"{vendor.slug} partnership {move.partnership_id}: {steps}")
        if sys.stderr.isatty():
            self.stderr.write("")
        verb = "would move" if dry_run else "moved"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(vendor_list)} vendor(s): {verb} {total_planned if dry_run else total_moved} "
                "partnership(s)."
            )
        )
