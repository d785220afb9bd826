"""API: a partnership's notes, ``GET``/``POST /api/v1/partnerships/{id}/notes`` (issue #7).
Thin: the partnership is resolved in the key's vendor (404), the service writes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.base import VendorGenericAPIView
from partnerhub.api.pagination import CursorPagination
from partnerhub.core.access import vendor_object_get
from partners.models import Partnership, PartnershipNote
from partners.serializers import NoteOutputSerializer
from partners.services.notes import NOTE_MAX_CHARS, partnership_note_add


class NoteInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=NOTE_MAX_CHARS, help_text="The note's text.")


class NotePagination(CursorPagination):
    ordering = ("-created_at", "-id")


class PartnershipNotesApi(VendorGenericAPIView):
    """A partnership's notes, newest first; ``POST`` adds one (manager keys and above)."""

    tenant_model = PartnershipNote
    serializer_class = NoteOutputSerializer
    pagination_class = NotePagination

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(partnership__public_id=self.kwargs["partnership_id"]).select_related(
            "partnership"
        )

    def _partnership(self) -> Partnership:
        return vendor_object_get(
            Partnership, vendor=self.vendor, public_id=self.kwargs["partnership_id"]
        )

    @extend_schema(operation_id="partnership_notes_list", responses=NoteOutputSerializer(many=True))
    def get(self, request: Request, partnership_id: str) -> Response:
        self._partnership()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="partnership_note_create",
        request=NoteInputSerializer,
        responses={201: NoteOutputSerializer},
    )
    def post(self, request: Request, partnership_id: str) -> Response:
        partnership = self._partnership()  # 404 before reading the body
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = partnership_note_add(
            vendor=self.vendor,
            partnership_id=partnership.public_id,
            body=data.validated_data["body"],
            actor=self.actor,
        )
        return Response(NoteOutputSerializer(note).data, status=201)
