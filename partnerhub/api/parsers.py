"""The API's JSON parser."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# In JSON a NUL can only be written as this escape (a raw control character inside a string
# is invalid JSON), so a body without it cannot decode to a string holding one.
_NUL_ESCAPE = b"\\u0000"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON, minus the NUL character: PostgreSQL can store it in neither text nor jsonb, so
    a body carrying one is refused up front as a 400 instead of failing at the database.

    UTF-8 bodies are decoded by orjson (a 1,000-event bulk body: ~0.4 ms instead of ~0.8 ms,
    and the NUL walk, ~2 ms, only runs when the body contains the escape). Whatever orjson
    refuses (integers beyond 64 bits, lone surrogates, invalid JSON) goes through DRF's parser,
    so accepted documents, values and error messages stay exactly DRF's."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = stream.read() if stream is not None else b""
        data: Any = None
        parsed = False
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        if utf8:
            with contextlib.suppress(orjson.JSONDecodeError):
                data, parsed = orjson.loads(body), True
        if not parsed:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        if (_NUL_ESCAPE in body or not utf8) and _has_nul(data):
            raise ParseError("JSON strings may not contain the NUL character (\\u0000).")
        return data
