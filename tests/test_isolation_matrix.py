"""The tenant-isolation matrix: every URL pattern of the product, every method it answers.

The routes are enumerated from the URL resolver, so a new endpoint is covered the moment it
is added to a urls.py. Every route must be either tenant-scoped (it has ``<vendor_slug>`` or
lives under ``/api/v1/``) — and then it is attacked with another vendor's credentials and
objects — or explicitly listed below as public or user-level with the reason. A route that is
neither fails the suite, as does an object kwarg nobody taught the matrix to fill in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from partnerhub.api.services import api_key_create
from partnerhub.core.actor import Actor
from partnerhub.tenancy.models import Invitation, Membership, Role, Vendor
from partnerhub.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import (
    ApplicationFactory,
    CertificationFactory,
    CommissionPlanFactory,
    CourseFactory,
    CustomerFactory,
    EventFactory,
    InvitationFactory,
    JoinSourceFactory,
    LeadFactory,
    LessonFactory,
    MembershipFactory,
    PartnerImportFactory,
    PartnerPayoutDetailsFactory,
    PartnerPersonaFactory,
    PartnershipFactory,
    PartnershipNoteFactory,
    PartnerUserFactory,
    PayoutFactory,
    PayoutRunFactory,
    ProgramFactory,
    RevenueBatchFactory,
    UserFactory,
    VendorFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
    paid_invoice,
)

pytestmark = pytest.mark.django_db

# Routes that are not tenant data, with the reason. Matched on the route's qualified name or
# on its path prefix.
PUBLIC_PREFIXES = {
    "accounts/": "allauth sign-up, log-in, password reset, e-mail verification",
    "admin/": "Django admin: platform staff only (is_staff), not a tenant surface",
    "api/v1/schema/": "the public OpenAPI document",
    "api/docs/": "the public API reference page",
    "healthz": "load-balancer health check, no data",
    "hooks/": "inbound billing webhooks (Stripe): unguessable id, every request must carry a "
    "valid signature made with that vendor's secret",
    "static/": "static files",
}
PUBLIC_NAMES = {
    "root": "redirects to the log-in or the vendor picker",
    "invitation_accept": "unguessable token; the service checks the signed-in e-mail",
    "dashboard:vendor_picker": "lists only the signed-in user's own memberships",
    "dashboard:vendor_create": "creates a new vendor owned by the signed-in user",
    "program_page": "public program page and application form; draft programs answer 404",
    "program_application_confirm": "the e-mailed link confirming a public application: a "
    "signed token made for that one program, expiring; nothing is written on GET",
    "referral_link": "public referral link: records a click of an approved partnership and "
    "redirects to the vendor's own site; reveals nothing, unknown codes answer 404",
    "referral_link_vendor": "the same referral link with the vendor's slug (codes are unique "
    "per vendor)",
}
# Partner-level routes: not under a vendor, every object is resolved through the signed-in
# partner's own partnerships. Attacked below with another partner's objects.
PARTNER_PREFIXES = {
    "portal/": "partner portal: a partner's own partnerships across vendors",
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Route:
    path: str  # e.g. "app/<slug:vendor_slug>/members/<str:member_id>/role/"
    name: str | None
    kwargs: list[str]
    methods: set[str]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/v1/")

    @property
    def object_kwargs(self) -> list[str]:
        return [k for k in self.kwargs if k != "vendor_slug"]


def _methods(callback: Callable[..., Any]) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # DRF viewset route
        return {m.upper() for m in actions}
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        allowed = {
            m.upper()
            for m in view_class.http_method_names
            if hasattr(view_class, m) and m not in ("options", "head")
        }
        return allowed or {"GET"}
    return {"GET", "POST"}  # function views: try both


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = "", outer: tuple[str, ...] = ()
) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            # Kwargs captured by an include()'s own prefix (app/<vendor_slug>/) count too.
            captured = (*outer, *entry.pattern.regex.groupindex)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns, captured)
        elif isinstance(entry, URLPattern):
            path = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else None
            kwargs = [*outer, *entry.pattern.regex.groupindex]
            yield Route(path, name, kwargs, _methods(entry.callback))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def _is_public(route: Route) -> bool:
    if route.name in PUBLIC_NAMES:
        return True
    return any(route.path.startswith(p) for p in PUBLIC_PREFIXES)


def _is_partner(route: Route) -> bool:
    return any(route.path.startswith(p) for p in PARTNER_PREFIXES)


def tenant_routes() -> list[Route]:
    return [r for r in all_routes() if not _is_public(r) and not _is_partner(r)]


def partner_routes() -> list[Route]:
    return [r for r in all_routes() if _is_partner(r) and not _is_public(r)]


# How to make "another vendor's object" for each object kwarg used in a tenant route.
OBJECT_MAKERS: dict[str, Callable[[Vendor], str]] = {
    "member_id": lambda v: MembershipFactory(vendor=v, role=Role.MANAGER).public_id,
    "invitation_id": lambda v: InvitationFactory(vendor=v).public_id,
    "key_id": lambda v: (
        api_key_create(actor=Actor.system(), vendor=v, name="victim key").api_key.public_id
    ),
    "program_id": lambda v: ProgramFactory(vendor=v).public_id,
    "persona_id": lambda v: PartnerPersonaFactory(vendor=v).public_id,
    "join_source_id": lambda v: JoinSourceFactory(vendor=v).public_id,
    # With a note, so the notes page and API have a row of theirs to (not) show.
    "partnership_id": lambda v: (
        PartnershipNoteFactory(partnership__program=ProgramFactory(vendor=v)).partnership.public_id
    ),
    "application_id": lambda v: ApplicationFactory(partnership__program__vendor=v).public_id,
    "import_id": lambda v: PartnerImportFactory(vendor=v).public_id,
    "course_id": lambda v: CourseFactory(vendor=v).public_id,
    "certification_id": lambda v: CertificationFactory(vendor=v).public_id,
    "event_id": lambda v: EventFactory(vendor=v).public_id,
    "webhook_endpoint_id": lambda v: WebhookEndpointFactory(vendor=v).public_id,
    # A delivery of the endpoint made just above, so nested URLs name a consistent pair.
    "delivery_id": lambda v: (
        WebhookDeliveryFactory(
            vendor=v, endpoint=WebhookEndpoint.objects.for_vendor(v).latest("id")
        ).public_id
    ),
    "customer_id": lambda v: CustomerFactory(partnership__program__vendor=v).public_id,
    "revenue_event_id": lambda v: paid_invoice(v).public_id,
    "revenue_batch_id": lambda v: (
        RevenueBatchFactory(vendor=v, event_ids=[paid_invoice(v).pk]).public_id
    ),
    "commission_id": lambda v: paid_invoice(v).commissions.get().public_id,
    "payout_run_id": lambda v: PayoutRunFactory(program__vendor=v).public_id,
    "payout_id": lambda v: PayoutFactory(run__program__vendor=v).public_id,
    "payout_details_id": lambda v: PartnerPayoutDetailsFactory(vendor=v).public_id,
    "lead_id": lambda v: LeadFactory(partnership__program__vendor=v).public_id,
    "commission_plan_id": lambda v: (
        CommissionPlanFactory(program=ProgramFactory(vendor=v)).public_id
    ),
}


def _partner_world(vendor: Vendor, partner: Any) -> dict[str, str]:
    """A partnership of ``partner`` in ``vendor`` with a course lesson and a certification."""
    program = ProgramFactory(vendor=vendor)
    partnership = PartnershipFactory(program=program, partner=partner)
    lesson = LessonFactory(course=CourseFactory(vendor=vendor, program=program))
    certification = CertificationFactory(vendor=vendor, program=program)
    return {
        "partnership_id": partnership.public_id,
        "lesson_id": lesson.public_id,
        "certification_id": certification.public_id,
    }


# The object kwargs of partner routes; made together by _partner_world.
PARTNER_OBJECT_MAKERS = {"partnership_id", "lesson_id", "certification_id"}


def test_every_route_is_classified_and_every_object_kwarg_is_known():
    unclassified = []
    unknown_kwargs = set()
    for route in tenant_routes():
        if "vendor_slug" not in route.kwargs and not route.is_api:
            unclassified.append(route.path)
        unknown_kwargs |= set(route.object_kwargs) - set(OBJECT_MAKERS)
    assert not unclassified, (
        f"Routes neither tenant-scoped nor listed as public in the isolation matrix: {unclassified}"
    )
    assert not unknown_kwargs, f"Teach the isolation matrix to make objects for {unknown_kwargs}"
    partner_unknown = set()
    for route in partner_routes():
        if "vendor_slug" in route.kwargs:
            unclassified.append(route.path)
        partner_unknown |= set(route.kwargs) - set(PARTNER_OBJECT_MAKERS)
    assert not unclassified, f"Partner routes must not take a vendor_slug: {unclassified}"
    assert not partner_unknown, f"Teach the partner matrix to make objects for {partner_unknown}"


def test_a_route_in_no_category_fails_the_classification(monkeypatch):
    """The matrix itself: a route that is neither tenant, public nor partner is reported."""
    stray = Route("stray/<str:thing_id>/", "stray", ["thing_id"], {"GET"})
    monkeypatch.setattr(
        __import__(__name__, fromlist=["all_routes"]), "all_routes", lambda: [stray]
    )
    with pytest.raises(AssertionError, match="neither tenant-scoped nor listed"):
        test_every_route_is_classified_and_every_object_kwarg_is_known()


@pytest.fixture
def world():
    """Two vendors with members and objects of every kind."""
    mine, theirs = VendorFactory(slug="mine"), VendorFactory(slug="theirs", name="Theirs Ltd")
    attacker = UserFactory(email="attacker@mine.example")
    MembershipFactory(vendor=mine, user=attacker, role=Role.OWNER)
    viewer = UserFactory(email="viewer@mine.example")
    MembershipFactory(vendor=mine, user=viewer, role=Role.VIEWER)
    MembershipFactory(
        vendor=theirs, user=UserFactory(email="victim@theirs.example"), role=Role.OWNER
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "attacker": attacker,
        "viewer": viewer,
        "their_objects": {k: make(theirs) for k, make in OBJECT_MAKERS.items()},
        "my_objects": {k: make(mine) for k, make in OBJECT_MAKERS.items()},
    }


def _url(route: Route, vendor_slug: str, objects: dict[str, str]) -> str:
    kwargs = {k: objects[k] for k in route.object_kwargs}
    if "vendor_slug" in route.kwargs:
        kwargs["vendor_slug"] = vendor_slug
    assert route.name, f"tenant route {route.path} needs a name"
    return reverse(route.name, kwargs=kwargs)


def _send(client: Client, method: str, url: str) -> Any:
    if method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, {}, content_type="application/json")
    return getattr(client, method.lower())(url)


def _foreign_markers(world: dict[str, Any]) -> list[str]:
    return [*world["their_objects"].values(), world["theirs"].public_id, "Theirs Ltd"]


def test_dashboard_routes_answer_404_for_another_vendor(world, capsys):
    client = Client()
    client.force_login(world["attacker"])
    covered = 0
    for route in tenant_routes():
        if route.is_api:
            continue
        for method in sorted(route.methods):
            # Their slug (not a member) and their objects under my slug: both 404.
            for slug in ("theirs", "mine"):
                url = _url(route, slug, world["their_objects"])
                if slug == "mine" and not route.object_kwargs:
                    continue
                response = _send(client, method, url)
                assert response.status_code == 404, (method, url, response.status_code)
            covered += 1
    # Nothing of theirs changed: their objects all still exist untouched.
    assert Membership.objects.for_vendor(world["theirs"]).count() == 2
    assert (
        Invitation.objects.for_vendor(world["theirs"]).filter(revoked_at__isnull=True).count() == 1
    )
    with capsys.disabled():
        print(
            f"\nisolation matrix: {covered} dashboard route/method pairs → 404 for another vendor"
        )
    assert covered > 0


def test_api_routes_answer_404_for_another_vendors_objects_and_never_leak_them(world, capsys):
    key = api_key_create(actor=Actor.system(), vendor=world["mine"], name="attacker").raw_key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    covered = 0
    for route in tenant_routes():
        if not route.is_api:
            continue
        for method in sorted(route.methods):
            if route.object_kwargs:
                url = _url(route, "mine", world["their_objects"])
                response = _send(client, method, url)
                assert response.status_code == 404, (method, url, response.status_code)
            elif method == "GET":
                url = _url(route, "mine", {})
                response = client.get(url)
                assert response.status_code == 200, (url, response.content)
                body = response.content.decode()
                for marker in _foreign_markers(world):
                    assert marker not in body, f"{url} leaked {marker}"
            covered += 1
    # Their endpoint (with its delivery) survived every DELETE/PATCH.
    theirs = WebhookEndpoint.objects.for_vendor(world["theirs"])
    assert theirs.filter(enabled=True).count() == 1
    assert not WebhookDelivery.objects.for_vendor(world["theirs"]).filter(status="pending").exists()
    with capsys.disabled():
        print(f"isolation matrix: {covered} API route/method pairs checked against another vendor")
    assert covered > 0


def test_viewers_cannot_write_anywhere(world):
    client = Client()
    client.force_login(world["viewer"])
    api = APIClient()
    read_only = api_key_create(
        actor=Actor.system(), vendor=world["mine"], name="ro", role=Role.VIEWER
    ).raw_key
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {read_only}")
    checked = 0
    for route in tenant_routes():
        for method in sorted(route.methods & UNSAFE):
            url = _url(route, "mine", world["my_objects"])
            response = _send(api if route.is_api else client, method, url)
            assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
    assert checked > 0


def test_anonymous_requests_are_refused_everywhere(world):
    for route in tenant_routes():
        for method in sorted(route.methods):
            url = _url(route, "mine", world["my_objects"])
            if route.is_api:
                response = _send(APIClient(), method, url)
                assert response.status_code == 401, (method, url)
            else:
                response = _send(Client(), method, url)
                assert response.status_code == 302, (method, url)
                assert response["Location"].startswith("/accounts/login/")


def test_portal_routes_answer_404_for_another_partners_objects(capsys):
    """Partner vs partner: another partner's partnership, lessons and quizzes are 404, and so
    are my partnership combined with another vendor's lesson or quiz."""
    mine, theirs = VendorFactory(slug="mine"), VendorFactory(slug="theirs")
    me = PartnerUserFactory(partner__email="me@partner.example")
    victim = PartnerUserFactory(partner__email="victim@partner.example")
    my_objects = _partner_world(mine, me.partner)
    their_objects = _partner_world(theirs, victim.partner)
    client = Client()
    client.force_login(me.user)
    covered = 0
    for route in partner_routes():
        for method in sorted(route.methods):
            if not route.kwargs:
                response = _send(client, method, reverse(route.name))
                assert response.status_code in (200, 302), (method, route.path)
                assert their_objects["partnership_id"] not in response.content.decode()
                covered += 1
                continue
            variants = [their_objects]
            if len(route.kwargs) > 1:  # my partnership, their lesson/certification
                variants.append({**their_objects, "partnership_id": my_objects["partnership_id"]})
            for objects in variants:
                url = reverse(route.name, kwargs={k: objects[k] for k in route.kwargs})
                response = _send(client, method, url)
                assert response.status_code == 404, (method, url, response.status_code)
            covered += 1
    assert not victim.partner.partnerships.get().lesson_completions.exists()
    with capsys.disabled():
        print(f"isolation matrix: {covered} portal route/method pairs → 404 for another partner")
    assert covered > 0


def test_portal_routes_refuse_anonymous_requests():
    objects = _partner_world(VendorFactory(), PartnerUserFactory().partner)
    for route in partner_routes():
        for method in sorted(route.methods):
            url = reverse(route.name, kwargs={k: objects[k] for k in route.kwargs})
            response = _send(Client(), method, url)
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/accounts/login/")
