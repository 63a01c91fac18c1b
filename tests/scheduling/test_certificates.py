"""Transcript (HTML, PDF), certificates (PDF, owner only) and public verification by code."""

from __future__ import annotations

import io

from pypdf import PdfReader

from booking.accounts.actor import Actor
from booking.scheduling.attendance import mark_attendance
from booking.workflows.complete_offering import complete_offering
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import enrol, registration, session, staff_member, workshop


def pdf_text(content: bytes) -> tuple[str, dict]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), dict(reader.metadata or {})


def flat(text: str) -> str:
    return " ".join(text.split())


async def _completed_history():
    """Hồng completes two workshops and misses a third; Sam completes one of them too."""
    staff, actor = await staff_member()
    hong = await make_user("attendee", district="EGUSD", name="Nguyễn Thị Hồng", email="hong@example.org")
    sam = await make_user("attendee", name="Sam O'Brien")
    series = await workshop(
        actor,
        title="Number Talks in Grades 3-5",
        pd_hours="6.5",
        facilitators="Maria Alvarez, James O'Neil",
        sessions=[session(2026, 3, 10), session(2026, 3, 24)],
    )
    literacy = await workshop(actor, title="Science of Reading: Phonics", pd_hours="3", sessions=[session(2026, 1, 13)])
    missed = await workshop(actor, title="Missed Workshop", pd_hours="4", sessions=[session(2026, 2, 3)])
    regs = {}
    for offering in (series, literacy, missed):
        for person in (hong, sam):
            regs[(offering["id"], person["id"])] = (await enrol(offering["id"], [person]))[0]
    for offering in (series, literacy):
        for s in offering["sessions"]:
            await mark_attendance(actor, offering["id"], s["id"], regs[(offering["id"], hong["id"])]["id"], "present")
    for s in series["sessions"]:
        await mark_attendance(actor, series["id"], s["id"], regs[(series["id"], sam["id"])]["id"], "present")
    for offering in (series, literacy, missed):
        await complete_offering(actor, offering["id"], confirm_unmarked=True)
    return {
        "staff": staff,
        "hong": hong,
        "sam": sam,
        "series": series,
        "literacy": literacy,
        "missed": missed,
        "regs": regs,
    }


async def test_the_transcript_lists_completed_workshops_with_dates_hours_and_total(client):
    h = await _completed_history()
    await signed_in(client, h["hong"])

    response = await client.get("/my/transcript")

    assert response.status_code == 200
    html = flat(response.text)
    assert "Science of Reading: Phonics" in html and "Number Talks in Grades 3-5" in html
    assert html.index("Science of Reading") < html.index("Number Talks")  # earliest first
    assert "March 10 – March 24, 2026 (2 sessions)" in html and "Tuesday, January 13, 2026" in html
    assert '<td class="transcript-num">6.5</td>' in html and '<td class="transcript-num">3</td>' in html
    assert '<p class="transcript-total-value">9.5</p>' in html
    assert "Missed Workshop" not in html
    series_reg = await registration(h["regs"][(h["series"]["id"], h["hong"]["id"])]["id"])
    assert f'href="/my/certificates/{series_reg["id"]}.pdf"' in html
    assert f'href="/certificates/{series_reg["certificate_code"]}"' in html


async def test_a_transcript_with_nothing_completed_says_so(client):
    await signed_in(client, await make_user("attendee"))
    response = await client.get("/my/transcript")
    assert response.status_code == 200 and "No completed workshops yet" in response.text
    text, _ = pdf_text((await client.get("/my/transcript.pdf")).content)
    assert "No completed workshops yet" in flat(text)


async def test_the_transcript_pdf_reads_as_the_page_does(client):
    h = await _completed_history()
    await signed_in(client, h["hong"])

    response = await client.get("/my/transcript.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="pd-transcript.pdf"'
    assert response.content.startswith(b"%PDF-")
    text, metadata = pdf_text(response.content)
    text = flat(text)
    assert metadata["/Title"] == "Professional development transcript"
    for expected in (
        "SACRAMENTO COUNTY OFFICE OF EDUCATION",
        "Professional Development Transcript",
        "Nguyễn Thị Hồng",
        "hong@example.org",
        "Elk Grove Unified",
        "Number Talks in Grades 3-5",
        "Science of Reading: Phonics",
        "6.5",
        "Total professional development hours 9.5",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "Missed Workshop" not in text


async def test_the_certificate_pdf_names_person_workshop_dates_hours_facilitators_and_verification(client):
    h = await _completed_history()
    reg = await registration(h["regs"][(h["series"]["id"], h["hong"]["id"])]["id"])
    await signed_in(client, h["hong"])

    response = await client.get(f"/my/certificates/{reg['id']}.pdf")

    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "certificate-number-talks-in-grades-3-5.pdf" in response.headers["content-disposition"]
    text, metadata = pdf_text(response.content)
    text = flat(text)
    assert metadata["/Title"] == "Certificate of Completion: Number Talks in Grades 3-5"
    for expected in (
        "SACRAMENTO COUNTY OFFICE OF EDUCATION",
        "Certificate of Completion",
        "This certifies that",
        "Nguyễn Thị Hồng",
        "Number Talks in Grades 3-5",
        "March 10 – March 24, 2026 (2 sessions)",
        "6.5 professional development hours",
        "Facilitated by Maria Alvarez, James O'Neil",
        f"Certificate number {reg['certificate_code']}",
        f"Verify this certificate at http://testserver.local/certificates/{reg['certificate_code']}",
    ):
        assert expected in text, expected


async def test_certificates_are_only_their_owners_and_only_when_earned(client):
    h = await _completed_history()
    hong_series = h["regs"][(h["series"]["id"], h["hong"]["id"])]["id"]
    sam_series = h["regs"][(h["series"]["id"], h["sam"]["id"])]["id"]
    hong_missed = h["regs"][(h["missed"]["id"], h["hong"]["id"])]["id"]

    await signed_in(client, h["hong"])
    assert (await client.get(f"/my/certificates/{sam_series}.pdf")).status_code == 404  # another person's
    assert (await client.get(f"/my/certificates/{hong_missed}.pdf")).status_code == 404  # not earned
    for bad in ("999999.pdf", "99999999999.pdf", f"{hong_series}.png", f"{hong_series}", "abc.pdf", "-1.pdf"):
        assert (await client.get(f"/my/certificates/{bad}")).status_code == 404, bad
    assert (await client.get(f"/my/certificates/{hong_series}.pdf")).status_code == 200
    # Staff see hours on the roster; a certificate PDF is its owner's alone.
    client.cookies.clear()
    await signed_in(client, h["staff"])
    assert (await client.get(f"/my/certificates/{hong_series}.pdf")).status_code == 404
    client.cookies.clear()
    for path in ("/my/transcript", "/my/transcript.pdf", f"/my/certificates/{hong_series}.pdf"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == f"/sign-in?next={path}"


async def test_anyone_can_verify_a_certificate_by_its_code(client):
    h = await _completed_history()
    reg = await registration(h["regs"][(h["series"]["id"], h["hong"]["id"])]["id"])
    code = reg["certificate_code"]

    for variant in (code, code.lower()):
        response = await client.get(f"/certificates/{variant}")
        assert response.status_code == 200, variant
        html = flat(response.text)
        assert "Genuine certificate" in html
        assert "<dt>Issued to</dt><dd>Nguyễn Thị Hồng</dd>" in html
        assert "<dt>Workshop</dt><dd>Number Talks in Grades 3-5</dd>" in html
        assert "<dt>PD hours</dt><dd>6.5</dd>" in html
        assert "March 10 – March 24, 2026 (2 sessions)" in html
        assert response.headers["x-robots-tag"] == "noindex"
        assert "hong@example.org" not in html  # the public page shows no contact details


async def test_an_unknown_or_withdrawn_code_is_a_clear_404(client):
    h = await _completed_history()
    reg = await registration(h["regs"][(h["series"]["id"], h["hong"]["id"])]["id"])
    for code in ("ABCDE-23456-FGHJK-78923", "nope", "x" * 300, "%3Cscript%3E"):
        response = await client.get(f"/certificates/{code}")
        assert response.status_code == 404, code
        assert "Certificate not found" in response.text
        assert "<script>" not in response.text
    # Attendance corrected: the certificate is withdrawn and its code no longer verifies.
    actor = Actor.from_row(h["staff"])
    await mark_attendance(actor, h["series"]["id"], h["series"]["sessions"][0]["id"], reg["id"], "absent")
    response = await client.get(f"/certificates/{reg['certificate_code']}")
    assert response.status_code == 404 and "Certificate not found" in response.text
