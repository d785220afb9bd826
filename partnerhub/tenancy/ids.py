"""Opaque prefixed public ids (``prg_…``, ``ptn_…``): never the sequential primary key."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 22  # ~131 bits of randomness


def new_public_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
