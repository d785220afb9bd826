from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """``{"next", "previous", "results"}``, ``?limit=`` (1 to 100) and an opaque ``?cursor=``."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = "-created_at"
