"""The card payment's one lifecycle (issue 13, item 1): every move outside the table is refused and changes nothing,
a row a webhook changed meanwhile is left alone, and no other module writes the status. On both engines."""

from __future__ import annotations

import pathlib
import re

import pytest

from booking.clock import utc_now
from booking.errors import Conflict
from booking.payments.card_payment_lifecycle import ALLOWED, LABELS, CardPaymentStatus, move_card_payment
from booking.payments.tables import CARD_PAYMENT_STATUSES, CardPayment

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "booking"


def test_the_enum_keeps_the_stored_strings_and_paid_is_final():
    assert tuple(status.value for status in CardPaymentStatus) == CARD_PAYMENT_STATUSES
    assert set(LABELS) == set(CardPaymentStatus) == set(ALLOWED)
    assert not ALLOWED[CardPaymentStatus.PAID]
    # Money that arrived is always recorded, whatever we thought of the session before.
    assert all(
        CardPaymentStatus.PAID in ALLOWED[status] for status in CardPaymentStatus if status != CardPaymentStatus.PAID
    )


async def _stored(card_payment_id: int) -> dict:
    return await CardPayment.select().where(CardPayment.id == card_payment_id).first()


async def test_every_move_outside_the_table_is_refused_and_every_allowed_one_is_made(db):
    [row] = await CardPayment.insert(
        CardPayment(purpose="invoice", description="Invoice INV-1", amount_cents=12_500)
    ).returning(CardPayment.id)
    for from_status in CardPaymentStatus:
        await CardPayment.update({CardPayment.status: from_status.value, CardPayment.paid_at: None}).where(
            CardPayment.id == row["id"]
        )
        before = await _stored(row["id"])
        for to_status in CardPaymentStatus:
            if to_status in ALLOWED[from_status]:
                assert await move_card_payment(before, to_status, utc_now()) is True
                after = await _stored(row["id"])
                assert after["status"] == to_status.value
                assert (after["paid_at"] is not None) == (to_status == CardPaymentStatus.PAID)
                await CardPayment.update({CardPayment.status: from_status.value, CardPayment.paid_at: None}).where(
                    CardPayment.id == row["id"]
                )
            else:
                with pytest.raises(Conflict) as refused:
                    await move_card_payment(before, to_status, utc_now())
                assert refused.value.code == "card_payment_transition_not_allowed"
                assert await _stored(row["id"]) == before


async def test_news_older_than_the_row_changes_nothing(db):
    [row] = await CardPayment.insert(CardPayment(purpose="invoice", amount_cents=500, status="created")).returning(
        *CardPayment.all_columns()
    )
    await CardPayment.update({CardPayment.status: "paid"}).where(CardPayment.id == row["id"])  # the webhook came first
    assert await move_card_payment(row, CardPaymentStatus.OPEN, checkout_url="https://example.org") is False
    stored = await _stored(row["id"])
    assert (stored["status"], stored["checkout_url"]) == ("paid", "")


def test_only_the_lifecycle_module_writes_a_card_payments_status():
    writers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bCardPayment\.status\s*:", path.read_text())
    )
    assert writers == ["payments/card_payment_lifecycle.py"]
