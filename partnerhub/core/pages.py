"""Small bases of the dashboard's list and form pages (programs and partners apps)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from partnerhub.tenancy.pages import VendorDashboardView, form_errors_from

PAGE_SIZE = 50


class ListPage(VendorDashboardView):
    """A filtered, paginated list. Subclasses give ``items()``; ``?page=`` pages."""

    def items(self) -> QuerySet[Any]:
        raise NotImplementedError

    def filter_choice(self, qs: QuerySet[Any], name: str, allowed: list[str]) -> QuerySet[Any]:
        """Narrow by ``?<name>=`` when it is one of ``allowed`` (anything else is ignored)."""
        value = self.request.GET.get(name)
        return qs.filter(**{name: value}) if value in allowed else qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(self.items(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(page=page, items=page.object_list, query=query.urlencode())
        return context


class FormPage(VendorDashboardView):
    """Create (no object kwarg) or edit (``lookup_kwarg`` in the URL) one object through a
    service. The object is resolved in the vendor's scope first, so another vendor's id is 404
    whatever the body."""

    model: ClassVar[type[Model]]
    lookup_kwarg: ClassVar[str] = ""
    success_url_name: ClassVar[str] = ""
    noun: ClassVar[str] = "object"

    def get_object(self) -> Any:
        object_id = self.kwargs.get(self.lookup_kwarg)
        if not object_id:
            return None
        return get_object_or_404(
            self.model.objects.for_vendor(self.vendor),  # type: ignore[attr-defined]
            public_id=object_id,
        )

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        raise NotImplementedError

    def save(self, form: BaseForm, obj: Any) -> Any:
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("object", self.get_object())
        context.setdefault("form", self.make_form())
        context["noun"] = self.noun
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = self.save(form, obj)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"{self.noun.capitalize()} {saved} saved.")
                return redirect(self.success_url_name, vendor_slug=self.vendor.slug)
        return self.render_to_response(self.get_context_data(form=form, object=obj), status=400)


def page_of(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class LedgerPage:
    """One page of a list too long to count on every view (the commission ledger: ~200,000
    rows a year per vendor; counting them took 60-280 ms, more after a payout run until
    the next vacuum). Reads the page's rows plus one, which says whether an older page
    exists: one query whatever the list's length or filter. Newer / older links, no total;
    a page past the end shows the first page (as a list that moved on since it was read)."""

    paginator = None  # no total: _pager.html shows "Page N"

    def __init__(self, request: HttpRequest, queryset: Any, size: int = PAGE_SIZE) -> None:
        raw = request.GET.get("page", "")
        self.number = max(int(raw), 1) if raw.isdigit() else 1
        rows = list(queryset[(self.number - 1) * size : self.number * size + 1])
        if not rows and self.number > 1:
            self.number, rows = 1, list(queryset[: size + 1])
        self.object_list, self._more = rows[:size], len(rows) > size

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
