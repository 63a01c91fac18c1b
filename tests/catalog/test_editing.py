"""Capacity changes (never below seats taken; a rise promotes), copying to a new date across
daylight-saving changes, and cancelling a whole workshop."""

from __future__ import annotations

import asyncio
import datetime as dt

from booking.accounts.api_tokens import create_api_token
from booking.accounts.tables import District, User
from booking.catalog.tables import Offering, OfferingFacilitator
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.api_helpers import bearer
from tests.catalog.staff_helpers import (
    OFFERING_FORM,
    add_session,
    as_staff,
    location_id,
    mails,
    make_room,
    new_offering,
    offering_row,
    post,
    published_offering,
    sessions_rows,
)
from tests.factories import csrf_token, make_user, signed_in

UTC = dt.timezone.utc


async def register(client, offering_id: int, person: dict, **body):
    return await client.post(f"/api/v1/offerings/{offering_id}/registrations", json=body, headers=await bearer(person))


async def statuses(offering_id: int) -> dict[str, int]:
    rows = await Registration.select(Registration.status).where(Registration.offering == offering_id)
    result: dict[str, int] = {}
    for row in rows:
        result[row["status"]] = result.get(row["status"], 0) + 1
    return result


async def test_capacity_never_goes_below_seats_taken_including_live_holds(client):
    staff = await as_staff(client)
    offering_id = await published_offering(client, capacity="5", price="50")
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "EGUSD")
    for _ in range(2):
        assert (
            await register(client, offering_id, await make_user("attendee", district="SJUSD"), payer="district")
        ).json()["status"] == "confirmed"
    held = await register(client, offering_id, await make_user("attendee", district="EGUSD"), payer="district")
    assert held.json()["status"] == "pending_approval"
    await signed_in(client, staff)

    refused = await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": "2"})
    assert refused.status_code == 422
    assert "Capacity cannot go below the 3 seats taken (2 confirmed and 1 held" in refused.text
    assert (await offering_row(offering_id))["capacity"] == 5
    for bad in ("abc", "-1", "0", "2.5", ""):
        response = await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": bad})
        assert response.status_code == 422, bad
    refused = await post(
        client,
        f"/staff/offerings/{offering_id}",
        {**OFFERING_FORM, "status": "published", "capacity": "2", "price": "50", "title": "Renamed"},
    )
    assert refused.status_code == 422 and "cannot go below the 3 seats taken" in refused.text
    row = await offering_row(offering_id)
    assert (row["capacity"], row["title"]) == (5, OFFERING_FORM["title"])  # nothing of the form was saved
    assert (await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": "3"})).status_code == 303
    assert (await offering_row(offering_id))["capacity"] == 3


async def test_raising_capacity_promotes_the_waiting_list_at_once(client):
    staff = await as_staff(client)
    offering_id = await published_offering(client, capacity="1")
    people = [await make_user("attendee") for _ in range(4)]
    for person in people:
        await register(client, offering_id, person)
    assert await statuses(offering_id) == {"confirmed": 1, "waitlisted": 3}
    await signed_in(client, staff)

    response = await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": "3"})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=capacity-promoted")
    assert await statuses(offering_id) == {"confirmed": 3, "waitlisted": 1}
    confirmed = {
        r["attendee"]
        for r in await Registration.select(Registration.attendee).where(
            (Registration.offering == offering_id) & (Registration.status == "confirmed")
        )
    }
    assert confirmed == {p["id"] for p in people[:3]}  # first come, first served
    promoted = await mails("A seat opened")
    assert sorted(m["to_address"] for m in promoted) == sorted(p["email"] for p in people[1:3])

    # The same through the details form.
    response = await post(
        client, f"/staff/offerings/{offering_id}", {**OFFERING_FORM, "status": "published", "capacity": "4"}
    )
    assert response.status_code == 303 and response.headers["location"].endswith("notice=offering-saved-promoted")
    assert await statuses(offering_id) == {"confirmed": 4}


async def _people_with_tokens(prefix: str, count: int) -> list[dict]:
    await User.insert(
        *[User(email=f"{prefix}{i}@example.org", name=f"{prefix} {i}", role="attendee") for i in range(count)]
    )
    users = await User.select(User.id).where(User.email.like(f"{prefix}%")).order_by(User.id)
    return [{"Authorization": f"Bearer {await create_api_token(u['id'], 'race')}"} for u in users]


async def test_capacity_changes_racing_registrations_never_overfill(client):
    """A capacity decrease (and an increase) land in the middle of 20 simultaneous registrations."""
    await as_staff(client)
    token = await csrf_token(client, "/account")
    for round_number, (capacity, new_capacity, position) in enumerate(
        ((10, 5, 3), (10, 5, 10), (10, 4, 17), (6, 12, 8))
    ):
        offering_id = await published_offering(client, capacity=str(capacity), title=f"Race {round_number}")
        headers = await _people_with_tokens(f"race{round_number}-", 20)
        calls = [client.post(f"/api/v1/offerings/{offering_id}/registrations", json={}, headers=h) for h in headers]
        calls.insert(
            position,
            client.post(
                f"/staff/offerings/{offering_id}/capacity", data={"capacity": str(new_capacity), "_csrf_token": token}
            ),
        )

        responses = await asyncio.gather(*calls)

        change = responses[position]
        registrations = responses[:position] + responses[position + 1 :]
        assert {r.status_code for r in registrations} == {201}, [r.text for r in registrations if r.status_code != 201][
            :2
        ]
        assert change.status_code in (303, 422), change.text[:500]
        final = (await offering_row(offering_id))["capacity"]
        assert final == (new_capacity if change.status_code == 303 else capacity)
        counts = await statuses(offering_id)
        assert counts.get("confirmed", 0) <= final
        assert counts.get("confirmed", 0) + counts.get("waitlisted", 0) == 20
        # With free seats nobody waits; with a waiting list every seat is used.
        assert counts.get("confirmed", 0) == min(final, 20)
        if change.status_code == 422:
            assert "Capacity cannot go below" in change.text


async def test_copy_keeps_local_clock_times_across_daylight_saving(client):
    await as_staff(client)
    maria = await make_user("staff", name="Maria Lopez")
    room = await make_room(client)
    source = await new_offering(
        client,
        title="Math Series",
        price="45",
        nonmember_price="60",
        capacity="30",
        facilitator_ids=[str(maria["id"])],
        registration_opens_at="2027-01-05T08:00",
        registration_closes_at="2027-02-26T17:00",
        cancellation_deadline="2027-02-22T12:00",
    )
    assert (await add_session(client, source, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    assert (await add_session(client, source, "2027-03-03", "13:00", "15:30")).status_code == 303

    response = await post(client, f"/staff/offerings/{source}/copy", {"first_date": "2027-03-15"})
    copy_id = location_id(response, "/staff/offerings/")
    assert copy_id != source and response.headers["location"].endswith("notice=offering-copied")

    original, copy = await offering_row(source), await offering_row(copy_id)
    assert copy["status"] == "draft" and copy["copied_from"] == source and copy["program"] == original["program"]
    for key in (
        "title",
        "price_cents",
        "nonmember_price_cents",
        "capacity",
        "pd_hours_tenths",
        "format",
        "facilitators",
    ):
        assert copy[key] == original[key], key
    # Sessions: the same Pacific wall-clock times, two weeks later; DST began on March 14, 2027.
    before, after = await sessions_rows(source), await sessions_rows(copy_id)
    assert [s["starts_at"] for s in before] == [
        dt.datetime(2027, 3, 1, 17, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 3, 21, 0, tzinfo=UTC),
    ]
    assert [s["starts_at"] for s in after] == [
        dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 17, 20, 0, tzinfo=UTC),
    ]
    assert [s["ends_at"] for s in after] == [
        dt.datetime(2027, 3, 15, 19, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 17, 22, 30, tzinfo=UTC),
    ]
    assert [s["room"] for s in after] == [room, None] and all(s["sequence"] == 0 for s in after)
    # The registration window moves with it (January and February are both PST: same UTC hour).
    assert copy["registration_opens_at"] == dt.datetime(2027, 1, 19, 16, 0, tzinfo=UTC)
    assert copy["cancellation_deadline"] == dt.datetime(2027, 3, 8, 20, 0, tzinfo=UTC)
    assert copy["registration_closes_at"] == dt.datetime(2027, 3, 13, 1, 0, tzinfo=UTC)  # Mar 12, 5 PM PST
    links = await OfferingFacilitator.select(OfferingFacilitator.user).where(OfferingFacilitator.offering == copy_id)
    assert [link["user"] for link in links] == [maria["id"]]
    page = await client.get(f"/staff/offerings/{copy_id}")
    assert "copied from" in page.text and "Math Series" in page.text

    # And back across the November change: 9:00 PDT (16:00 UTC) becomes 9:00 PST (17:00 UTC).
    autumn = await new_offering(client, title="Autumn")
    assert (await add_session(client, autumn, "2027-10-25", "09:00", "10:00")).status_code == 303
    autumn_copy = location_id(
        await post(client, f"/staff/offerings/{autumn}/copy", {"first_date": "2027-11-08"}), "/staff/offerings/"
    )
    assert (await sessions_rows(autumn))[0]["starts_at"] == dt.datetime(2027, 10, 25, 16, 0, tzinfo=UTC)
    assert (await sessions_rows(autumn_copy))[0]["starts_at"] == dt.datetime(2027, 11, 8, 17, 0, tzinfo=UTC)


async def test_copy_refuses_bad_dates_no_sessions_and_a_clash_without_reason(client):
    await as_staff(client)
    room = await make_room(client)
    source = await new_offering(client)
    empty = await post(client, f"/staff/offerings/{source}/copy", {"first_date": "2027-03-15"})
    assert empty.status_code == 422 and "no sessions to copy" in empty.text
    assert (await add_session(client, source, "2027-03-01", room_id=room)).status_code == 303
    for bad in ("", "2027-02-30", "next week"):
        response = await post(client, f"/staff/offerings/{source}/copy", {"first_date": bad})
        assert response.status_code == 422 and "Enter a date" in response.text, bad
    # Copying onto the same date double-books its own room.
    clash = await post(client, f"/staff/offerings/{source}/copy", {"first_date": "2027-03-01"})
    assert clash.status_code == 409 and "Room already booked" in clash.text
    assert await Offering.count() == 1
    forced = await post(
        client,
        f"/staff/offerings/{source}/copy",
        {"first_date": "2027-03-01", "override": "on", "override_reason": "Second group, same room, partitioned."},
    )
    copy_id = location_id(forced, "/staff/offerings/")
    assert len(await sessions_rows(copy_id)) == 1


async def test_cancelling_a_workshop_cancels_everyone_emails_them_and_marks_paid_ones_for_refund(client):
    staff = await as_staff(client)
    offering_id = await published_offering(client, capacity="2", title="Literacy Night")
    first, second, waiting = [await make_user("attendee") for _ in range(3)]
    for person in (first, second, waiting):
        await register(client, offering_id, person)
    already = await make_user("attendee")
    # Payments do not exist yet: mark one registration paid as they will.
    paid = await Registration.select().where(Registration.attendee == first["id"]).first()
    await Registration.update({Registration.amount_paid_cents: 4500}).where(Registration.id == paid["id"])
    await signed_in(client, staff)
    page = await client.get(f"/staff/offerings/{offering_id}")
    assert "1 paid registration would need a refund" in page.text
    confirm = await client.get(f"/staff/offerings/{offering_id}/cancel")
    assert confirm.status_code == 200 and "1 paid registration needs a refund" in confirm.text

    missing_reason = await post(client, f"/staff/offerings/{offering_id}/cancel", {"reason": "   "})
    assert missing_reason.status_code == 422 and "Say why the workshop is cancelled" in missing_reason.text
    assert (await offering_row(offering_id))["status"] == "published"
    assert await mails("Workshop cancelled") == []

    response = await post(client, f"/staff/offerings/{offering_id}/cancel", {"reason": "The facilitator is ill."})
    assert response.status_code == 303
    assert (await offering_row(offering_id))["status"] == "cancelled"
    rows = await Registration.select().where(Registration.offering == offering_id)
    assert {r["status"] for r in rows} == {"cancelled"}
    assert all("The facilitator is ill." in r["cancel_reason"] for r in rows)
    sent = await mails("Workshop cancelled: Literacy Night")
    assert sorted(m["to_address"] for m in sent) == sorted(p["email"] for p in (first, second, waiting))
    assert all("The facilitator is ill." in m["body_text"] for m in sent)
    assert "will be refunded" in next(m for m in sent if m["to_address"] == first["email"])["body_text"]
    assert "waiting list" in next(m for m in sent if m["to_address"] == waiting["email"])["body_text"]
    refunds = await RegistrationEvent.select().where(RegistrationEvent.kind == "refund_due")
    assert [r["registration"] for r in refunds] == [paid["id"]]
    assert all(s["sequence"] == 1 for s in await sessions_rows(offering_id))  # calendars pick the cancellation up

    page = await client.get(f"/staff/offerings/{offering_id}")
    assert "This workshop is cancelled" in page.text and "1 paid registration needs a refund" in page.text
    again = await post(client, f"/staff/offerings/{offering_id}/cancel", {"reason": "Again"})
    assert again.status_code == 409 and len(await mails("Workshop cancelled")) == 3
    edit = await post(client, f"/staff/offerings/{offering_id}", {**OFFERING_FORM, "status": "cancelled"})
    assert edit.status_code == 409
    assert (await register(client, offering_id, already)).status_code == 409
    assert (await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": "9"})).status_code == 409
