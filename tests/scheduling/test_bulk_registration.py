"""Coordinators and staff register many people at once from pasted emails (POST /workshops/{id}/register-others)."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from booking.accounts.actor import Actor
from booking.accounts.tables import District, User
from booking.errors import InvalidInput
from booking.notifications.tables import OutboxMessage
from booking.scheduling.bulk_registration import InvalidLines, parse_line, register_many
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user, post_form, signed_in, token_from_page
from tests.workshop_factory import make_workshop


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def report_rows(html: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<div class="bulk-report".*?<tbody>(.*?)</tbody>', html, re.S)
    assert table, "no report on the page"
    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table.group(1), re.S)
    return [(text_of(a), text_of(b), text_of(c)) for a, b, c in rows]


async def _paste(client, offering_id: int, people: str, po_number: str = "", **kwargs):
    return await post_form(
        client,
        f"/workshops/{offering_id}/register-others",
        {"people": people, "po_number": po_number},
        token_from=f"/workshops/{offering_id}",
        **kwargs,
    )


async def test_a_coordinator_registers_a_pasted_list_and_gets_a_report_per_line(client):
    offering_id = await make_workshop("Paid PD", price_cents=4500, capacity=3)
    known = await make_user("attendee", district="EGUSD", email="known@egusd.example", name="Known Teacher")
    already = await make_user("attendee", district="EGUSD", email="already@egusd.example")
    await register(Actor.from_row(already), offering_id, RegistrationRequest(payer="district"))
    await make_user("attendee", district="SJUSD", email="other@sanjuan.example")
    coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))
    pasted = "\n".join(
        [
            "known@egusd.example",
            "",
            '"Ruiz, Ana" <Ana.Ruiz@EGUSD.example>',
            "other@sanjuan.example",
            "already@egusd.example",
            "Ben Li <ben.li@egusd.example>,",
            "KNOWN@egusd.example",
        ]
    )

    response = await _paste(client, offering_id, pasted, po_number="PO-555")

    assert response.status_code == 200
    rows = report_rows(response.text)
    assert [(line, result.split(".")[0]) for line, _, result in rows] == [
        ("1", "Registered: seat confirmed"),
        ("3", "Registered: seat confirmed"),
        ("4", "Refused: That person belongs to another district; their own coordinator registers them"),
        ("5", "Already registered for this workshop"),
        ("6", "On the waiting list, at position 1"),
        ("7", "Listed already on line 1"),
    ]
    assert "A new account was made and they were emailed." in rows[1][2]
    assert "2 registered, 0 waiting for approval, 1 on the waiting list, 2 already registered, 1 refused." in text_of(
        response.text
    )

    ana = await User.select().where(User.email == "ana.ruiz@egusd.example").first()
    assert ana["name"] == "Ruiz, Ana" and ana["district"] == coordinator["district"] and ana["role"] == "attendee"
    regs = {r["attendee"]: r for r in await Registration.select()}
    assert regs[known["id"]]["status"] == "confirmed" and regs[known["id"]]["po_number"] == "PO-555"
    assert regs[known["id"]]["payer"] == "district" and regs[known["id"]]["registered_by"] == coordinator["id"]
    assert regs[ana["id"]]["status"] == "confirmed"
    ben = await User.select().where(User.email == "ben.li@egusd.example").first()
    assert regs[ben["id"]]["status"] == "waitlisted"
    assert len(regs) == 4  # already + known + ana + ben; nobody from San Juan
    subjects = [
        m["subject"] for m in await OutboxMessage.select().where(OutboxMessage.to_address == "ana.ruiz@egusd.example")
    ]
    assert "Your account for SCOE Professional Learning" in subjects and "You're registered: Paid PD" in subjects


async def test_any_malformed_line_means_nobody_is_registered(client):
    offering_id = await make_workshop()
    await make_user("attendee", district="EGUSD", email="fine@egusd.example")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    pasted = "\n".join(
        [
            "fine@egusd.example",
            "not an email",
            "New Person <new.person@egusd.example>",
            "a@egusd.example b@egusd.example",
            "stranger@egusd.example",
            "Name <broken@>",
            "<@egusd.example>",
        ]
    )

    response = await _paste(client, offering_id, pasted)

    assert response.status_code == 422
    text = text_of(response.text)
    assert "Nobody was registered: 5 lines need fixing" in text
    for line in (2, 4, 5, 6, 7):
        assert f"Line {line} " in text, line
    assert "Line 1 " not in text and "Line 3 " not in text
    assert "stranger@egusd.example has no account yet. Add their name" in text
    assert "Write one person per line" in text
    assert pasted.split("\n")[1] in response.text  # the pasted text is kept, to fix and send again
    assert await Registration.count() == 0
    assert not await User.exists().where(User.email == "new.person@egusd.example")
    assert await OutboxMessage.count() == 0


@pytest.mark.parametrize(
    "pasted, message",
    [
        ("", "Paste at least one email address"),
        ("   \n\n  ", "Paste at least one email address"),
        ("\n".join(f"p{n}@egusd.example" for n in range(201)), "Paste at most 200 people at a time."),
    ],
)
async def test_an_empty_or_oversized_paste_is_refused(client, pasted, message):
    offering_id = await make_workshop()
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    response = await _paste(client, offering_id, pasted)
    assert response.status_code == 422 and message in response.text
    assert await Registration.count() == 0


async def test_a_too_long_po_number_is_refused_before_anyone_is_registered(client):
    offering_id = await make_workshop(price_cents=1000)
    await make_user("attendee", district="EGUSD", email="fine@egusd.example")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    response = await _paste(client, offering_id, "fine@egusd.example", po_number="X" * 61)
    assert response.status_code == 422 and "A PO number has at most 60 characters." in response.text
    assert await Registration.count() == 0


async def test_staff_register_anyone_but_a_fee_needs_a_district_to_bill(client):
    offering_id = await make_workshop("Paid PD", price_cents=4500)
    await make_user("attendee", district="SJUSD", email="sj@sanjuan.example")
    await make_user("attendee", email="independent@example.org")
    await signed_in(client, await make_user("staff"))

    response = await _paste(
        client, offering_id, "sj@sanjuan.example\nindependent@example.org\nWalk In <walk.in@example.org>"
    )

    rows = report_rows(response.text)
    assert rows[0][2].startswith("Registered")
    assert rows[1][2] == "Refused: this person belongs to no district, so there is no district to bill the fee to."
    assert rows[2][2].startswith("Refused: this person belongs to no district")
    assert await Registration.count() == 1
    # The refusal rolled back the whole registration, the newcomer's account included.
    assert not await User.exists().where(User.email == "walk.in@example.org")


async def test_htmx_gets_just_the_panel_back(client):
    offering_id = await make_workshop()
    await make_user("attendee", district="EGUSD", email="fine@egusd.example")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    page = await client.get(f"/workshops/{offering_id}")
    assert 'hx-target="#register-others"' in page.text
    token = token_from_page(page)
    response = await client.post(
        f"/workshops/{offering_id}/register-others",
        data={"people": "fine@egusd.example"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert "<html" not in response.text and response.text.lstrip().startswith('<h2 id="others-heading">')
    assert report_rows(response.text)[0][2] == "Registered: seat confirmed."
    # The seats line at the top of the page is brought up to date out of band.
    assert '<p id="seat-state" class="seat-state state-available" hx-swap-oob="true">19 seats left</p>' in response.text


async def test_attendees_cannot_register_others_and_drafts_are_404(client):
    offering_id = await make_workshop()
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    response = await _paste(client, offering_id, "Someone <someone@egusd.example>")
    assert response.status_code == 403
    draft = await make_workshop(status="draft")
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    response = await post_form(
        client,
        f"/workshops/{draft}/register-others",
        {"people": "New <n@egusd.example>"},
        token_from=f"/workshops/{offering_id}",
    )
    assert response.status_code == 404
    assert await Registration.count() == 0 and not await User.exists().where(User.email == "someone@egusd.example")


async def test_a_coordinators_own_district_needs_no_approval_from_them_again(db):
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "EGUSD")
    offering_id = await make_workshop(price_cents=2500)
    await make_user("attendee", district="EGUSD", email="fine@egusd.example")
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    report = await register_many(coordinator, offering_id, "fine@egusd.example")
    assert [o.result for o in report.outcomes] == ["registered"]


def test_parse_line_accepts_the_usual_shapes_and_refuses_the_rest():
    assert parse_line("ana@x.org") == ("ana@x.org", None)
    assert parse_line("  Ana Ruiz <ANA@X.ORG>; ") == ("ana@x.org", "Ana Ruiz")
    assert parse_line('"Ruiz, Ana" <ana@x.org>') == ("ana@x.org", "Ruiz, Ana")
    assert parse_line("<ana@x.org>") == ("ana@x.org", None)
    for bad in (
        "ana",
        "ana@",
        "ana@x",
        "Ana Ruiz ana@x.org",
        "a@x.org, b@x.org",
        "Ana <ana@x.org> <b@x.org>",
        "Ana <>",
    ):
        with pytest.raises(InvalidInput):
            parse_line(bad)


async def test_invalid_lines_are_reported_in_line_order(db):
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    offering_id = await make_workshop()
    with pytest.raises(InvalidLines) as error:
        await register_many(coordinator, offering_id, "nobody@egusd.example\n\nbad line here\n")
    assert [(p.line, p.text) for p in error.value.problems] == [(1, "nobody@egusd.example"), (3, "bad line here")]
