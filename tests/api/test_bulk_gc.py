"""Bulk POSTs run with the cyclic garbage collector paused, and always give it back."""

from __future__ import annotations

import gc

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from partnerhub.api.base import GCPausedPostMixin, VendorAPIView, gc_paused
from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.tenancy.context import reset_current_vendor, set_current_vendor

pytestmark = pytest.mark.django_db

seen: list[bool] = []


class _BulkApi(GCPausedPostMixin, VendorAPIView):
    """A stand-in bulk endpoint (revenue events use the same mixin)."""

    def get(self, request, *args, **kwargs):
        seen.append(gc.isenabled())
        return Response({})

    def post(self, request, *args, **kwargs):
        seen.append(gc.isenabled())
        if request.data.get("fail"):
            raise RuntimeError("the handler failed")
        return Response({"received": len(request.data["items"])})


def _send(vendor, method: str, body: dict | None = None):
    raw_key = api_key_create(actor=Actor.system(), vendor=vendor, name="gc").raw_key
    factory = APIRequestFactory()
    request = getattr(factory, method)(
        "/api/v1/bulk", body, format="json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    token = set_current_vendor(None)  # the middleware's job when a view runs in a request
    try:
        return _BulkApi.as_view()(request)
    finally:
        reset_current_vendor(token)


def test_a_bulk_post_runs_with_the_collector_paused_and_enables_it_after(vendor):
    seen.clear()
    assert _send(vendor, "post", {"items": [{"n": 1}, {"n": 2}]}).data == {"received": 2}
    assert _send(vendor, "get").status_code == 200
    assert seen == [False, True]  # paused for the POST only
    assert gc.isenabled()


def test_the_collector_is_enabled_again_when_the_post_fails(vendor):
    with pytest.raises(RuntimeError):
        _send(vendor, "post", {"items": [], "fail": True})
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_outer_one_to_resume():
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not resume it under the outer one
    assert gc.isenabled()
