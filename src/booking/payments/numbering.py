"""Gapless document numbers per fiscal year.

The counter row is incremented by an UPDATE inside the issuing transaction: the row lock it takes
queues concurrent issuers (PostgreSQL) and BEGIN IMMEDIATE already serialises writers (SQLite).
A transaction that rolls back gives its number back, so numbers never skip; the unique index on
(fiscal_year, sequence) makes a duplicate impossible even if this code were wrong.
"""

from __future__ import annotations

import datetime as dt

from booking.db import in_transaction
from booking.payments.fiscal import fiscal_year_of
from booking.payments.tables import DocumentCounter

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


async def next_document_number(kind: str, issued_on: dt.date) -> tuple[str, int, str]:
    """(fiscal year, sequence, number) for the next document of `kind`; call inside write_transaction()."""
    if not in_transaction():
        raise RuntimeError("document numbers are drawn inside the issuing transaction")
    fiscal_year = fiscal_year_of(issued_on)
    await DocumentCounter.raw(
        "INSERT INTO document_counter (kind, fiscal_year, last_value) VALUES ({}, {}, 0) "
        "ON CONFLICT (kind, fiscal_year) DO NOTHING",
        kind,
        fiscal_year,
    )
    rows = await DocumentCounter.raw(
        "UPDATE document_counter SET last_value = last_value + 1 WHERE kind = {} AND fiscal_year = {} "
        "RETURNING last_value",
        kind,
        fiscal_year,
    )
    sequence = rows[0]["last_value"]
    return fiscal_year, sequence, f"{PREFIXES[kind]}-{fiscal_year}-{sequence:04d}"
