"""Documents an applicant attaches (a credential copy, a letter): checked by content, kept in the database.

Only PDF, PNG and JPEG are taken, recognised by their first bytes rather than by the name or the
browser's claimed type, up to 5 MB each and 6 per application; files are only added or removed
while the application is a draft, so staff review exactly what was submitted.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath, PureWindowsPath

from booking.accounts.actor import Actor
from booking.cohorts.tables import ApplicationDocument, CohortApplication
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.file_sizes import MEGABYTE, format_file_size

MAX_BYTES = 5 * MEGABYTE
MAX_DOCUMENTS = 6
SIGNATURES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
)
DOCUMENT_COLUMNS = (
    ApplicationDocument.id,
    ApplicationDocument.application,
    ApplicationDocument.label,
    ApplicationDocument.filename,
    ApplicationDocument.content_type,
    ApplicationDocument.size,
    ApplicationDocument.sha256,
    ApplicationDocument.uploaded_at,
)


def detected_type(data: bytes) -> str | None:
    for signature, content_type, _ in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def safe_filename(filename: str) -> str:
    # Browsers on Windows may send a whole path; keep the last part and only harmless characters.
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", name).strip(" .") or "document"
    return name[-120:]


def check_document(label: str, filename: str, data: bytes) -> tuple[str, str, str]:
    label = " ".join((label or "").split())
    errors = {}
    if not label:
        errors["label"] = "Say what the document is, for example: Copy of my teaching credential."
    elif len(label) > 100:
        errors["label"] = "Keep the description under 100 characters."
    content_type = detected_type(data)
    if not data:
        errors["document"] = "Choose a file to upload."
    elif len(data) > MAX_BYTES:
        errors["document"] = (
            f"The file is {format_file_size(len(data), round_up=True)}; the limit is {MAX_BYTES // MEGABYTE} MB. "
            "Scan at a lower resolution or save as PDF."
        )
    elif content_type is None:
        errors["document"] = (
            "Upload a PDF, PNG or JPEG file. Other kinds of file (Word documents, for example) need to be saved as PDF first."
        )
    if errors:
        raise InvalidInput(errors)
    return label, safe_filename(filename), content_type


async def _own_draft(actor: Actor, application_id: int) -> dict:
    await lock_rows_for_update(CohortApplication, CohortApplication.id == application_id)
    application = (
        await CohortApplication.select()
        .where((CohortApplication.id == application_id) & (CohortApplication.applicant == actor.id))
        .first()
    )
    if application is None:
        raise NotFound("No such application.")
    if application["status"] != "draft":
        raise Conflict(
            "Documents can only be changed before the application is submitted.", code="application_submitted"
        )
    return application


async def add_document(actor: Actor, application_id: int, *, label: str, filename: str, data: bytes) -> int:
    label, filename, content_type = check_document(label, filename, data)
    async with write_transaction():
        await _own_draft(actor, application_id)
        count = await ApplicationDocument.count().where(ApplicationDocument.application == application_id)
        if count >= MAX_DOCUMENTS:
            raise InvalidInput(
                {"document": f"An application holds at most {MAX_DOCUMENTS} documents; remove one first."}
            )
        rows = await ApplicationDocument.insert(
            ApplicationDocument(
                application=application_id,
                label=label,
                filename=filename,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                content=data,
            )
        ).returning(ApplicationDocument.id)
    return rows[0]["id"]


async def remove_document(actor: Actor, application_id: int, document_id: int) -> None:
    async with write_transaction():
        await _own_draft(actor, application_id)
        removed = (
            await ApplicationDocument.delete()
            .where((ApplicationDocument.id == document_id) & (ApplicationDocument.application == application_id))
            .returning(ApplicationDocument.id)
        )
    if not removed:
        raise NotFound("No such document.")


async def documents_of(application_id: int) -> list[dict]:
    return (
        await ApplicationDocument.select(*DOCUMENT_COLUMNS)
        .where(ApplicationDocument.application == application_id)
        .order_by(ApplicationDocument.id)
    )


async def document_for(actor: Actor, application_id: int, document_id: int) -> dict:
    """The file, for its applicant and for staff; NotFound for anyone else."""
    from booking.cohorts.applications import get_application

    await get_application(actor, application_id)
    document = (
        await ApplicationDocument.select()
        .where((ApplicationDocument.id == document_id) & (ApplicationDocument.application == application_id))
        .first()
    )
    if document is None:
        raise NotFound("No such document.")
    content = document["content"]
    document["content"] = bytes(content) if not isinstance(content, bytes) else content
    return document
