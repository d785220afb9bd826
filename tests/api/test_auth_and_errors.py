"""The API's front door: keys, roles, and one error shape for every failure."""

import pytest
from rest_framework.test import APIClient

from partnerhub.api.models import APIKey
from partnerhub.api.services import api_key_create, api_key_revoke
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role

pytestmark = pytest.mark.django_db


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) >= {"type", "code", "message", "field"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    return error


def test_a_request_without_a_key_gets_401_in_the_error_format():
    response = APIClient().get("/api/v1/vendor")
    error = assert_error(response, 401, code="not_authenticated")
    assert error["type"] == "authentication_error"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Basic abc:def", "Bearer a b", "Token phk_x", "bearer"]
)
def test_a_malformed_authorization_header_gets_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get("/api/v1/vendor"), 401)


def test_an_unknown_key_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer phk_notarealkeyatallnotarealkeyatall12")
    assert_error(client.get("/api/v1/vendor"), 401, code="invalid_api_key")


def test_a_valid_key_reads_its_vendor_and_records_last_use(vendor, api_client_for):
    client = api_client_for(vendor)
    response = client.get("/api/v1/vendor")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == vendor.public_id
    assert body["id"].startswith("ven_")
    assert body["slug"] == "acme"
    assert body["default_currency"] == "USD"
    assert APIKey.objects.for_vendor(vendor).get(pk=client.api_key.pk).last_used_at is not None


def test_a_revoked_key_gets_401(vendor):
    created = api_key_create(actor=Actor.system(), vendor=vendor, name="billing")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.raw_key}")
    assert client.get("/api/v1/vendor").status_code == 200
    api_key_revoke(actor=Actor.system(), vendor=vendor, key_id=created.api_key.public_id)
    assert_error(client.get("/api/v1/vendor"), 401, code="invalid_api_key")


def test_keys_are_stored_hashed_and_identifiable_by_prefix(vendor):
    created = api_key_create(actor=Actor.system(), vendor=vendor, name="billing")
    stored = APIKey.objects.for_vendor(vendor).get()
    assert created.raw_key.startswith(stored.prefix)
    assert created.raw_key not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64


def test_a_viewer_key_cannot_change_the_vendor(vendor, api_client_for):
    client = api_client_for(vendor, role=Role.VIEWER)
    error = assert_error(client.patch("/api/v1/vendor", {"name": "Hacked"}, format="json"), 403)
    assert error["type"] == "permission_error"
    vendor.refresh_from_db()
    assert vendor.name == "Acme Analytics"


def test_an_admin_key_changes_the_vendor(vendor, api_client_for):
    client = api_client_for(vendor)
    response = client.patch(
        "/api/v1/vendor", {"name": "Acme Inc", "time_zone": "Europe/Berlin"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Acme Inc"
    vendor.refresh_from_db()
    assert (vendor.name, vendor.time_zone) == ("Acme Inc", "Europe/Berlin")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"default_currency": "usd"}, "default_currency"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_fields_get_400_naming_the_field_and_change_nothing(
    vendor, api_client_for, payload, field
):
    client = api_client_for(vendor)
    error = assert_error(client.patch("/api/v1/vendor", payload, format="json"), 400, field=field)
    assert error["type"] == "invalid_request_error"
    vendor.refresh_from_db()
    assert (vendor.name, vendor.default_currency, vendor.time_zone) == (
        "Acme Analytics",
        "USD",
        "UTC",
    )


def test_a_non_json_body_gets_a_clear_4xx(vendor, api_client_for):
    client = api_client_for(vendor)
    response = client.generic(
        "PATCH", "/api/v1/vendor", "{not json", content_type="application/json"
    )
    assert_error(response, 400, code="parse_error")
    response = client.generic("PATCH", "/api/v1/vendor", "name=x", content_type="text/plain")
    assert_error(response, 415, code="unsupported_media_type")


def test_an_unknown_api_route_gets_404_json(vendor, api_client_for):
    assert_error(api_client_for(vendor).get("/api/v1/nope"), 404, code="not_found")
    assert_error(APIClient().get("/api/v2/vendor"), 404, code="not_found")


def test_a_wrong_method_gets_405_json(vendor, api_client_for):
    assert_error(api_client_for(vendor).delete("/api/v1/vendor"), 405)


def test_a_nul_character_anywhere_in_the_body_is_a_400(vendor, api_client_for):
    client = api_client_for(vendor)
    response = client.generic(
        "PATCH", "/api/v1/vendor", '{"name": "Acme\\u0000"}', content_type="application/json"
    )
    assert_error(response, 400, code="parse_error")
    vendor.refresh_from_db()
    assert vendor.name == "Acme Analytics"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": "Acme"', "application/json"),  # truncated
        ('{"name": NaN}', "application/json"),  # not JSON (DRF's strict mode)
        ('{"name": "Acme\\u0000"}', "application/json; charset=latin-1"),  # NUL, not UTF-8
    ],
)
def test_a_body_the_json_parser_refuses_is_a_400_and_changes_nothing(
    vendor, api_client_for, body, content_type
):
    response = api_client_for(vendor).generic(
        "PATCH", "/api/v1/vendor", body.encode("latin-1"), content_type=content_type
    )
    assert_error(response, 400, code="parse_error")
    vendor.refresh_from_db()
    assert vendor.name == "Acme Analytics"


def test_json_beyond_what_orjson_reads_is_parsed_as_drf_does(vendor, api_client_for):
    """An integer wider than 64 bits and a lone surrogate are valid JSON that orjson does
    not read: the request is answered as before (the amount refused with its reason, the
    surrogate refused by the field), not failed as a parse error."""
    client = api_client_for(vendor)
    response = client.generic(
        "PATCH", "/api/v1/vendor", '{"name": "\\ud800"}', content_type="application/json"
    )
    assert_error(response, 400, code="surrogate_characters_not_allowed", field="name")
    body = (
        '{"items": [{"external_id": "big", "customer": "c", "amount": 100000000000000000000,'
        ' "currency": "USD", "occurred_at": "2026-01-05T12:00:00Z"}]}'
    )
    response = client.generic(
        "POST", "/api/v1/revenue-events/bulk", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    result = response.json()["results"][0]
    assert (result["outcome"], result["field"]) == ("refused", "amount")
    assert (response.json()["commissions"], response.json()["batch"]) == ("none", None)


def test_authentication_loads_the_key_and_its_vendor_as_the_orm_would_in_one_query(
    vendor, django_assert_num_queries
):
    from django.forms.models import model_to_dict

    from partnerhub.api.services import api_key_authenticate
    from partnerhub.tenancy.models import Vendor

    created = api_key_create(actor=Actor.system(), vendor=vendor, name="billing", role=Role.MANAGER)
    api_key_authenticate(raw_key=created.raw_key)  # first use: records last_used_at
    with django_assert_num_queries(1):
        api_key = api_key_authenticate(raw_key=created.raw_key)
    assert api_key is not None
    stored = APIKey.objects.for_vendor(vendor).select_related("vendor").get()

    def fields(obj):
        return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}

    assert fields(api_key) == fields(stored)
    assert fields(api_key.vendor) == fields(Vendor.objects.get(pk=vendor.pk))
    assert model_to_dict(api_key.vendor) == model_to_dict(vendor)
    assert api_key.role == Role.MANAGER
    assert api_key._state.adding is False
