"""Family health forms on both engines: links per student (tampered, reissued, expired), the public form's
validation (nothing stored on any bad input, never a 5xx), versions kept, the freeze, the Spanish pages with no
English left, what the nurse's CSV and the roster take from the forms, and the purge."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from booking.audit.tables import AuditEntry
from booking.clock import advance_clock_for_tests, reset_clock_for_tests
from booking.i18n import LOCALE_DIR, translation_context, translations
from booking.slypark import intake
from booking.slypark.student_data_purge import purge_student_notes
from booking.slypark.tables import FamilyForm, FamilyLink
from booking.templating import render
from tests.factories import csrf_token
from tests.slypark.test_intake import a_booking, as_role

GOOD = {
    "first_name": "Ana",
    "last_name": "Lopez",
    "gender": "girl",
    "date_of_birth": "2015-04-09",
    "allergies": "Peanuts: EpiPen in her bag",
    "dietary_needs": "vegetarian",
    "medications": "Inhaler, 2 puffs, before hikes",
    "conditions": "Asthma",
    "contact_name_1": "Rosa Lopez",
    "contact_relationship_1": "aunt",
    "contact_phone_1": "916-555-0142",
    "permission_to_treat": "yes",
    "permission_photos": "no",
    "parent_name": "Maria Lopez",
    "relationship": "mother",
    "signature": "Maria Lopez",
}


def said(response) -> str:
    return html.unescape(response.text)


async def links_for_booking(client) -> tuple[int, dict[str, str], str]:
    """A booking with two students and their links, made by the coordinator on the page; (id, links by name, token)."""
    booking_id, coordinator = await a_booking()
    await intake.save_grid(
        coordinator, booking_id, [intake.StudentInput("Ana", "Lopez", "girl"), intake.StudentInput("Ben", "Ng", "boy")]
    )
    token = await as_role(client, "coordinator", "EGUSD")
    page_url = f"/slypark/bookings/{booking_id}/families"
    assert "No link yet" in (await client.get(page_url)).text
    assert (await client.post(page_url, data={"_csrf_token": token})).status_code == 303
    page = await client.get(page_url)
    urls = re.findall(r'value="http://[^"]*(/families/[0-9]+-[A-Za-z0-9_-]{32})"', page.text)
    assert len(urls) == 2 and "0 of 2 forms in" in said(page)
    return booking_id, {"Lopez": urls[0], "Ng": urls[1]}, token


async def family_post(client, url: str, values: dict, **kwargs):
    client.cookies.clear()  # the family has no session: only the form's own CSRF cookie
    token = await csrf_token(client, url)
    return await client.post(url, data={**values, "_csrf_token": token}, **kwargs)


async def test_a_family_sends_the_form_and_corrects_it_and_every_version_is_kept(client):
    booking_id, links, _ = await links_for_booking(client)
    url = links["Lopez"]
    for missing, field, message in (
        ("signature", "signature", "Type your full name to sign the form."),
        ("contact_phone_1", "contact_phone_1", "Enter a phone number for this emergency contact."),
        ("permission_to_treat", "permission_to_treat", "Choose yes or no."),
    ):
        bad = await family_post(client, url, {**GOOD, missing: ""})
        assert bad.status_code == 422 and message in said(bad) and f'href="#f-{field}"' in bad.text
    for field, value, message in (
        ("allergies", "x" * 1001, "Too long: use at most 1,000 characters."),
        ("contact_phone_1", "call me", "Enter a phone number with its area code"),
        ("signature", "Someone Else", "Type your name exactly as you wrote it above"),
        ("date_of_birth", "1990-01-01", "Check the date of birth"),
        ("date_of_birth", "2015-02-30", "Enter the date of birth"),
        ("gender", "robot", "Choose boy or girl"),
    ):
        bad = await family_post(client, url, {**GOOD, field: value})
        assert bad.status_code == 422 and message in said(bad), field
    upload = await family_post(client, url, GOOD, files={"photo": ("kid.jpg", b"\xff\xd8\xff", "image/jpeg")})
    assert upload.status_code == 415 and "This form takes no files" in said(upload)
    assert await FamilyForm.count() == 0

    sent = await family_post(client, url, GOOD)
    assert sent.status_code == 303
    thanks = await client.get(sent.headers["location"])
    assert (
        "Thank you. Your form is in (version 1)." in said(thanks)
        and 'value="Peanuts: EpiPen in her bag"' not in thanks.text
    )
    corrected = await family_post(client, url, {**GOOD, "allergies": "Peanuts and tree nuts"})
    assert corrected.status_code == 303
    versions = await FamilyForm.select().where(FamilyForm.booking == booking_id).order_by(FamilyForm.version)
    assert [(v["version"], v["allergies"]) for v in versions] == [(1, GOOD["allergies"]), (2, "Peanuts and tree nuts")]
    assert (
        versions[1]["form_version"]
        and versions[1]["signature"] == "Maria Lopez"
        and versions[1]["relationship"] == "mother"
    )

    # the coordinator sees it in, reads it (audited), and the nurse's CSV and roster take the family's answers
    await as_role(client, "coordinator", "EGUSD")
    page = said(await client.get(f"/slypark/bookings/{booking_id}/families"))
    assert "1 of 2 forms in" in page and "In</strong>: version 2" in page
    before = await AuditEntry.count().where(AuditEntry.kind == "family_form.viewed")
    form_page = said(await client.get(f"/slypark/bookings/{booking_id}/families/form?student=ana+lopez"))
    assert "Version 2 (in force)" in form_page and "Version 1" in form_page and "Peanuts and tree nuts" in form_page
    assert await AuditEntry.count().where(AuditEntry.kind == "family_form.viewed") == before + 1
    nurse = (await client.get(f"/slypark/bookings/{booking_id}/students/medical.csv")).text
    assert "Peanuts and tree nuts" in nurse and "Inhaler, 2 puffs, before hikes" in nurse and "version 2" in nurse
    # the week's roster (staff) shows the family's allergies and dietary needs instead of the grid's
    from booking.slypark.rosters import roster_csv
    from booking.slypark.tables import Booking
    from tests.workshop_factory import staff_actor

    week_id = (await Booking.select(Booking.week).where(Booking.id == booking_id).first())["week"]
    roster = (await roster_csv(await staff_actor(), week_id)).text
    assert "Peanuts and tree nuts; vegetarian" in roster
    # finance never reaches the forms
    await as_role(client, "finance")
    assert (await client.get(f"/slypark/bookings/{booking_id}/families/form?student=ana+lopez")).status_code == 403


async def test_tampered_reissued_and_expired_links_change_nothing(client):
    booking_id, links, token = await links_for_booking(client)
    url = links["Ng"]
    tampered = url[:-1] + ("A" if url[-1] != "A" else "B")
    for bad_url in (tampered, "/families/999999-" + "a" * 32, "/families/not-a-token"):
        assert (await client.get(bad_url)).status_code == 404
    client.cookies.clear()
    good_token = await csrf_token(client, url)
    assert (await client.post(tampered, data={**GOOD, "_csrf_token": good_token})).status_code == 404

    await as_role(client, "coordinator", "EGUSD")
    token = await csrf_token(client, f"/slypark/bookings/{booking_id}/families")
    reissued = await client.post(
        f"/slypark/bookings/{booking_id}/families/reissue", data={"_csrf_token": token, "student": "ben ng"}
    )
    assert reissued.status_code == 303
    client.cookies.clear()
    good_token = await csrf_token(client, links["Lopez"])
    old = await client.get(url)
    assert old.status_code == 410 and "The school has sent a new link" in said(old)
    assert (await client.post(url, data={**GOOD, "_csrf_token": good_token})).status_code == 410
    assert await FamilyForm.count() == 0
    assert await FamilyLink.count().where(FamilyLink.replaced_at.is_null()) == 2

    # after the freeze a sent form is read-only; after the week, the link is gone
    sent = await client.post(links["Lopez"], data={**GOOD, "_csrf_token": good_token})
    assert sent.status_code == 303
    try:
        advance_clock_for_tests(dt.timedelta(weeks=8))  # the week is 10 weeks away; the freeze 3 weeks before it
        frozen = await client.get(links["Lopez"])
        assert (
            frozen.status_code == 200 and "can no longer be changed" in said(frozen) and "<textarea" not in frozen.text
        )
        late = await client.post(links["Lopez"], data={**GOOD, "allergies": "none", "_csrf_token": good_token})
        assert late.status_code == 409
        advance_clock_for_tests(dt.timedelta(weeks=4))
        expired = await client.get(links["Lopez"])
        assert expired.status_code == 410 and "This link has expired" in said(expired)
    finally:
        reset_clock_for_tests()
    assert await FamilyForm.count() == 1


async def test_a_reminder_goes_through_the_outbox_in_english_and_spanish(client):
    from booking.notifications.tables import OutboxMessage

    booking_id, links, _ = await links_for_booking(client)
    token = await csrf_token(client, f"/slypark/bookings/{booking_id}/families")
    url = f"/slypark/bookings/{booking_id}/families/remind"
    bad = await client.post(url, data={"_csrf_token": token, "student": "ben ng", "email": "not an address"})
    assert bad.status_code == 422 and await OutboxMessage.count() == 0
    ok = await client.post(url, data={"_csrf_token": token, "student": "ben ng", "email": "family@home.example"})
    assert ok.status_code == 303
    message = await OutboxMessage.select().first()
    assert message["to_address"] == "family@home.example" and links["Ng"] in message["body_text"]
    assert "Formulario de salud de Ben Ng" in message["subject"] and "no necesita una cuenta" in message["body_text"]


def _english_left(spanish: str) -> list[str]:
    """The msgids whose Spanish differs from them and still show in a Spanish page (placeholders cut out)."""
    catalog = read_po(io.BytesIO(Path(LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").read_bytes()))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", spanish)).split())
    left = []
    for message in catalog:
        if not message.id or message.string == message.id:
            continue
        for piece in re.split(r"%\([a-z_]+\)s", message.id):
            piece = piece.strip(" .,:()·")
            if len(piece) > 3 and piece in text:
                left.append(piece)
    return left


async def test_every_family_page_in_spanish_has_no_english_left(client):
    booking_id, links, _ = await links_for_booking(client)
    url = links["Lopez"]
    client.cookies.clear()
    pages = {"form": await client.get(url + "?lang=es")}
    assert pages["form"].headers.get("set-cookie", "").startswith("family_language=es")
    english = await client.get(url + "?lang=en")
    token = await csrf_token(client, url + "?lang=es")
    pages["errors"] = await client.post(url, data={"_csrf_token": token, "lang": "es", "allergies": "x" * 1001})
    sent = await client.post(url, data={**GOOD, "_csrf_token": token, "lang": "es"})
    pages["thanks"] = await client.get(sent.headers["location"])
    pages["unknown"] = await client.get("/families/1-" + "a" * 32, headers={"Accept-Language": "es-MX,es;q=0.9"})
    pages["file"] = await client.post(url, data={"_csrf_token": token, "lang": "es"}, files={"f": ("a.txt", b"x")})
    try:
        advance_clock_for_tests(dt.timedelta(weeks=8))
        pages["read_only"] = await client.get(url)  # the cookie remembers Spanish
        advance_clock_for_tests(dt.timedelta(weeks=4))
        pages["expired"] = await client.get(url)
    finally:
        reset_clock_for_tests()
    assert "Health and permission form" in english.text and 'lang="en"' in english.text
    for name, response in pages.items():
        assert response.status_code < 500 and '<html lang="es">' in response.text, name
        assert not _english_left(response.text), (name, _english_left(response.text))
    assert "Demasiado largo: use como máximo 1000 caracteres." in said(
        pages["errors"]
    ) or "Demasiado largo: use como máximo 1.000 caracteres." in said(pages["errors"])
    assert "Gracias. Recibimos su formulario (versión 1)." in said(pages["thanks"])
    assert (await FamilyForm.select(FamilyForm.language).first())["language"] == "es"
    # the printed letter carries both languages (rendered as the PDF's HTML)
    letter = render(
        "slypark/family_letters_pdf.html",
        booking={"school_name": "X", "starts_on": dt.date(2027, 3, 1), "ends_on": dt.date(2027, 3, 5)},
        letters=[{"name": "Ana", "url": "u", "qr": "", "expires_at": dt.date(2027, 3, 6)}],
        versions=[translation_context("en"), translation_context("es")],
        font_dir="",
    )
    assert (
        "Health and permission form" in letter
        and "Formulario de salud y permisos" in letter
        and "1 de marzo de 2027" in letter
    )


def test_the_catalogs_hold_every_string_of_the_family_pages_and_spanish_translates_them(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    # The strings of the code and templates now (what `make messages` extracts) are those of the committed template.
    repo = Path(__file__).resolve().parents[2]
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "es_",
            "-k",
            "tr",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    assert {m.id for m in read_po(io.BytesIO(Path(fresh).read_bytes())) if m.id} == {
        m.id for m in read_po(io.BytesIO(Path(LOCALE_DIR / "messages.pot").read_bytes())) if m.id
    }
    template = read_po(io.BytesIO(Path(LOCALE_DIR / "messages.pot").read_bytes()))
    spanish = read_po(io.BytesIO(Path(LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").read_bytes()))
    ids = {m.id for m in template if m.id}
    assert ids and ids == {m.id for m in spanish if m.id}
    assert not [m.id for m in spanish if m.id and (not m.string or m.fuzzy)]
    assert translations("es").gettext("Yes") == "Sí"


async def test_the_purge_removes_family_forms_and_links(client):
    booking_id, links, _ = await links_for_booking(client)
    assert (await family_post(client, links["Lopez"], GOOD)).status_code == 303
    assert (await purge_student_notes(60)).family_forms == 0  # the week has not even started
    try:
        advance_clock_for_tests(dt.timedelta(weeks=20))
        result = await purge_student_notes(60)
    finally:
        reset_clock_for_tests()
    assert result.family_forms == 1 and "family health forms removed (every version): 1" in result.lines()
    assert await FamilyForm.count() == 0 and await FamilyLink.count() == 0
    entry = await AuditEntry.select().where(AuditEntry.kind == "student_notes.purged").first()
    assert '"family_forms": 1' in entry["detail"] or entry["detail"].get("family_forms") == 1


async def test_two_submissions_at_once_become_two_versions(client):
    import asyncio

    booking_id, links, _ = await links_for_booking(client)
    client.cookies.clear()
    token = await csrf_token(client, links["Lopez"])
    answers = await asyncio.gather(
        *[client.post(links["Lopez"], data={**GOOD, "allergies": f"take {n}", "_csrf_token": token}) for n in range(3)]
    )
    assert [a.status_code for a in answers] == [303, 303, 303]
    versions = await FamilyForm.select(FamilyForm.version).where(FamilyForm.booking == booking_id)
    assert sorted(v["version"] for v in versions) == [1, 2, 3]


async def test_the_printed_letters_have_a_page_per_student_in_english_and_spanish(client):
    import io

    from pypdf import PdfReader

    booking_id, links, _ = await links_for_booking(client)
    response = await client.get(f"/slypark/bookings/{booking_id}/families/letters.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Health and permission form" in first and "Formulario de salud y permisos" in first
    assert links["Lopez"].rsplit("/", 1)[1] in first.replace(" ", "")
    assert reader.pages[0].images  # the QR code
