"""Register, then open the card checkout: scheduling takes the seat, payments opens Stripe Checkout for it.

The registration commits first (a held seat, `pending_payment`); the Checkout Session is created
after that commit, within the request, as the house rules ask of a call the user waits for. If
Stripe cannot be reached the seat stays held until its hold runs out, and the person pays from
their registration page: the caller decides how to say so (the page redirects, the API warns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.errors import Conflict
from booking.payments.checkout import start_registration_checkout
from booking.scheduling.registration import RegistrationOutcome, RegistrationRequest, register
from booking.scheduling.registration_lifecycle import S


@dataclass
class Registered:
    outcome: RegistrationOutcome
    checkout_url: str | None = None  # set when a card payment is due and Checkout opened
    checkout_error: Conflict | None = None  # PaymentUnavailable, or another Conflict raised opening Checkout


async def register_then_checkout(
    actor: Actor, offering_id: int, request: RegistrationRequest, now: dt.datetime | None = None
) -> Registered:
    """register()'s errors are raised as they are; opening Checkout can only add `checkout_error`."""
    outcome = await register(actor, offering_id, request, now=now)
    registered = Registered(outcome)
    if outcome.registration["status"] == S.PENDING_PAYMENT:
        try:
            registered.checkout_url = await start_registration_checkout(outcome.registration["id"])
        except Conflict as error:  # PaymentUnavailable is a Conflict
            registered.checkout_error = error
    return registered
