"""The supervisor's confirmation of support: a signed link that expires, works without an account, and answers once.

The link is /cohorts/supervisor/{application id}.{expiry}.{signature}; the signature covers the
application, its current nonce and the expiry with BOOKING_SECRET_KEY, so a changed number,
an old link (a new one was sent) or a late one is refused before anything is read from it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from booking.clock import utc_now
from booking.cohorts.tables import CohortApplication
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.notifications.outbox import enqueue_email
from booking.settings import current_settings

LINK_LIFETIME = dt.timedelta(days=14)
_TOKEN = re.compile(r"^([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
MAX_COMMENT = 1000


class LinkExpired(Conflict):
    def __init__(self):
        super().__init__(
            "This link has expired. Ask the applicant to send you a new one from their application.",
            code="link_expired",
        )


class AlreadyAnswered(Conflict):
    def __init__(self, response: str, when: dt.datetime):
        self.response, self.when = response, when
        super().__init__("You have already answered for this application; thank you.", code="already_answered")


def _signature(application_id: int, nonce: str, expires: int) -> str:
    message = f"supervisor:{application_id}:{nonce}:{expires}".encode()
    digest = hmac.new(current_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(application_id: int, nonce: str, now: dt.datetime) -> str:
    expires = int((now + LINK_LIFETIME).timestamp())
    return f"{application_id}.{expires}.{_signature(application_id, nonce, expires)}"


@dataclass
class SupervisorView:
    application: dict
    expires_at: dt.datetime


async def _verified(token: str, now: dt.datetime) -> tuple[dict, dt.datetime]:
    match = _TOKEN.match(token or "")
    if match is None:
        raise NotFound("This link is not valid.")
    application_id, expires = int(match.group(1)), int(match.group(2))
    application = (
        await CohortApplication.select(
            *CohortApplication.all_columns(),
            CohortApplication.applicant.name.as_alias("applicant_name"),
            CohortApplication.cohort.title.as_alias("cohort_title"),
        )
        .where(CohortApplication.id == application_id)
        .first()
    )
    # Tampered, superseded and unknown links all look alike: nothing says which part was wrong.
    if (
        application is None
        or not application["supervisor_nonce"]
        or not hmac.compare_digest(_signature(application_id, application["supervisor_nonce"], expires), match.group(3))
    ):
        raise NotFound("This link is not valid.")
    if application["supervisor_response"]:
        raise AlreadyAnswered(application["supervisor_response"], application["supervisor_responded_at"])
    expires_at = dt.datetime.fromtimestamp(expires, dt.timezone.utc)
    if now >= expires_at:
        raise LinkExpired()
    if application["status"] in ("withdrawn", "draft"):
        raise NotFound("This application is no longer open.")
    return application, expires_at


async def view_request(token: str, now: dt.datetime | None = None) -> SupervisorView:
    """What the supervisor sees before answering (a GET never answers: mail scanners follow links)."""
    application, expires_at = await _verified(token, now or utc_now())
    return SupervisorView(application, expires_at)


async def respond(token: str, supports: bool, comment: str = "", now: dt.datetime | None = None) -> dict:
    now = now or utc_now()
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput({"comment": f"Keep the comment under {MAX_COMMENT:,} characters."})
    async with write_transaction():
        match = _TOKEN.match(token or "")
        if match:
            await lock_rows_for_update(CohortApplication, CohortApplication.id == int(match.group(1)))
        application, _ = await _verified(token, now)
        response = "confirmed" if supports else "declined"
        await CohortApplication.update(
            {
                CohortApplication.supervisor_response: response,
                CohortApplication.supervisor_comment: comment,
                CohortApplication.supervisor_responded_at: now,
                CohortApplication.updated_at: now,
            }
        ).where(CohortApplication.id == application["id"])
        applicant = (
            await CohortApplication.select(
                CohortApplication.applicant.email.as_alias("email"),
                CohortApplication.applicant.name.as_alias("name"),
            )
            .where(CohortApplication.id == application["id"])
            .first()
        )
        await enqueue_email(
            applicant["email"],
            "cohort_supervisor_answered",
            {
                "name": applicant["name"],
                "application": application,
                "supports": supports,
                "supervisor_name": application["supervisor_name"],
            },
        )
    return {**application, "supervisor_response": response, "supervisor_comment": comment}


async def send_request(application: dict, now: dt.datetime) -> str:
    """A new link (older ones stop working) emailed to the supervisor; inside the caller's transaction."""
    nonce = secrets.token_hex(16)
    await CohortApplication.update(
        {
            CohortApplication.supervisor_nonce: nonce,
            CohortApplication.supervisor_link_sent_at: now,
        }
    ).where(CohortApplication.id == application["id"])
    token = make_token(application["id"], nonce, now)
    await enqueue_email(
        application["supervisor_email"],
        "cohort_supervisor_request",
        {
            "supervisor_name": application["supervisor_name"],
            "applicant_name": application["applicant_name"],
            "cohort_title": application["cohort_title"],
            "path": f"/cohorts/supervisor/{token}",
            "expires_at": now + LINK_LIFETIME,
        },
    )
    return token
