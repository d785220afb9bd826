"""Opaque prefixed public ids (``prg_…``, ``ptn_…``): never the sequential primary key."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 22  # 62**22 ≈ 2**131: ~131 bits of randomness
_SPACE = len(_ALPHABET) ** _LENGTH
# Two characters per step: 11 divmods per id instead of 22 ``secrets.choice`` calls (bulk
# ingestion makes two ids per event; this is ~20x cheaper and uniform over the same space).
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_PAIR_BASE = len(_PAIRS)


def new_public_id(prefix: str) -> str:
    n = secrets.randbelow(_SPACE)
    parts = []
    for _ in range(_LENGTH // 2):
        n, r = divmod(n, _PAIR_BASE)
        parts.append(_PAIRS[r])
    return f"{prefix}_" + "".join(parts)
