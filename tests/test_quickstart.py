"""The README's five-minute quick start, replayed from the README itself: every ``curl`` of
the block between ``<!-- quickstart:begin -->`` and ``<!-- quickstart:end -->`` goes through
the test client in order, ``NAME=$(curl … | get 'EXPR')`` captures are evaluated like the
shell helper does, and the webhook delivery is signed and verified as the example receiver
does. Edit the README and this test follows (or fails)."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from standardwebhooks.webhooks import Webhook

from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Role
from partnerhub.webhooks.models import Event, WebhookEndpoint
from partnerhub.webhooks.services.deliveries import webhook_payload, webhook_sign
from partners.models import Partnership

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
_CAPTURE = re.compile(r"^(?:export )?(\w+)=\$\((curl .*?)\|\s*get '(.*)'\)$", re.S)


def quickstart_commands() -> list[str]:
    text = README.read_text()
    block = text.split("<!-- quickstart:begin -->")[1].split("<!-- quickstart:end -->")[0]
    lines = block.strip().removeprefix("```bash").removesuffix("```").splitlines()
    commands, current = [], ""
    for line in lines:
        if line.lstrip().startswith("#") and not current:
            continue
        current += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            commands.append(current.strip())
            current = ""
    return [c for c in commands if c]


def _curl(command: str, variables: dict[str, str]) -> tuple[str, str, Any]:
    args = shlex.split(command)
    assert args[0] == "curl", command
    method, path, body = "GET", "", None
    i = 1
    while i < len(args):
        arg = args[i]
        if arg == "-X":
            method, i = args[i + 1], i + 2
        elif arg in ("-H", "-w", "-sw"):
            i += 2
        elif arg == "-d":
            body, i = args[i + 1], i + 2
        elif arg.startswith("-"):
            i += 1
        else:
            path, i = arg, i + 1
    for name, value in sorted(variables.items(), key=lambda kv: -len(kv[0])):
        path = path.replace(f"${name}", value)
        if body is not None:
            body = body.replace(f"${name}", value)
    assert path.startswith("/api/v1/"), path
    return method, path, json.loads(body) if body is not None else None


def test_the_readme_quick_start_runs_in_order(settings, demo):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # as in the dev settings of `make run`
    vendor = demo
    key = api_key_create(
        actor=Actor.system(), vendor=vendor, name="quickstart", role=Role.ADMIN
    ).raw_key
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    variables = {"PH": ""}
    steps = 0
    for command in quickstart_commands():
        capture = _CAPTURE.match(command)
        if not command.startswith("curl") and not capture:
            continue  # shell plumbing: variables, the receiver, sleep
        method, path, body = _curl(capture.group(2) if capture else command, variables)
        response = client.generic(
            method, path, json.dumps(body) if body else "", content_type="application/json"
        )
        assert response.status_code in (200, 201), (command, response.content)
        if capture:
            variables[capture.group(1)] = str(eval(capture.group(3), {"d": response.json()}))  # noqa: S307 - the README's own expression
        steps += 1
        if "/commissions?" in path:
            [commission] = response.json()["results"]
            assert (commission["amount"], commission["currency"]) == (1485, "USD")  # 15% of 9900
        if "/commission-plans?" in path:
            [plan] = response.json()["results"]
            assert (plan["rate"], plan["duration_months"]) == ("0.150000", None)
    assert steps == 10
    partnership = Partnership.objects.for_vendor(vendor).get(public_id=variables["PARTNERSHIP"])
    assert partnership.program.slug == "agency-referral"
    # What the example receiver checks: the event of the second commission, signed with the
    # endpoint's secret as a delivery is, verifies with the standardwebhooks library.
    endpoint = WebhookEndpoint.objects.for_vendor(vendor).get(url="http://127.0.0.1:8099/")
    assert endpoint.enabled
    assert endpoint.subscribes_to("commission.created")
    event = Event.objects.for_vendor(vendor).filter(type="commission.created").latest("id")
    body = webhook_payload(event)
    headers = webhook_sign(
        secret=variables["WHSEC"], msg_id=event.public_id, timestamp=event.created_at, body=body
    )
    verified = Webhook(variables["WHSEC"]).verify(body, headers)
    assert (verified["type"], verified["data"]["amount"]) == ("commission.created", 1485)
