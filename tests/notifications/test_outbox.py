"""The outbox: written in the caller's transaction, delivered by the worker over real SMTP.

Every test runs on SQLite and PostgreSQL (the `db` fixture) against the aiosmtpd server
of tests/smtp.py; "server down" is a loopback port nobody listens on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import re
from collections import Counter

import pytest

from booking.clock import utc_now
from booking.db import write_transaction
from booking.notifications.delivery import FileTransport, SmtpTransport, transport_from_settings
from booking.notifications.outbox import Attachment, enqueue_email
from booking.notifications.tables import OutboxMessage
from booking.notifications.worker import LEASE, MAX_ATTEMPTS, backoff, deliver_pending
from tests.conftest import free_port
from tests.factories import make_user, post_form


class Boom(Exception):
    pass


async def enqueue(to_address: str = "robin@example.org", path: str = "/sign-in/link/abc123", **kwargs) -> int:
    """Queue a real rendered email (the sign-in link template) in its own transaction."""
    async with write_transaction():
        return await enqueue_email(to_address, "sign_in_link", {"name": "Robin", "path": path, "minutes": 20}, **kwargs)


async def outbox_row(row_id: int) -> dict:
    return await OutboxMessage.select().where(OutboxMessage.id == row_id).first()


async def make_due(row_id: int) -> None:
    await OutboxMessage.update({OutboxMessage.next_attempt_at: utc_now() - dt.timedelta(seconds=1)}).where(
        OutboxMessage.id == row_id
    )


def server_down() -> SmtpTransport:
    """A transport pointed at a loopback port that nothing listens on (connection refused)."""
    return SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=5)


async def test_email_enqueued_in_a_transaction_that_raises_is_never_stored_or_sent(db, smtp_server):
    with pytest.raises(Boom):
        async with write_transaction():
            await enqueue_email("robin@example.org", "sign_in_link", {"name": "Robin", "path": "/x", "minutes": 20})
            assert await OutboxMessage.count() == 1  # written, inside the transaction
            raise Boom
    assert await OutboxMessage.count() == 0
    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 0
    assert smtp_server.messages == []


async def test_committed_email_is_delivered_exactly_once_with_headers_and_both_parts(db, smtp_server):
    row_id = await enqueue("robin@example.org", path="/sign-in/link/abc123")
    queued = await outbox_row(row_id)
    assert queued["status"] == "pending" and queued["attempts"] == 0
    assert re.fullmatch(r"<[0-9a-f]{32}@testserver\.local>", queued["message_id"])

    transport = SmtpTransport(smtp_server.url)
    assert await deliver_pending(transport) == 1
    assert await deliver_pending(transport) == 0  # nothing left: never sent twice

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "robin@example.org"
    assert received["Subject"] == "Your sign-in link"
    assert received["Message-ID"] == queued["message_id"]
    assert "no-reply@scoe.net" in received["From"]
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Hello Robin" in text and "http://testserver.local/sign-in/link/abc123" in text
    assert 'href="http://testserver.local/sign-in/link/abc123"' in html

    sent = await outbox_row(row_id)
    assert sent["status"] == "sent"
    assert sent["attempts"] == 1
    assert sent["sent_at"] is not None and sent["lease_until"] is None and sent["last_error"] == ""


async def test_two_concurrent_workers_deliver_each_of_20_messages_exactly_once(db, smtp_server):
    for n in range(20):
        await enqueue(f"person{n}@example.org")
    transport = SmtpTransport(smtp_server.url)

    sent_by_each = await asyncio.gather(deliver_pending(transport), deliver_pending(transport))

    assert sum(sent_by_each) == 20, sent_by_each
    assert all(sent_by_each), f"one worker sent everything, so they did not overlap: {sent_by_each}"
    per_message_id = Counter(message["Message-ID"] for message in smtp_server.messages)
    rows = await OutboxMessage.select(OutboxMessage.message_id, OutboxMessage.status, OutboxMessage.attempts)
    assert per_message_id == Counter(row["message_id"] for row in rows)  # each exactly once, none missing
    assert {(row["status"], row["attempts"]) for row in rows} == {("sent", 1)}


async def test_server_down_keeps_message_pending_with_backoff_then_delivers_when_due(db, smtp_server):
    row_id = await enqueue("robin@example.org")

    before = utc_now()
    assert await deliver_pending(server_down()) == 0
    after = utc_now()
    row = await outbox_row(row_id)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["lease_until"] is None
    assert "ConnectionRefused" in row["last_error"]
    assert before + backoff(1) <= row["next_attempt_at"] <= after + backoff(1)
    assert backoff(1) == dt.timedelta(seconds=30) and backoff(2) == dt.timedelta(minutes=1)

    up = SmtpTransport(smtp_server.url)
    assert await deliver_pending(up) == 0  # server is up, but the retry is not due yet
    assert smtp_server.messages == []

    await make_due(row_id)
    assert await deliver_pending(up) == 1
    assert len(smtp_server.to("robin@example.org")) == 1
    row = await outbox_row(row_id)
    assert row["status"] == "sent" and row["attempts"] == 2 and row["last_error"] == ""


async def test_permanent_refusal_fails_the_message_and_it_is_never_retried(db, smtp_server):
    row_id = await enqueue("nobody@example.org")
    smtp_server.refuse_with = "550 No such user"
    transport = SmtpTransport(smtp_server.url)

    assert await deliver_pending(transport) == 0
    row = await outbox_row(row_id)
    assert row["status"] == "failed"
    assert row["attempts"] == 1
    assert "550" in row["last_error"]

    smtp_server.refuse_with = None
    await make_due(row_id)
    assert await deliver_pending(transport) == 0
    assert smtp_server.messages == []
    assert (await outbox_row(row_id))["attempts"] == 1


async def test_temporary_refusal_of_the_recipient_is_retried_not_failed(db, smtp_server):
    row_id = await enqueue("busy@example.org")
    smtp_server.refuse_with = "450 Mailbox busy, try again later"
    transport = SmtpTransport(smtp_server.url)

    assert await deliver_pending(transport) == 0
    row = await outbox_row(row_id)
    assert row["status"] == "pending", row["last_error"]
    assert row["attempts"] == 1 and "450" in row["last_error"]

    smtp_server.refuse_with = None
    await make_due(row_id)
    assert await deliver_pending(transport) == 1
    assert len(smtp_server.to("busy@example.org")) == 1


@pytest.fixture
def smtp_server_with_login():
    """Like `smtp_server`, but it wants AUTH (user `mailer`, password `s3cret`)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.smtp import Inbox

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret")
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


async def test_rejected_smtp_login_is_retried_not_failed_and_works_once_fixed(db, smtp_server_with_login):
    """Wrong credentials are the operator's mistake: mail must wait for the fix, not be dropped."""
    row_id = await enqueue("robin@example.org")
    port = smtp_server_with_login.port

    assert await deliver_pending(SmtpTransport(f"smtp://mailer:wrong@127.0.0.1:{port}")) == 0
    row = await outbox_row(row_id)
    assert row["status"] == "pending", row["last_error"]
    assert row["attempts"] == 1 and "535" in row["last_error"]

    await make_due(row_id)
    assert await deliver_pending(SmtpTransport(f"smtp://mailer:s3cret@127.0.0.1:{port}")) == 1
    assert len(smtp_server_with_login.to("robin@example.org")) == 1


async def test_message_fails_after_max_attempts_of_temporary_failures(db, smtp_server):
    row_id = await enqueue("robin@example.org")
    down = server_down()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await make_due(row_id)
        assert await deliver_pending(down) == 0
        row = await outbox_row(row_id)
        assert row["attempts"] == attempt
        assert row["status"] == ("failed" if attempt == MAX_ATTEMPTS else "pending")

    await make_due(row_id)
    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 0
    assert smtp_server.messages == []
    assert (await outbox_row(row_id))["attempts"] == MAX_ATTEMPTS


async def test_expired_lease_is_reclaimed_and_a_live_lease_is_left_alone(db, smtp_server):
    stale = await enqueue("stale@example.org")
    live = await enqueue("live@example.org")
    now = utc_now()
    await OutboxMessage.update(
        {
            OutboxMessage.status: "sending",
            OutboxMessage.attempts: 1,
            OutboxMessage.lease_until: now - dt.timedelta(seconds=5),
        }
    ).where(OutboxMessage.id == stale)
    await OutboxMessage.update(
        {OutboxMessage.status: "sending", OutboxMessage.attempts: 1, OutboxMessage.lease_until: now + LEASE}
    ).where(OutboxMessage.id == live)

    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 1

    assert [m["To"] for m in smtp_server.messages] == ["stale@example.org"]
    reclaimed = await outbox_row(stale)
    assert reclaimed["status"] == "sent" and reclaimed["attempts"] == 2 and reclaimed["lease_until"] is None
    untouched = await outbox_row(live)
    assert untouched["status"] == "sending" and untouched["attempts"] == 1


async def test_file_transport_writes_a_parseable_eml_under_the_mail_dir(db, settings):
    row_id = await enqueue("robin@example.org", path="/sign-in/link/file-test")
    transport = transport_from_settings(settings)  # no BOOKING_SMTP_URL: .eml files
    assert isinstance(transport, FileTransport)

    assert await deliver_pending(transport) == 1

    files = list(settings.mail_dir.glob("*.eml"))
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    row = await outbox_row(row_id)
    assert parsed["Message-ID"] == row["message_id"]
    assert parsed["To"] == "robin@example.org"
    assert parsed["Subject"] == "Your sign-in link"
    assert "http://testserver.local/sign-in/link/file-test" in parsed.get_body(preferencelist=("plain",)).get_content()
    assert parsed.get_body(preferencelist=("html",)) is not None
    assert row["status"] == "sent"


ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//SCOE//booking tests//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:session-1@testserver.local\r\nDTSTAMP:20260101T000000Z\r\n"
    b"DTSTART:20260115T160000Z\r\nDTEND:20260115T230000Z\r\nSUMMARY:Workshop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def test_calendar_invite_arrives_as_text_calendar_alternative_with_method_request_and_as_a_file(db, smtp_server):
    await enqueue(
        "robin@example.org",
        attachments=(Attachment("invite.ics", "text/calendar", ICS, method="REQUEST"),),
    )
    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 1

    (received,) = smtp_server.messages
    # As Google and Outlook send invites: text/calendar is the third alternative of the body...
    calendar_parts = [part for part in received.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendar_parts) == 1
    part = calendar_parts[0]
    alternative = next(p for p in received.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    assert re.search(r'method="?REQUEST"?', part["Content-Type"]), part["Content-Type"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() is None
    assert part.get_payload(decode=True) == ICS
    # ...and the same file is attached for clients that only offer to open attachments.
    (file,) = [p for p in received.walk() if p.get_content_type() == "application/ics"]
    assert file.get_filename() == "invite.ics" and file.get_content_disposition() == "attachment"
    assert file.get_payload(decode=True) == ICS
    # The text and html bodies are still there next to the invite.
    assert received.get_body(preferencelist=("plain",)) is not None
    assert received.get_body(preferencelist=("html",)) is not None


async def test_an_invite_whose_mime_method_is_not_the_files_method_is_never_sent(db, smtp_server):
    cancel = ICS.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
    row_id = await enqueue(
        "robin@example.org", attachments=(Attachment("invite.ics", "text/calendar", cancel, method="REQUEST"),)
    )
    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 0
    assert smtp_server.messages == []
    row = await outbox_row(row_id)
    assert row["status"] == "pending" and "METHOD" in row["last_error"]


@pytest.mark.parametrize(
    ("form_path", "purpose_path", "expected_subject"),
    [
        ("/sign-in/link", "/sign-in/link/", "Your sign-in link"),
        ("/password/forgot", "/password/reset/", "Choose a new password"),
    ],
)
async def test_requesting_a_link_queues_one_email_whose_link_works(
    client, smtp_server, form_path, purpose_path, expected_subject
):
    user = await make_user("attendee", email="linkuser@example.org", name="Link User")

    response = await post_form(client, form_path, {"email": "LinkUser@Example.org "}, follow_redirects=False)
    assert response.status_code == 303, response.text

    rows = await OutboxMessage.select()
    assert len(rows) == 1
    assert rows[0]["to_address"] == user["email"]
    assert rows[0]["status"] == "pending"

    assert await deliver_pending(SmtpTransport(smtp_server.url)) == 1
    (received,) = smtp_server.to("linkuser@example.org")
    assert received["Subject"] == expected_subject
    text = received.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://testserver\.local(" + re.escape(purpose_path) + r"[A-Za-z0-9_\-]+)", text)
    assert match, text
    link_path = match.group(1)
    html = received.get_body(preferencelist=("html",)).get_content()
    assert f'href="http://testserver.local{link_path}"' in html

    # The emailed link works: it opens a page, and submitting it signs in / sets the password.
    landing = await client.get(link_path)
    assert landing.status_code == 200
    if purpose_path == "/sign-in/link/":
        used = await post_form(client, link_path, {}, token_from=link_path, follow_redirects=False)
        assert used.status_code == 303, used.text
        me = await client.get("/account/")
        assert me.status_code == 200 and "linkuser@example.org" in me.text
    else:
        new_password = "a brand new password 42"
        used = await post_form(
            client,
            link_path,
            {"password": new_password, "confirmation": new_password},
            token_from=link_path,
            follow_redirects=False,
        )
        assert used.status_code == 303, used.text
        signed_in = await post_form(
            client, "/sign-in", {"email": "linkuser@example.org", "password": new_password}, follow_redirects=False
        )
        assert signed_in.status_code == 303, signed_in.text
    # A link works once.
    again = await post_form(
        client,
        link_path,
        {"password": "x" * 12, "confirmation": "x" * 12},
        token_from=link_path,
        follow_redirects=False,
    )
    assert again.status_code == 400


def test_eml_file_names_say_when_to_whom_and_what_in_safe_characters():
    from datetime import datetime, timezone

    from booking.notifications.delivery import eml_file_name

    message = email.message.EmailMessage()
    message["To"] = "Zoë O'Brien <zoe.obrien@example.org>"
    message["Subject"] = "Your seat: Écriture / Math ../../etc? ✔"
    message["Message-ID"] = "<abc/def@testserver.local>"
    name = eml_file_name(message, datetime(2026, 12, 5, 22, 45, 18, 123456, tzinfo=timezone.utc))
    assert name.startswith("20261205-224518-123456_Zoe-O-Brien-zoe.obrien-at-example.org_your-seat-ecriture-math-etc_")
    assert name.endswith(".eml") and re.fullmatch(r"[A-Za-z0-9._-]+", name) and "/" not in name and ".." not in name
    other = email.message.EmailMessage()
    other["To"], other["Subject"], other["Message-ID"] = message["To"], message["Subject"], "<other@testserver.local>"
    assert eml_file_name(other, datetime(2026, 12, 5, 22, 45, 18, 123456, tzinfo=timezone.utc)) != name
