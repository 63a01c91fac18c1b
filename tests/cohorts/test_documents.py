"""Documents on an application: type recognised by content, size and count limits, drafts only, private."""

from __future__ import annotations

import pytest

from booking.accounts.actor import Actor
from booking.cohorts import documents
from booking.cohorts.applications import start_application, submit
from booking.cohorts.tables import ApplicationDocument
from booking.errors import Conflict, InvalidInput, NotFound
from tests.cohorts.cohort_factory import complete_form, make_cohort
from tests.factories import make_user
from tests.workshop_factory import staff_actor

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DOCX = b"PK\x03\x04" + b"\x00" * 64  # a Word file is a zip
EXE = b"MZ\x90\x00" + b"\x00" * 64


async def draft_of_someone() -> tuple[Actor, dict, int]:
    cohort = await make_cohort(await staff_actor())
    person = Actor.from_row(await make_user("attendee", district="EGUSD"))
    return person, cohort, await start_application(person, cohort["id"])


async def test_pdf_png_and_jpeg_are_kept_with_their_real_type_and_a_safe_name(db):
    person, _, application_id = await draft_of_someone()
    for data, claimed_name, _expected_type in (
        (PDF, "credential.pdf", "application/pdf"),
        (PNG, "C:\\Users\\me\\scan.png", "image/png"),
        (JPEG, "../../etc/photo.jpg", "image/jpeg"),
    ):
        await documents.add_document(person, application_id, label="Credential copy", filename=claimed_name, data=data)
    stored = await documents.documents_of(application_id)
    assert [(d["filename"], d["content_type"]) for d in stored] == [
        ("credential.pdf", "application/pdf"),
        ("scan.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
    ]
    assert all(d["size"] > 0 and len(d["sha256"]) == 64 for d in stored)
    file = await documents.document_for(person, application_id, stored[0]["id"])
    assert file["content"] == PDF


@pytest.mark.parametrize(
    "data,field,words",
    [
        (DOCX, "document", "PDF, PNG or JPEG"),
        (EXE, "document", "PDF, PNG or JPEG"),
        (b"", "document", "Choose a file"),
        (b"%PDF-" + b"0" * (5 * 1024 * 1024), "document", "limit is 5 MB"),
        # One unit, MB = 1,000,000 bytes, for the file and the limit: 6.0 MB is not "5.1 MB" or "5.7 MB".
        (b"%PDF-" + b"0" * (6_000_000 - 5), "document", "The file is 6.0 MB; the limit is 5 MB."),
        (b"%PDF-" + b"0" * (5_000_001 - 5), "document", "The file is 5.1 MB; the limit is 5 MB."),
    ],
)
async def test_wrong_empty_or_too_large_files_are_refused_clearly_and_nothing_is_kept(db, data, field, words):
    person, _, application_id = await draft_of_someone()
    with pytest.raises(InvalidInput) as refused:
        await documents.add_document(person, application_id, label="Credential", filename="credential.pdf", data=data)
    assert words in refused.value.field_errors[field]
    assert await ApplicationDocument.count() == 0


async def test_a_label_is_needed_and_six_documents_are_the_most(db):
    person, _, application_id = await draft_of_someone()
    with pytest.raises(InvalidInput) as unlabelled:
        await documents.add_document(person, application_id, label="  ", filename="a.pdf", data=PDF)
    assert "label" in unlabelled.value.field_errors
    for number in range(documents.MAX_DOCUMENTS):
        await documents.add_document(person, application_id, label=f"Document {number}", filename="a.pdf", data=PDF)
    with pytest.raises(InvalidInput) as too_many:
        await documents.add_document(person, application_id, label="One more", filename="a.pdf", data=PDF)
    assert "at most 6 documents" in too_many.value.field_errors["document"]
    assert await ApplicationDocument.count() == documents.MAX_DOCUMENTS


async def test_documents_are_fixed_once_submitted_and_private_to_applicant_and_staff(db):
    person, cohort, application_id = await draft_of_someone()
    document_id = await documents.add_document(person, application_id, label="Credential", filename="c.pdf", data=PDF)
    stranger = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    with pytest.raises(NotFound):
        await documents.document_for(stranger, application_id, document_id)
    with pytest.raises(NotFound):
        await documents.add_document(stranger, application_id, label="Mine", filename="c.pdf", data=PDF)
    with pytest.raises(NotFound):
        await documents.remove_document(stranger, application_id, document_id)
    assert (await documents.document_for(await staff_actor(), application_id, document_id))["content"] == PDF

    await submit(person, application_id, complete_form(cohort))
    with pytest.raises(Conflict):
        await documents.add_document(person, application_id, label="Late", filename="c.pdf", data=PDF)
    with pytest.raises(Conflict):
        await documents.remove_document(person, application_id, document_id)
    assert await ApplicationDocument.count() == 1


def test_file_sizes_are_written_one_way():
    from booking.file_sizes import format_file_size

    assert format_file_size(6_000_000) == "6.0 MB"
    assert format_file_size(5_000_001) == "5.0 MB" and format_file_size(5_000_001, round_up=True) == "5.1 MB"
    assert format_file_size(1_500) == "2 KB" and format_file_size(999) == "999 bytes"
