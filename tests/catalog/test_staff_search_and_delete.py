"""Manage catalog: search by title or number, and deleting a draft nobody registered for."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering, OfferingSession
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.catalog.staff_helpers import add_session, as_staff, new_offering, post, published_offering
from tests.factories import make_user, signed_in


async def test_search_finds_titles_in_any_case_and_numbers(client):
    await as_staff(client)
    fractions = await new_offering(client, title="Fractions on the Number Line")
    phonics = await new_offering(client, title="Science of Reading: Phonics")
    percent = await new_offering(client, title="100% Engagement")

    def listed(response) -> set[int]:
        assert response.status_code == 200
        return {i for i in (fractions, phonics, percent) if f'href="/staff/offerings/{i}"' in response.text}

    assert listed(await client.get("/staff/offerings", params={"q": "number LINE"})) == {fractions}
    assert listed(await client.get("/staff/offerings", params={"q": f"#{phonics}"})) == {phonics}
    assert listed(await client.get("/staff/offerings", params={"q": str(percent)})) == {percent}
    assert listed(await client.get("/staff/offerings", params={"q": "%"})) == {percent}  # no LIKE wildcards
    assert listed(await client.get("/staff/offerings", params={"q": "  "})) == {fractions, phonics, percent}
    none = await client.get("/staff/offerings", params={"q": "underwater basket weaving"})
    assert listed(none) == set() and "0 workshops" in none.text
    # With the other filters, and as a fragment for htmx; hostile input is just text.
    fragment = await client.get(
        "/staff/offerings", params={"q": "phonics", "status": "draft"}, headers={"HX-Request": "true"}
    )
    assert listed(fragment) == {phonics} and "<html" not in fragment.text
    for hostile in ("\x00", "x" * 5000, "<script>", "' OR 1=1 --", "#99999999999999999999"):
        assert (await client.get("/staff/offerings", params={"q": hostile})).status_code in (200, 400, 422)


async def test_a_draft_nobody_registered_for_is_deleted_after_confirming(client):
    await as_staff(client)
    draft = await new_offering(client, title="A draft to drop")
    assert (await add_session(client, draft, "2027-04-01")).status_code == 303
    confirm = await client.get(f"/staff/offerings/{draft}/delete")
    assert (
        confirm.status_code == 200
        and "Delete the draft “A draft to drop”?" in confirm.text
        and "1 session" in confirm.text
    )
    edit = await client.get(f"/staff/offerings/{draft}")
    assert f'href="/staff/offerings/{draft}/delete"' in edit.text
    response = await post(client, f"/staff/offerings/{draft}/delete", {})
    assert response.status_code == 303 and response.headers["location"] == "/staff/offerings?notice=draft-deleted"
    assert await Offering.count().where(Offering.id == draft) == 0
    assert await OfferingSession.count().where(OfferingSession.offering == draft) == 0
    assert (await client.get(f"/staff/offerings/{draft}/delete")).status_code == 404


async def test_published_or_registered_workshops_are_never_deleted(client):
    await as_staff(client)
    published = await published_offering(client, title="Out there")
    page = await client.get(f"/staff/offerings/{published}/delete")
    assert "cannot be deleted" in page.text and "Delete the draft</button>" not in page.text
    assert f'href="/staff/offerings/{published}/delete"' not in (await client.get(f"/staff/offerings/{published}")).text
    refused = await post(client, f"/staff/offerings/{published}/delete", {})
    assert refused.status_code == 409 and "Only a draft" in refused.text
    # With someone registered it stays published (unpublishing is refused), and delete still refuses.
    teacher = await make_user("attendee", password=None)
    await register(Actor.from_row(teacher), published, RegistrationRequest())
    assert (await post(client, f"/staff/offerings/{published}/unpublish", {})).status_code == 409
    assert (await post(client, f"/staff/offerings/{published}/delete", {})).status_code == 409
    assert await Offering.count().where(Offering.id == published) == 1
    assert await Registration.count().where(Registration.offering == published) == 1


async def test_only_staff_delete_drafts(client):
    await as_staff(client)
    draft = await new_offering(client, title="Mine")
    for role in ("attendee", "coordinator", "finance"):
        await signed_in(client, await make_user(role, password=None))
        assert (await client.get(f"/staff/offerings/{draft}/delete")).status_code == 403
        assert (await post(client, f"/staff/offerings/{draft}/delete", {})).status_code == 403
        assert (await client.get("/staff/offerings", params={"q": "Mine"})).status_code == 403
    assert await Offering.count().where(Offering.id == draft) == 1
