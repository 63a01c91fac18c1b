"""/district/approvals: a coordinator approves or declines their district's paid registrations."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.errors import Conflict, Forbidden, NotFound
from booking.notifications.tables import OutboxMessage
from booking.scheduling import approvals
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.factories import make_user, post_form, signed_in, token_from_page
from tests.workshop_factory import make_workshop


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


@pytest.fixture
async def approval_districts(db):
    await District.update({District.requires_supervisor_approval: True}).where(District.code.is_in(["EGUSD", "SJUSD"]))


async def _pending(offering_id: int, district: str = "EGUSD", name: str | None = None) -> tuple[dict, dict]:
    person = await make_user("attendee", district=district, name=name)
    outcome = await register(
        Actor.from_row(person), offering_id, RegistrationRequest(payer="district", po_number="PO-9")
    )
    assert outcome.registration["status"] == "pending_approval"
    return person, outcome.registration


async def _row(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


async def _mails_to(address: str) -> list[str]:
    return [
        m["subject"]
        for m in await OutboxMessage.select(OutboxMessage.subject).where(OutboxMessage.to_address == address)
    ]


async def test_the_page_lists_only_my_districts_pending_registrations(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    await _pending(offering_id, "EGUSD", name="Erin Elk Grove")
    await _pending(offering_id, "SJUSD", name="Sam San Juan")
    _, ran_out = await _pending(offering_id, "EGUSD", name="Old Request")
    await Registration.update(
        {Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)}
    ).where(Registration.id == ran_out["id"])
    await signed_in(client, await make_user("coordinator", district="EGUSD"))

    response = await client.get("/district/approvals")

    assert response.status_code == 200
    html = response.text
    assert "Erin Elk Grove" in html and "Paid literacy" in html and "$99.00" in html and "PO PO-9" in html
    assert "Sam San Juan" not in html
    old_row = re.search(rf'<tr id="approval-{ran_out["id"]}".*?</tr>', html, re.S).group(0)
    assert "Expired" in old_row and "/approve" not in old_row  # shown as expired, nothing to decide


async def test_approving_confirms_emails_and_records_who(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    person, registration = await _pending(offering_id)
    coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))

    response = await post_form(
        client, f"/district/approvals/{registration['id']}/approve", {}, token_from="/district/approvals"
    )

    assert (
        response.status_code == 303
        and response.headers["location"] == "/district/approvals?notice=registration-approved"
    )
    row = await _row(registration["id"])
    assert (row["status"], row["hold_expires_at"]) == ("confirmed", None) and row["confirmed_at"] is not None
    assert "Approved, you're registered: Paid literacy" in await _mails_to(person["email"])
    events = (
        await RegistrationEvent.select()
        .where(RegistrationEvent.registration == registration["id"])
        .order_by(RegistrationEvent.id)
    )
    assert (events[-1]["kind"], events[-1]["actor"]) == ("approved", coordinator["id"])
    assert "Nothing is waiting for your approval." in (await client.get("/district/approvals")).text

    again = await post_form(
        client, f"/district/approvals/{registration['id']}/approve", {}, token_from="/district/approvals"
    )
    assert again.status_code == 409 and "already approved" in again.text


async def test_declining_cancels_emails_the_reason_and_gives_the_seat_to_the_waiting_list(client, approval_districts):
    offering_id = await make_workshop("Tiny paid workshop", price_cents=9900, capacity=1)
    person, registration = await _pending(offering_id)
    waiting_person = await make_user("attendee", district="SCUSD")
    waiting = (
        await register(Actor.from_row(waiting_person), offering_id, RegistrationRequest(payer="district"))
    ).registration
    assert waiting["status"] == "waitlisted"
    await signed_in(client, await make_user("coordinator", district="EGUSD"))

    response = await post_form(
        client,
        f"/district/approvals/{registration['id']}/decline",
        {"reason": "  Budget   is spent "},
        token_from="/district/approvals",
    )

    assert response.headers["location"] == "/district/approvals?notice=registration-declined"
    row = await _row(registration["id"])
    assert row["status"] == "cancelled" and row["cancel_reason"] == "Declined by the district: Budget is spent"
    [mail] = await OutboxMessage.select().where(
        (OutboxMessage.to_address == person["email"]) & OutboxMessage.subject.like("Not approved%")
    )
    assert "Budget is spent" in mail["body_text"]
    assert (await _row(waiting["id"]))["status"] == "confirmed"
    assert any(s.startswith("A seat opened") for s in await _mails_to(waiting_person["email"]))


async def test_htmx_updates_the_row_in_place(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    _, registration = await _pending(offering_id, name="Row Person")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    page = await client.get("/district/approvals")
    assert (
        f'hx-post="/district/approvals/{registration["id"]}/approve" hx-target="#approval-{registration["id"]}"'
        in page.text
    )
    token = token_from_page(page)

    response = await client.post(
        f"/district/approvals/{registration['id']}/approve", headers={"HX-Request": "true", "X-CSRFToken": token}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="approval-{registration["id"]}"')
    assert "<html" not in response.text
    assert "Approved" in text_of(response.text) and "/approve" not in response.text


async def test_an_expired_hold_cannot_be_approved_and_says_so(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    person, registration = await _pending(offering_id)
    await Registration.update(
        {Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)}
    ).where(Registration.id == registration["id"])
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    token = token_from_page(await client.get("/district/approvals"))

    plain = await post_form(
        client, f"/district/approvals/{registration['id']}/approve", {}, token_from="/district/approvals"
    )
    assert plain.status_code == 409
    assert "has been released" in plain.text and "<h1>Approvals</h1>" in plain.text
    htmx = await client.post(
        f"/district/approvals/{registration['id']}/approve", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert htmx.status_code == 409
    assert 'role="alert"' in htmx.text and "has been released" in htmx.text and "Expired" in htmx.text
    declined = await post_form(
        client, f"/district/approvals/{registration['id']}/decline", {}, token_from="/district/approvals"
    )
    assert declined.status_code == 409

    row = await _row(registration["id"])
    assert row["status"] == "pending_approval"  # nothing changed
    assert not any(s.startswith(("Approved", "Not approved")) for s in await _mails_to(person["email"]))


async def test_another_districts_registration_is_404_and_unchanged(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    _, theirs = await _pending(offering_id, "SJUSD")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    for action in ("approve", "decline"):
        response = await post_form(
            client, f"/district/approvals/{theirs['id']}/{action}", {}, token_from="/district/approvals"
        )
        assert response.status_code == 404, action
    response = await post_form(client, "/district/approvals/999999/approve", {}, token_from="/district/approvals")
    assert response.status_code == 404
    assert (await _row(theirs["id"]))["status"] == "pending_approval"


async def test_only_coordinators_use_the_approvals_page(client, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    _, registration = await _pending(offering_id)
    assert (await client.get("/district/approvals")).status_code == 303  # sign in first
    for role in ("attendee", "staff", "finance"):
        await signed_in(client, await make_user(role, district="EGUSD" if role == "attendee" else None))
        assert (await client.get("/district/approvals")).status_code == 403, role
        response = await post_form(
            client, f"/district/approvals/{registration['id']}/approve", {}, token_from="/my/learning"
        )
        assert response.status_code == 403, role
    assert (await _row(registration["id"]))["status"] == "pending_approval"


async def test_the_use_cases_refuse_what_they_must(db, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    _, registration = await _pending(offering_id)
    teacher = Actor.from_row(await make_user("attendee", district="EGUSD"))
    with pytest.raises(Forbidden):
        await approvals.approve(teacher, registration["id"])
    other = Actor.from_row(await make_user("coordinator", district="SJUSD"))
    with pytest.raises(NotFound):
        await approvals.approve(other, registration["id"])
    mine = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    with pytest.raises(Conflict) as error:
        await approvals.approve(mine, registration["id"], now=registration["hold_expires_at"])
    assert error.value.code == "approval_expired"
    approved = await approvals.approve(mine, registration["id"])
    assert approved["status"] == "confirmed"
    with pytest.raises(Conflict):
        await approvals.decline(mine, registration["id"])


async def test_a_coordinator_registering_their_own_district_needs_no_second_approval(db, approval_districts):
    offering_id = await make_workshop("Paid literacy", price_cents=9900)
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    outcome = await register(
        coordinator,
        offering_id,
        RegistrationRequest(attendee_email="new.teacher@egusd.example", attendee_name="New Teacher"),
    )
    assert outcome.registration["status"] == "confirmed"
