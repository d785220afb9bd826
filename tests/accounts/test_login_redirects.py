"""Log-in never sends a person to another site, whatever ``next`` says (open redirects)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_log_in_never_redirects_to_another_site(person, next_url):
    response = Client().post(
        "/accounts/login/",
        {"login": "person@acme.example", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == "/app/"
