from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerhub.api.models import APIKey
from partnerhub.api.services import api_key_create, api_key_revoke
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role, Vendor

# An operator at the shell: no dashboard user to name.
_ACTOR = Actor.system("manage.py apikey")


class Command(BaseCommand):
    help = "Create, list or revoke a vendor's API keys. The secret is printed once, on create."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("--vendor", required=True, help="vendor slug")
        create.add_argument("--name", default="CLI key")
        create.add_argument(
            "--role", default=Role.ADMIN, choices=[Role.ADMIN, Role.MANAGER, Role.VIEWER]
        )
        listing = sub.add_parser("list", help="list keys (never the secrets)")
        listing.add_argument("--vendor", required=True)
        revoke = sub.add_parser("revoke", help="revoke a key by its id (key_…)")
        revoke.add_argument("--vendor", required=True)
        revoke.add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = Vendor.objects.filter(slug=options["vendor"]).first()
        if vendor is None:
            raise CommandError(f"No vendor with slug {options['vendor']!r}.")
        action = options["action"]
        if action == "create":
            try:
                created = api_key_create(
                    vendor=vendor, name=options["name"], role=options["role"], actor=_ACTOR
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stderr.write(
                f"Created {created.api_key.public_id} ({created.api_key.role}) for {vendor.slug}. "
                "Store the key now; it is not shown again:"
            )
            self.stdout.write(created.raw_key)
        elif action == "list":
            for key in APIKey.objects.for_vendor(vendor).order_by("-created_at"):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                self.stdout.write(
                    f"{key.public_id}  {key.prefix}…  {key.role:<8} {state:<18} {key.name}"
                )
        else:
            if not APIKey.objects.for_vendor(vendor).filter(public_id=options["key_id"]).exists():
                raise CommandError(f"No key {options['key_id']!r} in vendor {vendor.slug}.")
            api_key_revoke(vendor=vendor, key_id=options["key_id"], actor=_ACTOR)
            self.stdout.write(f"Revoked {options['key_id']}.")
