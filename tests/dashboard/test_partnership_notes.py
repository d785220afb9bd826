"""Notes on a partnership: managers write them on the partnership page (htmx swaps the
timeline in), everyone in the vendor reads them next to the stage moves, the API lists and
adds them."""

import datetime as dt

import pytest
from django.utils import timezone

from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.models import Role
from partners.models import PartnershipNote
from tests.factories import (
    PartnershipFactory,
    PartnershipNoteFactory,
    ProgramFactory,
    StageTransitionFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def partnership(vendor):
    return PartnershipFactory(program=ProgramFactory(vendor=vendor))


def _notes_url(partnership) -> str:
    return f"/app/acme/partnerships/{partnership.public_id}/notes/"


def test_a_manager_adds_a_note_and_gets_the_timeline_back_with_it(
    vendor, manager, partnership, client_for
):
    StageTransitionFactory(
        partnership=partnership,
        from_stage="interest",
        to_stage="recruitment",
        at=timezone.now() - dt.timedelta(days=3),
    )
    manager.full_name = "Mia Manager"
    manager.save()

    response = client_for(manager).post(
        _notes_url(partnership),
        {"body": "  Agreed a co-marketing webinar in May.\nCall again. "},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="timeline"' in html
    assert "<html" not in html  # only the partial, htmx swaps it in
    note = PartnershipNote.objects.for_vendor(vendor).get()
    assert note.body == "Agreed a co-marketing webinar in May.\nCall again."
    assert note.author == manager
    assert note.author_label == "Mia Manager"
    # Newest first: the note, then the older stage move, in one list.
    assert html.index("Agreed a co-marketing webinar in May.<br>Call again.") < html.index(
        "Interest → <strong>Recruitment</strong>"
    )
    assert "by Mia Manager" in html
    assert timezone.localtime(note.created_at).strftime("%Y-%m-%d %H:%M") in html
    entry = AuditEntry.objects.for_vendor(vendor).get(action="partnership.note_added")
    assert entry.target_id == partnership.public_id
    assert entry.actor_user == manager


def test_an_empty_note_is_refused_next_to_the_field_and_nothing_is_written(
    vendor, manager, partnership, client_for
):
    response = client_for(manager).post(_notes_url(partnership), {"body": "   "}, **HTMX)

    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('<div class="field has-error">') :]
    assert field.index('for="id_body"') < field.index("Write the note first.")
    assert not PartnershipNote.objects.for_vendor(vendor).exists()


def test_a_note_over_5000_characters_is_refused_with_its_length(
    vendor, manager, partnership, client_for
):
    response = client_for(manager).post(_notes_url(partnership), {"body": "x" * 5001}, **HTMX)

    assert response.status_code == 400
    assert "At most 5,000 characters (this note has 5,001)." in response.content.decode()
    assert not PartnershipNote.objects.for_vendor(vendor).exists()


def test_without_javascript_the_page_reloads_after_the_note(
    vendor, manager, partnership, client_for
):
    client = client_for(manager)
    response = client.post(_notes_url(partnership), {"body": "Sent the contract."})

    assert response.status_code == 302
    assert response["Location"] == f"/app/acme/partnerships/{partnership.public_id}/"
    assert "Sent the contract." in client.get(response["Location"]).content.decode()
    refused = client.post(_notes_url(partnership), {"body": ""})
    assert refused.status_code == 400
    assert "<html" in refused.content.decode()
    assert "Write the note first." in refused.content.decode()


def test_viewers_read_notes_but_get_no_form_and_cannot_post(
    vendor, viewer, partnership, client_for
):
    PartnershipNoteFactory(partnership=partnership, body="Prefers e-mail over calls.")
    client = client_for(viewer)

    page = client.get(f"/app/acme/partnerships/{partnership.public_id}/").content.decode()

    assert "Prefers e-mail over calls." in page
    assert "Add note" not in page
    assert client.post(_notes_url(partnership), {"body": "sneaky"}, **HTMX).status_code == 403
    assert PartnershipNote.objects.for_vendor(vendor).count() == 1


def test_another_vendors_partnership_answers_404_and_its_notes_never_show(
    vendor, other_vendor, manager, partnership, client_for
):
    theirs = PartnershipFactory(program=ProgramFactory(vendor=other_vendor))
    PartnershipNoteFactory(partnership=theirs, body="Their secret note")
    client = client_for(manager)

    assert client.post(_notes_url(theirs), {"body": "x"}, **HTMX).status_code == 404
    page = client.get(f"/app/acme/partnerships/{partnership.public_id}/").content.decode()
    assert "Their secret note" not in page
    assert PartnershipNote.objects.for_vendor(other_vendor).count() == 1


def test_the_api_adds_and_lists_notes_newest_first(vendor, partnership, api_client_for):
    api = api_client_for(vendor, role=Role.MANAGER)
    url = f"/api/v1/partnerships/{partnership.public_id}/notes"

    first = api.post(url, {"body": "Kick-off call done."}, format="json")
    second = api.post(url, {"body": "Sent the deck."}, format="json")

    assert first.status_code == 201, first.content
    assert first.json()["id"].startswith("note_")
    assert first.json()["author"] == "API key test manager"
    listed = api.get(url).json()["results"]
    assert [n["body"] for n in listed] == ["Sent the deck.", "Kick-off call done."]
    assert second.json()["partnership"] == partnership.public_id


def test_the_api_refuses_an_empty_note_and_viewer_keys(vendor, partnership, api_client_for):
    url = f"/api/v1/partnerships/{partnership.public_id}/notes"

    empty = api_client_for(vendor, role=Role.MANAGER).post(url, {"body": ""}, format="json")
    viewer = api_client_for(vendor, role=Role.VIEWER).post(url, {"body": "hi"}, format="json")

    assert empty.status_code == 400
    assert empty.json()["error"]["field"] == "body"
    assert viewer.status_code == 403
    assert not PartnershipNote.objects.for_vendor(vendor).exists()
