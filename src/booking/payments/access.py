"""Who may do what with money: one check, each caller saying what the person was trying to do."""

from __future__ import annotations

from booking.accounts.actor import Actor

ISSUING = "issue invoices and credit notes"
RECORDING = "record payments"
REPORTING = "see the finance reports"


def require_finance(actor: Actor, doing: str) -> None:
    actor.require("finance", f"Only SCOE finance staff {doing}.")
