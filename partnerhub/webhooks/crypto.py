"""Webhook signing secrets at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) under the keys of ``settings.WEBHOOK_SECRET_KEYS``.

The secret has to be recoverable (every delivery is signed with it), so it is encrypted
rather than hashed. The first key encrypts, every key decrypts (``MultiFernet``): to rotate
the key, put a new one first, run ``manage.py webhook_secrets_reencrypt``, then drop the old
one. Without configured keys one is derived from ``SECRET_KEY``, so a copy of the database
alone never yields a secret."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _keys() -> list[Fernet]:
    configured = list(getattr(settings, "WEBHOOK_SECRET_KEYS", []))
    if configured:
        return [Fernet(k) for k in configured]
    digest = hashlib.sha256(f"partnerhub.webhook-secrets:{settings.SECRET_KEY}".encode()).digest()
    return [Fernet(base64.urlsafe_b64encode(digest))]


def secret_encrypt(secret: str) -> str:
    return MultiFernet(_keys()).encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return MultiFernet(_keys()).decrypt(token.encode()).decode()


def secret_reencrypt(token: str) -> str:
    """The same secret under the first (newest) key."""
    return MultiFernet(_keys()).rotate(token.encode()).decode()
