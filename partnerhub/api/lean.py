"""Hot API lists rendered from ``.values()`` rows instead of model instances.

For a 100-row page, DRF's ``ModelSerializer`` spends most of the request building a model
instance per row (and one per ``select_related`` join) and then walking each field's
``get_attribute``. :class:`ValuesListMixin` instead selects exactly the columns the output
serializer shows — related objects' public ids as primary-key subqueries — and renders each
cell with that serializer field's own ``to_representation``. The JSON is therefore the serializer's:
the OpenAPI schema, detail views and webhook payloads keep using the serializer itself, and
``tests/api/test_lean_lists.py`` compares both renderings row for row.

Supported serializer fields: plain model fields (any ``source`` path through foreign keys),
``PublicIdField``, nested serializers (``source`` a foreign key, or ``"*"``) and
``SerializerMethodField`` s the serializer maps in ``values_method_fields`` to a serializer
rendered over the same row. Anything else raises ``TypeError`` when the plan is built, so a
new field cannot silently render differently in lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from partnerhub.api.renderers import FastJSONRenderer
from partnerhub.api.serializers import PublicIdField

Row = dict[str, Any]
Render = Callable[[Row, tzinfo], dict[str, Any]]


@dataclass(frozen=True)
class RowPlan:
    """The columns to select and how to turn one ``.values()`` row into the output dict."""

    columns: tuple[str, ...]
    # Related public ids, ``<fk>__public_id``: selected by a subquery each (see select()).
    public_ids: dict[str, RawSQL]
    render: Render

    def select(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset.values()`` of the plan. A related public id is a scalar subquery on
        the primary key rather than a join: the same index lookups, but six left joins made
        the planner's join search cost ten times the query itself."""
        return queryset.values(*self.columns, **self.public_ids)


def _path(prefix: str, field: serializers.Field[Any, Any, Any, Any]) -> str:
    return prefix + "__".join(field.source_attrs)


def _is_plain_datetime(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    """A DateTimeField rendered with the settings' format in the current time zone (the
    fields set ``format`` / ``timezone`` attributes only when given other ones)."""
    return (
        type(field) is serializers.DateTimeField
        and not hasattr(field, "format")
        and not hasattr(field, "timezone")
        and settings.USE_TZ
        and isinstance(api_settings.DATETIME_FORMAT, str)
        and api_settings.DATETIME_FORMAT.lower() != ISO_8601
    )


# The API's DATETIME_FORMAT. For an aware UTC value (what psycopg2 returns) rendered in UTC
# (the API never activates another zone) it is ``isoformat()`` with ``Z`` for the offset, a
# third of the cost of ``astimezone(tz).strftime(format)``: 0.3-0.4 ms of a 100-row
# commission page, ~0.5 ms of a partnership page (five timestamps a row). ``%Y`` does not pad
# years before 1000, so those keep strftime.
_ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_UTC_ZONE = ZoneInfo("UTC")  # what get_current_timezone() returns under TIME_ZONE = "UTC"


# A step per output key, in the serializer's order: (key, column, kind, function) where
# function is the field's to_representation (CELL), the field (DATETIME) or the nested
# object's render (NESTED).
CELL, DATETIME, NESTED = 0, 1, 2
Step = tuple[str, str, int, Any]


# Model fields whose values come from the database as the str / int that DRF's CharField /
# IntegerField.to_representation would return: those cells are copied as they are.
_STR_COLUMNS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})
_INT_COLUMNS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def _model_field(model: type[Model], path: str) -> Any:
    field: Any = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def _to_representation(
    field: serializers.Field[Any, Any, Any, Any], model: type[Model], path: str
) -> Callable[[Any], Any] | None:
    """The cell's conversion, or None where it would return the database value unchanged."""
    column = _model_field(model, path)
    internal = column.get_internal_type() if hasattr(column, "get_internal_type") else ""
    kind = type(field)
    if internal in _STR_COLUMNS and kind in (
        serializers.CharField,
        serializers.EmailField,
        serializers.URLField,
        serializers.SlugField,
    ):
        return None  # str(value) of a str
    if (
        internal in _STR_COLUMNS
        and kind is serializers.ChoiceField
        and all(type(key) is str for key in field.choices)  # type: ignore[attr-defined]
    ):
        return None  # the choice key of a str key is that str
    if internal in _INT_COLUMNS and kind is serializers.IntegerField:
        return None  # int(value) of an int
    return field.to_representation


def _compile(
    serializer: serializers.Serializer[Any], model: type[Model], prefix: str, columns: list[str]
) -> Render:
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
            steps.append((name, "", NESTED, _compile(mapped[name](), model, prefix, columns)))
        elif isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
            raise TypeError(f"{where}.{name}: to-many fields are not supported")
        elif isinstance(field, serializers.Serializer):
            if field.source == "*":
                steps.append((name, "", NESTED, _compile(field, model, prefix, columns)))
            else:
                link = _path(prefix, field)  # the foreign key column: NULL → null object
                columns.append(link)
                inner = _compile(field, model, f"{link}__", columns)
                steps.append((name, "", NESTED, _or_null(link, inner)))
        elif type(field) is PublicIdField:
            steps.append((name, _path(prefix, field) + "__public_id", CELL, None))
        elif isinstance(field, serializers.RelatedField) or field.source == "*":
            raise TypeError(f"{where}.{name}: unsupported field for .values() lists")
        elif _is_plain_datetime(field):
            steps.append((name, _path(prefix, field), DATETIME, field))
        else:
            path = _path(prefix, field)
            steps.append((name, path, CELL, _to_representation(field, model, path)))
    columns.extend(column for _, column, kind, _ in steps if kind != NESTED)
    datetime_format = api_settings.DATETIME_FORMAT
    iso_utc = datetime_format == _ISO_UTC_FORMAT

    def render(row: Row, tz: tzinfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, column, kind, function in steps:
            if kind == NESTED:
                out[key] = function(row, tz)
                continue
            value = row[column]
            if value is None:
                pass
            elif kind == DATETIME:
                # DateTimeField.to_representation, with the zone looked up once per page.
                if value.tzinfo is None:
                    value = function.to_representation(value)
                elif (
                    iso_utc
                    and value.tzinfo is UTC
                    and (tz is _UTC_ZONE or tz is UTC)
                    and value.year >= 1000
                ):
                    value = value.isoformat(timespec="microseconds")[:-6] + "Z"
                else:
                    value = value.astimezone(tz).strftime(datetime_format)
            elif function is not None:
                value = function(value)
            out[key] = value
        return out

    return render


def _or_null(link: str, inner: Render) -> Render:
    def render(row: Row, tz: tzinfo) -> Any:
        return None if row[link] is None else inner(row, tz)

    return render


def _public_id_subquery(model: type[Model], fk: Any) -> RawSQL:
    q = connection.ops.quote_name
    related = fk.related_model._meta
    # Model metadata only, quoted; no input reaches this SQL.
    return RawSQL(  # noqa: S611
        f"SELECT r.{q('public_id')} FROM {q(related.db_table)} r "  # noqa: S608
        f"WHERE r.{q(related.pk.column)} = {q(model._meta.db_table)}.{q(fk.column)}",
        (),
        output_field=CharField(),
    )


@cache
def row_plan(serializer_class: type[serializers.Serializer[Any]], *extra: str) -> RowPlan:
    """The plan of a serializer (built once per process). ``extra`` columns are selected too
    (the pagination's ordering fields, which the cursor reads from each row)."""
    columns: list[str] = []
    model = serializer_class.Meta.model  # type: ignore[attr-defined]
    render = _compile(serializer_class(), model, "", columns)
    plain, public_ids = [], {}
    # Relations whose other columns are selected too (a nested object) are joined anyway:
    # their public id comes from that join, not from a second lookup per row.
    joined = {
        fk for fk, _, rest in (c.partition("__") for c in columns) if rest not in ("", "public_id")
    }
    for column in dict.fromkeys([*columns, *extra]):
        fk, _, rest = column.partition("__")
        field = model._meta.get_field(fk) if rest == "public_id" and fk not in joined else None
        if field is not None and field.many_to_one:
            subquery = _public_id_subquery(model, field)
            # Django hashes the copy of each expression a query makes, and works out the
            # hash (``identity``, via inspect.signature) once per object: hashed here, the
            # copies inherit it (~0.08 ms of query building per request for six of them).
            hash(subquery)
            public_ids[column] = subquery
        else:
            plain.append(column)
    return RowPlan(columns=tuple(plain), public_ids=public_ids, render=render)


class ValuesListMixin:
    """``list()`` rendered from ``.values()`` rows (module docstring). List it before
    ``mixins.ListModelMixin``; filters, scoping and cursor pagination are unchanged. The
    view's JSON is written by orjson, same bytes (partnerhub/api/renderers.py)."""

    renderer_classes: Sequence[type[BaseRenderer]] = (FastJSONRenderer,)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        ordering = getattr(view.paginator, "ordering", ()) if view.paginator else ()
        if isinstance(ordering, str):
            ordering = (ordering,)
        plan = row_plan(view.get_serializer_class(), *(f.lstrip("-") for f in ordering))
        queryset = plan.select(view.filter_queryset(view.get_queryset()))
        page = view.paginate_queryset(queryset)
        tz = timezone.get_current_timezone()
        if page is None:
            return Response([plan.render(row, tz) for row in queryset])
        return view.get_paginated_response([plan.render(row, tz) for row in page])
