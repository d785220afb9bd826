"""Deploy checks, the OpenAPI schema and docs, the demo data and the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from devtools.demo import DEMO_USERS, demo_seed
from partnerhub.api.models import APIKey
from partnerhub.tenancy.models import Membership, Vendor

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_check_deploy_with_prod_settings_is_clean():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerhub.settings.prod",
        "SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-key",
        "ALLOWED_HOSTS": "partners.example.com",
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_prod_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partnerhub.settings.prod", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_openapi_schema_describes_the_api_and_its_auth():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].endswith("json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/vendor", "/api/v1/members", "/api/v1/members/{member_id}"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_api_docs_are_served_from_local_assets():
    page = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    # Every script and stylesheet is served from our own /static/ (no CDN, works offline).
    import re

    external = re.findall(r'(?:src|href)="(https?:)?//[^"]+"', page)
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in page
    asset = Client().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


@pytest.mark.django_db
def test_health_check_reports_database_and_redis():
    body = Client().get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_the_owner_can_log_in(demo):
    demo_seed()  # the second run: the fixture's data set is the first
    vendor = Vendor.objects.get(slug="acme")
    roles = sorted(Membership.objects.for_vendor(vendor).values_list("role", flat=True))
    assert roles == ["admin", "manager", "owner", "viewer"]
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": DEMO_USERS[0].email, "password": "partnerhub-demo"}
    )
    assert response.status_code == 302
    assert client.get("/app/acme/").status_code == 200


@pytest.mark.django_db
def test_apikey_command_creates_a_working_key_and_revokes_it(vendor, capsys):
    call_command("apikey", "create", "--vendor", "acme", "--name", "cli")
    raw_key = capsys.readouterr().out.strip()
    assert raw_key.startswith("phk_")
    assert Client().get("/api/v1/vendor", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code == 200
    key = APIKey.objects.for_vendor(vendor).get()
    call_command("apikey", "list", "--vendor", "acme")
    listing = capsys.readouterr().out
    assert key.public_id in listing
    assert raw_key not in listing
    call_command("apikey", "revoke", "--vendor", "acme", key.public_id)
    assert Client().get("/api/v1/vendor", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code == 401


@pytest.mark.django_db
def test_apikey_command_refuses_an_unknown_vendor():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No vendor"):
        call_command("apikey", "create", "--vendor", "nobody")


@pytest.mark.django_db
def test_database_connections_run_without_jit_compilation():
    # JIT compilation cost more than it saved on the per-vendor aggregates of the dashboard
    # and the journey evaluation (docs/performance.md); base settings turn it off.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
