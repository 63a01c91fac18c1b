"""The proof that nothing is lost: a backup taken while people register restores a state the database passed through.

On each engine: 40 people register, then 80 more register while finance issues invoices; once 20 of
those 80 are answered, `take_backup` starts while the other 60 are still in flight (SQLite: the
online backup API in a thread; PostgreSQL: pg_dump of an exported snapshot). The backup is restored into a new database, and the copy must be exactly the
live database as it was at one moment of the burst:
- every table's row count and checksum matches the manifest (restore_backup verifies it; the counts
  are checked again here with plain SQL);
- the copy's registrations are the first k of the live ones, unchanged (seats are decided one after
  the other under the offering's lock, so the live database passed through each prefix and no other
  state), and each has exactly its history rows and its email in the outbox: none half-written;
- capacity, waiting-list order, invoice numbering and the money invariants hold in the copy.
"""

from __future__ import annotations

import asyncio

from booking.db import bind_engine, current_engine, engine_from_url
from booking.notifications.tables import OutboxMessage
from booking.ops.backup import take_backup
from booking.ops.fingerprints import quoted
from booking.ops.restore import restore_backup
from booking.payments.invoicing import issue_invoices
from booking.payments.tables import Invoice
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.api_helpers import bearer, create_offering
from tests.factories import make_user
from tests.payments.money_factory import district_billed_seats, finance_actor, open_line_ids
from tests.payments.test_money_invariants import assert_money_invariants, district_id_of
from tests.scheduling.test_registration_burst import _people

BEFORE = 40
DURING = 80
MIDWAY = 20  # answers of the second wave before the backup starts
SEATS = 25
INVOICES = 6


async def _rows_of(offering_id: int) -> list[dict]:
    return await Registration.select().where(Registration.offering == offering_id).order_by(Registration.id)


async def test_a_backup_taken_during_a_registration_burst_restores_a_state_the_database_passed_through(
    client, settings, tmp_path, empty_database
):
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(client, staff, capacity=SEATS, title="Opening-day rush")
    url = f"/api/v1/offerings/{offering['id']}/registrations"
    finance = await finance_actor()
    egusd = await district_id_of("EGUSD")
    await district_billed_seats(INVOICES, district="EGUSD", title="Writing Workshop K-2")
    lines = await open_line_ids(egusd)
    people = await _people(BEFORE + DURING)

    first = await asyncio.gather(*[client.post(url, json={}, headers=h) for h in people[:BEFORE]])
    answered, backups = [], []

    async def register_then_maybe_back_up(headers: dict):
        response = await client.post(url, json={}, headers=headers)
        answered.append(response)
        if len(answered) == MIDWAY:
            backups.append(asyncio.create_task(take_backup(settings.database_url, tmp_path / "backup")))
        return response

    during = await asyncio.gather(
        *[register_then_maybe_back_up(h) for h in people[BEFORE:]],
        *[issue_invoices(finance, egusd, [line], acknowledge_warnings=True) for line in lines],
    )
    result = await backups[0]

    assert {r.status_code for r in first + list(during[:DURING])} == {201}
    live = await _rows_of(offering["id"])
    assert len(live) == BEFORE + DURING
    live_events = await RegistrationEvent.select(RegistrationEvent.registration, RegistrationEvent.kind).where(
        RegistrationEvent.registration.is_in([r["id"] for r in live])
    )

    restored = await restore_backup(empty_database, result.path)
    assert restored.tables == len(result.manifest["tables"]) and restored.migrations_to_apply == []

    live_engine = current_engine()
    copy = engine_from_url(empty_database)
    bind_engine(copy)
    try:
        for table, expected in result.manifest["tables"].items():
            counted = await Registration.raw(f"SELECT count(*) AS n FROM {quoted(table)}")  # runs on the copy
            assert counted[0]["n"] == expected["rows"], table

        copied = await _rows_of(offering["id"])
        k = len(copied)
        assert BEFORE + MIDWAY <= k <= BEFORE + DURING
        # Exactly the database after its k-th registration: the first k rows, unchanged.
        assert copied == live[:k]
        copied_ids = {r["id"] for r in copied}
        copy_events = await RegistrationEvent.select(RegistrationEvent.registration, RegistrationEvent.kind).where(
            RegistrationEvent.registration.is_in([r["id"] for r in live])
        )
        assert sorted(map(tuple, (e.values() for e in copy_events))) == sorted(
            tuple(e.values()) for e in live_events if e["registration"] in copied_ids
        )
        emails = await OutboxMessage.count().where(OutboxMessage.subject.like("%Opening-day rush%"))
        assert emails == k  # one confirmation or waiting-list email per registration, none for the others

        confirmed = [r for r in copied if r["status"] == "confirmed"]
        waitlisted = [r for r in copied if r["status"] == "waitlisted"]
        assert len(confirmed) == min(k, SEATS) and len(confirmed) + len(waitlisted) == k
        assert [r["waitlist_rank"] for r in waitlisted] == list(range(1, len(waitlisted) + 1))

        # Invoices issued during the burst: a gapless prefix of the live numbers, every money invariant intact.
        await assert_money_invariants()
        numbers = [i["number"] for i in await Invoice.select(Invoice.number).order_by(Invoice.sequence)]
    finally:
        bind_engine(live_engine)
    live_numbers = [i["number"] for i in await Invoice.select(Invoice.number).order_by(Invoice.sequence)]
    assert len(live_numbers) == INVOICES and numbers == live_numbers[: len(numbers)]
