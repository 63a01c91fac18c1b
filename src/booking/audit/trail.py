"""Writing to the audit trail, inside the transaction of the change it records.

Who (the actor's id and email as they were), when, from where (the client address and the request
id of the request in progress, booking.observability.context), what (a kind, a subject, a district
to filter by, a short JSON detail). Call `record` inside the use case's write_transaction(): a change
that rolls back leaves no entry, and an entry cannot be lost while its change is kept.
"""

from __future__ import annotations

import json

from booking.accounts.tables import User
from booking.audit.tables import AuditEntry
from booking.clock import utc_now
from booking.db import in_transaction
from booking.observability.context import current_client_address, current_request_id

# Every kind the trail knows, with the words the admin page shows.
KINDS = {
    "student_notes.viewed": "Viewed students' medical and dietary notes",
    "student_notes.exported": "Exported students' medical and dietary notes",
    "student_notes.purged": "Purged students' medical and dietary notes",
    "family_form.viewed": "Viewed a family's health form (every version)",
    "family_links.issued": "Made private links to the family health form",
    "family_link.reissued": "Replaced a family's link to the health form",
    "family_letters.printed": "Printed the letters with the family health form's links",
    "user.role_changed": "Changed a person's role, district or access",
    "invoice.issued": "Issued an invoice",
    "credit_note.issued": "Issued a credit note",
    "refund.requested": "Requested a refund",
    "payment.allocated": "Applied a payment to an invoice",
    "scholarship.budget_set": "Set a scholarship fund's budget",
    "scholarship.decided": "Decided a scholarship request",
    "district_sign_in.connected": "Connected a district to its sign-in provider, or changed it",
    "district_sign_in.removed": "Disconnected a district from its sign-in provider",
    "district_sign_in.password_sign_in": "Turned password sign-in on or off for a district",
    "district.settings_changed": "Changed a district's settings (approval rule, billing contact, member rate, address)",
}
MAX_DETAIL_CHARS = 2000


async def record(
    kind: str,
    *,
    actor_id: int | None,
    actor_email: str = "",
    subject: str = "",
    district_id: int | None = None,
    detail: dict | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if not in_transaction():
        raise RuntimeError("audit.record() must run inside the transaction of the change it records")
    if actor_id is not None and not actor_email:
        row = await User.select(User.email).where(User.id == actor_id).first()
        actor_email = row["email"] if row else ""
    text = json.dumps(detail or {}, sort_keys=True, default=str)[:MAX_DETAIL_CHARS]
    await AuditEntry.insert(
        AuditEntry(
            at=utc_now(),
            actor_id=actor_id,
            actor_email=actor_email[:254],
            client_address=current_client_address()[:64],
            request_id=current_request_id()[:64],
            kind=kind,
            subject=subject[:200],
            district_id=district_id,
            detail=text,
        )
    )


async def record_by(actor, kind: str, **fields) -> None:
    """`actor`: an accounts Actor, or None for the worker or the command line."""
    await record(kind, actor_id=actor.id if actor else None, actor_email=actor.email if actor else "", **fields)
