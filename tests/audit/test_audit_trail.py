"""The audit trail (issue 12, item 4): append-only in the database; sensitive reads and money recorded with
who, when, from where and what, in the transaction of the change; the admin page and its CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from booking.audit.tables import AuditEntry
from booking.audit.trail import record
from booking.db import write_transaction
from booking.payments.credit_notes import issue_credit_note
from booking.payments.invoicing import issue_invoices
from booking.payments.tables import InvoiceLine
from booking.slypark import intake
from tests.factories import make_user, post_form, signed_in
from tests.payments.money_factory import district_billed_seats, finance_actor, open_line_ids
from tests.payments.test_credit_notes import pay
from tests.payments.test_money_invariants import district_id_of
from tests.slypark.test_intake import SECRET, a_booking


async def entries(kind: str | None = None) -> list[dict]:
    query = AuditEntry.select().order_by(AuditEntry.id)
    return await (query.where(AuditEntry.kind == kind) if kind else query)


async def test_the_database_refuses_to_change_or_remove_an_entry(db):
    async with write_transaction():
        await record("user.role_changed", actor_id=None, subject="person 1", detail={"role": ["attendee", "admin"]})
    [entry] = await entries()
    for statement in ("UPDATE audit_entry SET subject = 'nothing happened'", "DELETE FROM audit_entry"):
        with pytest.raises(Exception, match="append-only"):
            await AuditEntry.raw(statement)
    assert await entries() == [entry]


async def test_an_entry_is_written_only_inside_the_changes_transaction(db):
    with pytest.raises(RuntimeError):
        await record("invoice.issued", actor_id=None)
    with pytest.raises(ZeroDivisionError):
        async with write_transaction():
            await record("invoice.issued", actor_id=None, subject="invoice that never was")
            raise ZeroDivisionError("a use case that fails after recording")
    assert await entries() == []  # rolled back with the change


async def test_viewing_and_exporting_students_notes_are_recorded(client):
    booking_id, coordinator = await a_booking()
    await intake.save_grid(
        coordinator,
        booking_id,
        [
            intake.StudentInput("Ana", "Lopez", "girl", "vegetarian", ""),
            intake.StudentInput("Ben", "Ng", "boy", "", SECRET),
            intake.StudentInput("Cara", "Diaz", "girl", "", ""),
        ],
    )
    user = await make_user("coordinator", district="EGUSD")
    await signed_in(client, user)
    page = await client.get(f"/slypark/bookings/{booking_id}/students", headers={"X-Request-ID": "req-view-0001"})
    assert page.status_code == 200 and SECRET in page.text
    export = await client.get(f"/slypark/bookings/{booking_id}/students/medical.csv")
    assert export.status_code == 200 and SECRET in export.text
    viewed, exported = await entries("student_notes.viewed"), await entries("student_notes.exported")
    assert len(viewed) == 1 and len(exported) == 1
    for entry in viewed + exported:
        assert (entry["actor_id"], entry["actor_email"]) == (user["id"], user["email"])
        assert entry["client_address"] == "127.0.0.1"
        assert entry["district_id"] == (await district_id_of("EGUSD"))
        assert json.loads(entry["detail"]) == {"students": 3, "with_medical_notes": 1, "with_dietary_needs": 1}
        assert SECRET not in entry["detail"] and SECRET not in entry["subject"]  # counts, never the notes
    assert viewed[0]["request_id"] == "req-view-0001"
    assert exported[0]["request_id"]


async def test_a_role_change_is_recorded_and_an_unchanged_save_is_not(client):
    admin = await signed_in(client, await make_user("admin"))
    person = await make_user("attendee")
    egusd = await district_id_of("EGUSD")
    form = {"role": "coordinator", "district": str(egusd), "school": "", "is_active": "on"}
    response = await post_form(client, f"/admin/users/{person['id']}", form, token_from=f"/admin/users/{person['id']}")
    assert response.status_code == 303, response.text[:300]
    again = await post_form(client, f"/admin/users/{person['id']}", form, token_from=f"/admin/users/{person['id']}")
    assert again.status_code == 303
    [entry] = await entries("user.role_changed")
    assert (entry["actor_id"], entry["actor_email"], entry["district_id"]) == (admin["id"], admin["email"], egusd)
    assert json.loads(entry["detail"]) == {"role": ["attendee", "coordinator"], "district": [None, egusd]}


async def test_invoices_credit_notes_and_payment_allocations_are_recorded(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    await district_billed_seats(2)
    [invoice] = await issue_invoices(finance, district, await open_line_ids(district), acknowledge_warnings=True)
    await pay(finance, district, "CHK-1001", 10_000, invoice["id"])
    line = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).first()
    note = await issue_credit_note(
        finance, invoice["id"], reason="One teacher did not come", amounts={line["id"]: 2_500}
    )
    kinds = [(e["kind"], e["actor_email"], e["district_id"]) for e in await entries()]
    assert kinds == [
        ("invoice.issued", finance.email, district),
        ("payment.allocated", finance.email, district),
        ("credit_note.issued", finance.email, district),
    ]
    by_kind = {e["kind"]: json.loads(e["detail"]) for e in await entries()}
    assert by_kind["invoice.issued"]["total_cents"] == invoice["total_cents"] == 25_000
    assert by_kind["payment.allocated"]["amount_cents"] == 10_000
    assert by_kind["credit_note.issued"] == {
        "amount_cents": 2_500,
        "credit_note_id": note["id"],
        "invoice_id": invoice["id"],
        "kind": "correction",
        "reason": "One teacher did not come",
    }


async def test_the_admin_page_filters_pages_and_exports(client):
    admin = await signed_in(client, await make_user("admin"))
    egusd, sjusd = await district_id_of("EGUSD"), await district_id_of("SJUSD")
    async with write_transaction():
        for n in range(55):
            await record("invoice.issued", actor_id=admin.get("id"), subject=f"invoice INV-{n:04}", district_id=egusd)
        await record(
            "student_notes.viewed",
            actor_id=None,
            actor_email="nurse@scoe.example",
            subject="=HYPERLINK(1)",
            district_id=sjusd,
        )
    home = await client.get("/")
    assert 'href="/admin/audit"' in home.text
    first = await client.get("/admin/audit?kind=invoice.issued")
    assert first.status_code == 200
    assert "55 entries" in first.text and "INV-0054" in first.text and "INV-0004" not in first.text
    assert "Next page" in first.text
    second = await client.get("/admin/audit?kind=invoice.issued&page=2")
    assert "INV-0004" in second.text and "INV-0054" not in second.text
    by_person = await client.get("/admin/audit?person=nurse@")
    assert "1 entry" in by_person.text
    by_district = await client.get(f"/admin/audit?district={sjusd}")
    assert "1 entry" in by_district.text
    future = await client.get("/admin/audit?from=2099-01-01")
    assert "0 entries" in future.text
    exported = await client.get(f"/admin/audit/export.csv?district={egusd}")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 55  # every matching entry, not one page
    everything = list(
        csv.reader(io.StringIO((await client.get("/admin/audit/export.csv")).content.decode("utf-8-sig")))
    )
    assert [row[6] for row in everything if row[5] == "student_notes.viewed"] == ["'=HYPERLINK(1)"]
    for bad in ("from=2027-02-30", "page=%C2%B2", "kind=nonsense", "district=abc", "from=2027-03-02&to=2027-03-01"):
        refused = await client.get(f"/admin/audit?{bad}")
        assert refused.status_code == 422, bad
        assert (await client.get(f"/admin/audit/export.csv?{bad}")).status_code == 422


@pytest.mark.parametrize("role", ["attendee", "coordinator", "staff", "finance"])
async def test_only_administrators_read_the_trail(client, role):
    await signed_in(client, await make_user(role))
    for path in ("/admin/audit", "/admin/audit/export.csv"):
        assert (await client.get(path)).status_code in (403, 404)


async def test_a_refund_request_is_recorded(client, stripe_double):
    from booking.payments.refunds import request_refund
    from tests.payments.test_refunds import paid_seat, staff

    seat = await paid_seat(client, stripe_double)
    actor = await staff()
    refund_id = await request_refund(actor, seat["payment"]["id"], 1_000, "Left after the first session")
    [entry] = await entries("refund.requested")
    assert (entry["actor_id"], entry["actor_email"]) == (actor.id, actor.email)
    assert json.loads(entry["detail"]) == {
        "amount_cents": 1_000,
        "card_payment_id": seat["payment"]["id"],
        "reason": "Left after the first session",
        "refund_id": refund_id,
    }
