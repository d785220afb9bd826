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


# Bulk ids are cut from one read of the OS random source: 17 bytes (136 bits) per candidate,
# kept when below the largest multiple of the id space that fits (~99.3 % are), so that the
# value modulo the space is exactly uniform, as ``randbelow`` is.
_DRAW_BYTES = 17
_DRAW_LIMIT = (1 << (8 * _DRAW_BYTES)) // _SPACE * _SPACE


def _encode(prefix: str, n: int) -> str:
    parts = []
    for _ in range(_LENGTH // 2):
        n, r = divmod(n, _PAIR_BASE)
        parts.append(_PAIRS[r])
    return f"{prefix}_" + "".join(parts)


def new_public_id(prefix: str) -> str:
    return _encode(prefix, secrets.randbelow(_SPACE))


def new_public_ids(prefix: str, count: int) -> list[str]:
    """``count`` ids, as ``new_public_id`` makes them, from one system call instead of one
    per id (1,000 per bulk request)."""
    ids: list[str] = []
    while len(ids) < count:
        pool = secrets.token_bytes(_DRAW_BYTES * (count - len(ids)))
        for start in range(0, len(pool), _DRAW_BYTES):
            n = int.from_bytes(pool[start : start + _DRAW_BYTES], "big")
            if n < _DRAW_LIMIT:
                ids.append(_encode(prefix, n % _SPACE))
    return ids
