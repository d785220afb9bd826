from typing import Any

from django.core.management.base import BaseCommand

from devtools.demo import DEMO_PARTNER_EMAIL, DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Load the demo vendor and its members (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = demo_seed()
        self.stdout.write(f"Demo vendor {vendor.name!r} at /app/{vendor.slug}/")
        for login in DEMO_USERS:
            self.stdout.write(f"  {login.role:<8} {login.email} / {DEMO_PASSWORD}")
        self.stdout.write(f"  partner  {DEMO_PARTNER_EMAIL} / {DEMO_PASSWORD} (at /portal/)")
