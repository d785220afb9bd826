"""Hot API lists rendered from ``.values()`` rows instead of model instances.

For a 100-row page, DRF's ``ModelSerializer`` spends most of the request building a model
instance per row (and one per ``select_related`` join) and then walking each field's
``get_attribute``. :class:`ValuesListMixin` instead selects exactly the columns the output
serializer shows — related objects' public ids as joined columns — and renders each cell with
that serializer field's own ``to_representation``. The JSON is therefore the serializer's:
the OpenAPI schema, detail views and webhook payloads keep using the serializer itself, and
``tests/api/test_lean_lists.py`` compares both renderings row for row.

Supported serializer fields: plain model fields (any ``source`` path through foreign keys),
``PublicIdField``, nested serializers (``source`` a foreign key, or ``"*"``) and
``SerializerMethodField`` s the serializer maps in ``values_method_fields`` to a serializer
rendered over the same row. Anything else raises ``TypeError`` when the plan is built, so a
new field cannot silently render differently in lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Model, OuterRef, QuerySet, Subquery
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from partnerhub.api.serializers import PublicIdField

Row = dict[str, Any]


@dataclass(frozen=True)
class RowPlan:
    """The columns to select and how to turn one ``.values()`` row into the output dict."""

    columns: tuple[str, ...]
    # Related public ids: ``<fk>__public_id`` → the foreign key it is read through.
    public_ids: tuple[tuple[str, str, type[Model]], ...]
    render: Callable[[Row], dict[str, Any]]

    def select(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset.values()`` of the plan. A related public id is a scalar subquery on
        the primary key rather than a join: the same index lookups, but six left joins made
        the planner's join search cost ten times the query itself."""
        subqueries = {
            column: Subquery(related._base_manager.filter(pk=OuterRef(fk)).values("public_id")[:1])
            for column, fk, related in self.public_ids
        }
        return queryset.values(*self.columns, **subqueries)


def _path(prefix: str, field: serializers.Field[Any, Any, Any, Any]) -> str:
    return prefix + "__".join(field.source_attrs)


Step = tuple[str, str, Callable[[Any], Any] | None, Callable[[Row], Any] | None]


def _compile(
    serializer: serializers.Serializer[Any], prefix: str, columns: list[str]
) -> Callable[[Row], dict[str, Any]]:
    # One step per output key, in the serializer's order: (key, column, to_representation)
    # for a cell, (key, "", None, render) for a nested object.
    steps: list[Step] = []
    mapped = getattr(type(serializer), "values_method_fields", {})
    where = type(serializer).__name__
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.SerializerMethodField):
            if name not in mapped:
                raise TypeError(
                    f"{where}.{name}: map the method field in values_method_fields to render "
                    "it from .values() rows"
                )
            steps.append((name, "", None, _compile(mapped[name](), prefix, columns)))
        elif isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
            raise TypeError(f"{where}.{name}: to-many fields are not supported")
        elif isinstance(field, serializers.Serializer):
            if field.source == "*":
                steps.append((name, "", None, _compile(field, prefix, columns)))
            else:
                link = _path(prefix, field)  # the foreign key column: NULL → null object
                columns.append(link)
                inner = _compile(field, f"{link}__", columns)
                steps.append((name, "", None, _or_null(link, inner)))
        elif type(field) is PublicIdField:
            steps.append((name, _path(prefix, field) + "__public_id", None, None))
        elif isinstance(field, serializers.RelatedField) or field.source == "*":
            raise TypeError(f"{where}.{name}: unsupported field for .values() lists")
        else:
            steps.append((name, _path(prefix, field), field.to_representation, None))
    columns.extend(column for _, column, _, inner in steps if inner is None)

    def render(row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, column, to_representation, inner in steps:
            if inner is not None:
                out[key] = inner(row)
                continue
            value = row[column]
            if value is not None and to_representation is not None:
                value = to_representation(value)
            out[key] = value
        return out

    return render


def _or_null(link: str, inner: Callable[[Row], Any]) -> Callable[[Row], Any]:
    def render(row: Row) -> Any:
        return None if row[link] is None else inner(row)

    return render


@cache
def row_plan(serializer_class: type[serializers.Serializer[Any]], *extra: str) -> RowPlan:
    """The plan of a serializer (built once per process). ``extra`` columns are selected too
    (the pagination's ordering fields, which the cursor reads from each row)."""
    columns: list[str] = []
    render = _compile(serializer_class(), "", columns)
    model = serializer_class.Meta.model  # type: ignore[attr-defined]
    plain, public_ids = [], []
    for column in dict.fromkeys([*columns, *extra]):
        fk, _, rest = column.partition("__")
        field = model._meta.get_field(fk) if rest == "public_id" else None
        if field is not None and field.many_to_one:
            public_ids.append((column, fk, field.related_model))
        else:
            plain.append(column)
    return RowPlan(columns=tuple(plain), public_ids=tuple(public_ids), render=render)


class ValuesListMixin:
    """``list()`` rendered from ``.values()`` rows (module docstring). List it before
    ``mixins.ListModelMixin``; filters, scoping and cursor pagination are unchanged."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        ordering = getattr(view.paginator, "ordering", ()) if view.paginator else ()
        if isinstance(ordering, str):
            ordering = (ordering,)
        plan = row_plan(view.get_serializer_class(), *(f.lstrip("-") for f in ordering))
        queryset = plan.select(view.filter_queryset(view.get_queryset()))
        page = view.paginate_queryset(queryset)
        if page is None:
            return Response([plan.render(row) for row in queryset])
        return view.get_paginated_response([plan.render(row) for row in page])
