"""Re-encrypt every webhook signing secret under the newest key of WEBHOOK_SECRET_KEYS, so
an old key can be removed afterwards (docs/security.md, "Webhook signing secrets")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from partnerhub.tenancy.rls import rls_bypass
from partnerhub.webhooks.crypto import secret_reencrypt
from partnerhub.webhooks.locks import endpoints_lock_all


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        # A key rotation is an operator's cross-tenant job: the named bypass of tenancy.
        with rls_bypass(), transaction.atomic():
            for endpoint in endpoints_lock_all():
                endpoint.secret_encrypted = secret_reencrypt(endpoint.secret_encrypted)
                endpoint.save(update_fields=["secret_encrypted"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} webhook signing secret(s) with the newest key.")
