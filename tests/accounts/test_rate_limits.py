"""allauth's rate limits on log-in, sign-up and password reset, counted in the real Redis."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from tests.conftest import cache_empty, cache_keys

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
TOO_MANY = "Too many failed login attempts"


def _log_in(client: Client, password: str):
    return client.post("/accounts/login/", {"login": "person@acme.example", "password": password})


def test_the_rate_limits_count_in_the_shared_redis_cache():
    assert isinstance(caches["default"], RedisCache)
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL


def test_the_sixth_bad_log_in_in_a_row_is_refused_even_with_the_right_password(person):
    client = Client()
    for attempt in range(5):
        response = _log_in(client, f"wrong-{attempt}")
        assert response.status_code == 200
        assert TOO_MANY not in response.content.decode()
    sixth = _log_in(client, "wrong-5")
    assert TOO_MANY in sixth.content.decode()

    # The count is on the server, per address: a fresh browser with the right password is
    # refused too, and nobody is signed in.
    fresh = Client()
    response = _log_in(fresh, PASSWORD)
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in fresh.session

    # The counters are Redis keys: once they expire (here: deleted) the person gets in.
    assert any(b"login_failed" in key for key in cache_keys())
    cache_empty()
    assert _log_in(Client(), PASSWORD).status_code == 302


def test_a_successful_log_in_does_not_reset_the_failure_count(person):
    client = Client()
    for attempt in range(4):
        _log_in(client, f"wrong-{attempt}")
    assert _log_in(Client(), PASSWORD).status_code == 302
    # The good log-in gave back only its own attempt: the 5th bad one is allowed, the 6th not.
    assert TOO_MANY not in _log_in(client, "wrong-4").content.decode()
    assert TOO_MANY in _log_in(client, "wrong-5").content.decode()


def test_sign_up_is_limited_to_twenty_attempts_a_minute_per_address():
    client = Client()
    for n in range(20):
        response = client.post(
            "/accounts/signup/",
            {"email": f"new{n}@example.com", "password1": "x", "password2": "y"},
        )
        assert response.status_code == 200  # refused as invalid, not rate limited
    response = client.post(
        "/accounts/signup/",
        {
            "email": "late@example.com",
            "password1": "s3cure-Passw0rd!",
            "password2": "s3cure-Passw0rd!",
        },
    )
    assert response.status_code == 429
    assert not EmailAddress.objects.filter(email="late@example.com").exists()


def test_password_reset_is_limited_to_five_requests_a_minute_per_address(person):
    client = Client()
    for _ in range(5):
        response = client.post("/accounts/password/reset/", {"email": "person@acme.example"})
        assert response.status_code == 302
    assert len(mail.outbox) == 5
    response = client.post("/accounts/password/reset/", {"email": "person@acme.example"})
    assert response.status_code == 429
    assert len(mail.outbox) == 5


def test_behind_a_proxy_each_client_address_has_its_own_limit(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def attempt(ip: str, n: int):
        return Client().post(
            "/accounts/login/",
            {"login": f"nobody{n}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=ip,
        )

    # 10 failed log-ins a minute per address, whatever the e-mail addresses tried.
    for n in range(10):
        assert TOO_MANY not in attempt("203.0.113.7", n).content.decode()
    assert TOO_MANY in attempt("203.0.113.7", 10).content.decode()
    # Another client behind the same proxy is not affected.
    assert TOO_MANY not in attempt("198.51.100.9", 11).content.decode()
