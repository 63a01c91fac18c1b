"""Turning an outbox row into a delivered email: SMTP, or .eml files in development."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import smtplib
import ssl
import unicodedata
from datetime import datetime, timezone
from email import encoders
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

FROM_ADDRESS = "SCOE Professional Learning <no-reply@scoe.net>"


class PermanentDeliveryError(Exception):
    """The server refused the message for good (e.g. unknown recipient); do not retry."""


_CALENDAR_METHOD = re.compile(rb"^METHOD:([^\r\n]*)\r?$", re.MULTILINE)


def calendar_method(content: bytes) -> str | None:
    """The iCalendar file's METHOD (a VCALENDAR property: never folded, never inside a component)."""
    found = _CALENDAR_METHOD.findall(content)
    if len(found) != 1:
        return None
    return found[0].decode("ascii", "replace").strip().upper()


def _invite_parts(attachment: dict, content: bytes) -> tuple[Message, tuple[bytes, dict]]:
    """An invite as Google and Outlook send one: text/calendar inside the alternative, plus the .ics file."""
    method = (attachment["method"] or "").upper()
    if attachment["content_type"] != "text/calendar" or calendar_method(content) != method:
        # The part's method and the file's METHOD disagreeing is a bug in the sender; clients reject such invites.
        raise ValueError(
            f"invite {attachment['filename']!r}: MIME method {method} but file METHOD "
            f"{calendar_method(content)} ({attachment['content_type']})"
        )
    # Base64 keeps the file's CRLF line ends exactly as written. A plain (compat32) part keeps its
    # Content-Type as written: `method=REQUEST` unquoted, as Google and Outlook write it, which
    # some clients' parsers expect (the modern API would requote it).
    part = MIMEBase("text", "calendar")
    part.set_payload(content)
    encoders.encode_base64(part)
    part.replace_header("Content-Type", f'text/calendar; method={method}; charset="utf-8"')
    del part["MIME-Version"]
    file = dict(
        maintype="application", subtype="ics", filename=attachment["filename"], params={"name": attachment["filename"]}
    )
    return part, (content, file)


def build_message(row: dict, from_address: str = FROM_ADDRESS) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row["message_id"]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(row["body_text"])
    if row.get("body_html"):
        message.add_alternative(row["body_html"], subtype="html")
    files: list[tuple[bytes, dict]] = []
    for attachment in row.get("attachments") or []:
        content = base64.b64decode(attachment["content_b64"])
        if attachment.get("method"):
            calendar_part, file = _invite_parts(attachment, content)
            if not message.is_multipart():
                message.make_alternative()
            message.attach(calendar_part)
            files.append(file)
        else:
            maintype, subtype = attachment["content_type"].split("/", 1)
            files.append((content, dict(maintype=maintype, subtype=subtype, filename=attachment["filename"])))
    for content, options in files:
        message.add_attachment(content, **options)
    return message


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        self.use_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def _send_blocking(self, message: EmailMessage) -> None:
        if self.use_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if not self.use_tls:
                client.ehlo_or_helo_if_needed()
                if client.has_extn("starttls"):
                    # Upgrade whenever the server offers it, so credentials never cross in the clear.
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # 4xx (mailbox busy, greylisting) is temporary: only 5xx refusals are for good.
            if all(500 <= code < 600 for code, _ in error.recipients.values()):
                raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPAuthenticationError:
            raise  # our credentials are wrong, not the message: retry once they are fixed
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentDeliveryError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    async def send(self, message: EmailMessage) -> None:
        # smtplib blocks; keep it off the event loop.
        await asyncio.to_thread(self._send_blocking, message)


class FileTransport:
    """Development: every message becomes an .eml file you can open in a mail client."""

    def __init__(self, directory: Path):
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / eml_file_name(message, datetime.now(timezone.utc))
        path.write_bytes(bytes(message))


def _file_name_part(text: str, limit: int) -> str:
    """Letters, digits, dots and dashes only: safe on every file system and in a shell."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9.]+", "-", ascii_text.replace("@", "-at-"))
    safe = re.sub(r"[-.]{2,}", "-", safe)  # never "..", whatever the subject says
    return safe.strip("-.")[:limit].strip("-.") or "none"


def eml_file_name(message: EmailMessage, written_at: datetime) -> str:
    """`20261205-224518-123456_robin-at-example.org_your-sign-in-link_1a2b3c.eml`: sorted by time in a
    directory listing, the recipient and subject readable, and unique (the tail comes from the Message-ID)."""
    moment = written_at.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    recipient = _file_name_part(str(message["To"] or ""), 60)
    subject = _file_name_part(str(message["Subject"] or ""), 60).lower()
    tail = hashlib.sha256(str(message["Message-ID"] or "").encode()).hexdigest()[:6]
    return f"{moment}_{recipient}_{subject}_{tail}.eml"


def transport_from_settings(settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.mail_dir)
