"""Write an email into the outbox, inside the caller's transaction."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from booking.db import insert_row, write_transaction
from booking.notifications.tables import OutboxMessage
from booking.observability.context import current_request_id
from booking.settings import current_settings
from booking.templating import render


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes
    method: str | None = None  # iTIP METHOD for text/calendar parts

    def to_json(self) -> dict:
        data = {
            "filename": self.filename,
            "content_type": self.content_type,
            "content_b64": base64.b64encode(self.content).decode(),
        }
        if self.method:
            data["method"] = self.method
        return data


def _message_id() -> str:
    host = urlsplit(current_settings().base_url).hostname or "booking.local"
    return f"<{secrets.token_hex(16)}@{host}>"


async def enqueue_email(
    to_address: str,
    template: str,
    context: dict | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> int:
    """Render `emails/{template}.*` now and queue it; joins the open transaction if any.

    A rolled-back operation therefore sends nothing, and a committed one is never lost.
    """
    settings = current_settings()
    context = {"base_url": settings.base_url, **(context or {})}
    subject = " ".join(render(f"emails/{template}.subject.txt", **context).split())
    body_text = render(f"emails/{template}.txt", **context)
    body_html = render(f"emails/{template}.html", **context)
    async with write_transaction():
        row = await insert_row(
            OutboxMessage,
            {
                "message_id": _message_id(),
                "to_address": to_address,
                "subject": subject,
                "body_text": body_text,
                "body_html": body_html,
                "attachments": [a.to_json() for a in attachments],
                "request_id": current_request_id(),
            },
        )
    return row["id"]
