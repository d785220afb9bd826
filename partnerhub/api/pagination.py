from __future__ import annotations

from typing import Any

from rest_framework import exceptions, pagination
from rest_framework.request import Request

MAX_LIMIT = 100


class CursorPagination(pagination.CursorPagination):
    """``{"next", "previous", "results"}``, ``?limit=`` (1 to 100) and an opaque ``?cursor=``.

    A ``limit`` above 100 is capped at 100; one that is not a positive integer, or a cursor
    that was not produced by us, is a 400 naming the parameter, not a silent default.
    """

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    # Newest first; the id breaks ties (rows written by one statement share created_at), so
    # the order is total and a page is one range of a (vendor, created_at, id) index.
    ordering = ("-created_at", "-id")

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise exceptions.ValidationError(
                {"limit": [f"limit must be an integer from 1 to {MAX_LIMIT}."]}
            )
        return min(value, MAX_LIMIT)

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {"cursor": ["Invalid cursor: pass the next or previous link unchanged."]}
            ) from exc

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "default": self.page_size,
                }
                parameter["description"] = (
                    f"Number of results per page; at most {MAX_LIMIT} (larger values are capped)."
                )
        return parameters
