"""The public application form e-mails a confirmation link to whatever address is typed in:
per address and per client IP only a few such mails an hour (docs/security.md), counted in
the real Redis cache; the one over the limit is refused on the form, and nothing is sent."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import cache_empty
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/p/acme/resellers/"
TOO_MANY = b"Too many confirmation e-mails"


def _ask(client: Client, email: str, ip: str = "203.0.113.7"):
    return client.post(URL, {"name": "Ada", "email": email}, REMOTE_ADDR=ip)


def test_the_fourth_confirmation_mail_to_one_address_in_an_hour_is_refused(vendor):
    ProgramFactory(vendor=vendor, slug="resellers")
    for n in range(3):
        # Different browsers and networks: the count is per address, on the server.
        response = _ask(Client(), "victim@example.com", ip=f"198.51.100.{n + 1}")
        assert response.status_code == 200
        assert b"Check your inbox" in response.content
    refused = _ask(Client(), "Victim@Example.com", ip="198.51.100.9")  # same address, any case
    assert refused.status_code == 429
    assert TOO_MANY in refused.content
    assert b'role="alert"' in refused.content  # on the form, where the person looks
    assert len(mail.outbox) == 3
    # Another address is not affected.
    assert _ask(Client(), "someone@example.com", ip="198.51.100.9").status_code == 200
    assert len(mail.outbox) == 4


def test_the_eleventh_confirmation_mail_from_one_ip_in_an_hour_is_refused(vendor):
    ProgramFactory(vendor=vendor, slug="resellers")
    client = Client()
    for n in range(10):
        assert _ask(client, f"person{n}@example.com").status_code == 200
    refused = _ask(client, "person10@example.com")
    assert refused.status_code == 429
    assert TOO_MANY in refused.content
    assert len(mail.outbox) == 10
    assert [m.to for m in mail.outbox] == [[f"person{n}@example.com"] for n in range(10)]
    # Another client is not affected; the counters are Redis keys that expire (here: deleted).
    assert _ask(Client(), "person10@example.com", ip="192.0.2.1").status_code == 200
    cache_empty()
    assert _ask(client, "person11@example.com").status_code == 200
    assert len(mail.outbox) == 12


def test_a_signed_in_partner_applying_as_themselves_is_not_counted(vendor):
    ProgramFactory(vendor=vendor, slug="resellers")
    user = UserFactory(email="ada@agency.example")
    client = Client()
    client.force_login(user)
    for _ in range(5):
        response = client.post(URL, {"name": "Ada"}, REMOTE_ADDR="203.0.113.7")
        assert TOO_MANY not in response.content
    assert mail.outbox == []
