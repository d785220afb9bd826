"""Session and CSRF cookies in production: secure (HTTPS only) and out of JavaScript's reach."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

PRINT_COOKIE_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "DEBUG", "SECURE_SSL_REDIRECT"]}))
"""


@pytest.mark.slow
def test_prod_session_cookie_is_secure_and_http_only():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerhub.settings.prod",
        "SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-key",
        "ALLOWED_HOSTS": "partners.example.com",
    }
    result = subprocess.run(  # noqa: S603 -- fixed argv: this interpreter and a constant script
        [sys.executable, "-c", PRINT_COOKIE_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
    }
