"""The one lifecycle of a card payment (one Stripe Checkout Session): its statuses, their words, the moves
allowed, and the one function that moves it. No other module writes `CardPayment.status`.

  created ──session made──> open ──paid──> paid
  created, open ──session expired / payment failed──> expired | failed
  created ──Stripe did not answer──> failed
  failed, expired ──paid after all──> paid   (money that arrived is always recorded, then applied or refunded)
Paid is final; refunds are their own rows (payments.refunds).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from piccolo.columns import Column

from booking.payments.tables import CardPayment
from booking.status_table import StatusTable


class CardPaymentStatus(StrEnum):
    # The stored strings, unchanged (payments.tables.CARD_PAYMENT_STATUSES).
    CREATED = "created"
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"


S = CardPaymentStatus
LABELS = {
    S.CREATED: "Starting",
    S.OPEN: "Waiting for the card",
    S.PAID: "Paid",
    S.EXPIRED: "Abandoned",
    S.FAILED: "Failed",
}
ALLOWED: dict[CardPaymentStatus, frozenset[CardPaymentStatus]] = {
    S.CREATED: frozenset({S.OPEN, S.PAID, S.EXPIRED, S.FAILED}),
    S.OPEN: frozenset({S.PAID, S.EXPIRED, S.FAILED}),
    S.FAILED: frozenset({S.PAID}),
    S.EXPIRED: frozenset({S.PAID}),
    S.PAID: frozenset(),
}


TABLE = StatusTable(
    CardPaymentStatus, LABELS, ALLOWED, thing="A card payment", code="card_payment_transition_not_allowed"
)
may_move = TABLE.may_move


async def move_card_payment(
    card_payment: dict[str, Any], to_status: CardPaymentStatus, now: dt.datetime | None = None, **columns: Any
) -> bool:
    """Move a card payment from the status the caller read to `to_status`, with the columns that go with it.

    A move the table forbids is refused (Conflict). A row that changed since the caller read it (a webhook
    got there first) is left as it is and False comes back: the caller's news is older than the row's."""
    from_status = card_payment["status"]
    TABLE.refuse_unless_allowed(from_status, to_status)
    values: dict[Column | str, Any] = {CardPayment.status: to_status.value}
    if to_status == S.PAID and now is not None:
        values[CardPayment.paid_at] = now
    values.update({getattr(CardPayment, name): value for name, value in columns.items()})
    moved = (
        await CardPayment.update(values)
        .where((CardPayment.id == card_payment["id"]) & (CardPayment.status == from_status))
        .returning(CardPayment.id)
    )
    return bool(moved)
