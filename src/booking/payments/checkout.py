"""Stripe Checkout Sessions: for a registration's fee and for a district's invoice.

The card payment row is written first (its id is the idempotency key and travels in the session's
metadata, so a webhook that arrives before we stored the session id still finds it); Stripe is
called after that commit, outside any lock; the session id and URL are stored after. If Stripe
cannot be reached, the hold simply expires by itself.
"""

from __future__ import annotations

import datetime as dt
import logging

import stripe

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.tables import Offering
from booking.clock import utc_now
from booking.cohorts.tables import CohortApplication, TuitionInstalment
from booking.db import write_transaction
from booking.errors import Conflict, NotFound
from booking.payments.balances import balance_of
from booking.payments.card_errors import human_card_error
from booking.payments.card_payment_lifecycle import CardPaymentStatus, move_card_payment
from booking.payments.gateway import stripe_client
from booking.payments.invoice_documents import visible_invoice
from booking.payments.tables import CardPayment
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Registration
from booking.settings import current_settings

log = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes; a card hold lasts a little
# longer than its session, so a session can never be paid after its seat was released.
SESSION_LIFETIME = dt.timedelta(minutes=31)
CARD_HOLD = dt.timedelta(minutes=35)
MAX_SESSION_LIFETIME = dt.timedelta(hours=23)
HOLD_MARGIN = CARD_HOLD - SESSION_LIFETIME


def idempotency_key(kind: str, row_id: int, created_at: dt.datetime) -> str:
    """Stable for retries of one row; the creation instant keeps it unique if a database is ever rebuilt."""
    return f"{kind}-{row_id}-{int(created_at.timestamp() * 1_000_000)}"


class PaymentUnavailable(Conflict):
    code = "payment_unavailable"


def _session_expiry(hold_expires_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The session closes a few minutes before the hold ends, so a payment lands while the seat is still held
    (a late one, e.g. a delayed webhook, is handled by card_registrations)."""
    if hold_expires_at is None:
        return now + MAX_SESSION_LIFETIME
    return min(max(hold_expires_at - HOLD_MARGIN, now + SESSION_LIFETIME), now + MAX_SESSION_LIFETIME)


async def _reusable(where, amount_cents: int, now: dt.datetime) -> dict | None:
    """An open session for the same thing and amount that is still good for a few minutes: reloading Pay reuses it."""
    rows = (
        await CardPayment.select()
        .where(where & (CardPayment.status == "open"))
        .order_by(CardPayment.id, ascending=False)
    )
    for row in rows:
        if (
            row["amount_cents"] == amount_cents
            and row["expires_at"]
            and row["expires_at"] > now + dt.timedelta(minutes=5)
        ):
            return row
    return None


async def _create_session(
    card_payment: dict, *, name: str, description: str, email: str, success_path: str, cancel_path: str, metadata: dict
) -> dict:
    base = current_settings().base_url
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": card_payment["amount_cents"],
                    "product_data": {"name": name[:250], "description": description[:500] or name[:250]},
                },
            }
        ],
        "success_url": f"{base}{success_path}",
        "cancel_url": f"{base}{cancel_path}",
        "client_reference_id": f"card-payment-{card_payment['id']}",
        "customer_email": email,
        "expires_at": int(card_payment["expires_at"].timestamp()),
        "metadata": {"card_payment_id": str(card_payment["id"]), **metadata},
        "payment_intent_data": {"metadata": {"card_payment_id": str(card_payment["id"]), **metadata}},
    }
    try:
        session = await stripe_client().v1.checkout.sessions.create_async(
            params,
            options={"idempotency_key": idempotency_key("checkout", card_payment["id"], card_payment["created_at"])},
        )
    except stripe.StripeError as error:
        # The library's text (request id, masked key, parameter) is for us: the log has it, people get words.
        log.warning("Stripe Checkout Session for card payment %s failed: %s", card_payment["id"], error)
        message = human_card_error(error)
        async with write_transaction():
            await move_card_payment({**card_payment, "status": "created"}, CardPaymentStatus.FAILED, outcome=message)
        raise PaymentUnavailable(message) from error
    async with write_transaction():
        # A webhook may already have marked it paid: only a 'created' row becomes 'open'.
        await CardPayment.update({CardPayment.checkout_session_id: session.id}).where(
            CardPayment.id == card_payment["id"]
        )
        await move_card_payment({**card_payment, "status": "created"}, CardPaymentStatus.OPEN, checkout_url=session.url)
    return {**card_payment, "checkout_session_id": session.id, "checkout_url": session.url}


async def start_registration_checkout(registration_id: int, now: dt.datetime | None = None) -> str:
    """The Checkout URL for a held seat's fee (pending payment, or a waiting-list offer)."""
    now = now or utc_now()
    async with write_transaction():
        registration = await Registration.select().where(Registration.id == registration_id).first()
        if registration is None:
            raise NotFound("No such registration.")
        if registration["status"] not in (S.PENDING_PAYMENT, S.OFFERED) or registration["payer"] != "card":
            raise Conflict("This seat has no card payment due.", code="nothing_to_pay")
        if registration["hold_expires_at"] is not None and registration["hold_expires_at"] <= now:
            raise Conflict("The hold on this seat has expired.", code="hold_expired")
        due = registration["amount_cents"] - registration["amount_paid_cents"]
        if due <= 0:
            raise Conflict("This seat is already paid.", code="nothing_to_pay")
        existing = await _reusable(CardPayment.registration == registration_id, due, now)
        if existing:
            return existing["checkout_url"]
        offering = (
            await Offering.select(Offering.id, Offering.title).where(Offering.id == registration["offering"]).first()
        )
        attendee = await User.select(User.email, User.name).where(User.id == registration["attendee"]).first()
        card_payment = (
            await CardPayment.insert(
                CardPayment(
                    purpose="registration",
                    registration=registration_id,
                    payer=registration["attendee"],
                    amount_cents=due,
                    description=offering["title"],
                    expires_at=_session_expiry(registration["hold_expires_at"], now),
                    created_at=now,
                )
            ).returning(*CardPayment.all_columns())
        )[0]
    session = await _create_session(
        card_payment,
        name=offering["title"],
        description=f"Registration fee for {attendee['name']}",
        email=attendee["email"],
        success_path=f"/my/learning/{registration_id}?paid=1",
        cancel_path=f"/my/learning/{registration_id}",
        metadata={"purpose": "registration", "registration_id": str(registration_id)},
    )
    return session["checkout_url"]


async def start_invoice_checkout(actor: Actor, invoice_id: int, now: dt.datetime | None = None) -> str:
    """A coordinator pays what is open on their district's invoice by card."""
    now = now or utc_now()
    invoice = await visible_invoice(actor, invoice_id)
    if not (actor.is_coordinator or actor.is_finance):
        raise NotFound("No such invoice.")
    async with write_transaction():
        open_cents = (await balance_of(invoice_id)).open_cents
        if open_cents <= 0:
            raise Conflict("This invoice is already settled.", code="nothing_to_pay")
        existing = await _reusable(CardPayment.invoice == invoice_id, open_cents, now)
        if existing:
            return existing["checkout_url"]
        card_payment = (
            await CardPayment.insert(
                CardPayment(
                    purpose="invoice",
                    invoice=invoice_id,
                    district=invoice["district"],
                    payer=actor.id,
                    amount_cents=open_cents,
                    description=f"Invoice {invoice['number']}",
                    expires_at=now + MAX_SESSION_LIFETIME,
                    created_at=now,
                )
            ).returning(*CardPayment.all_columns())
        )[0]
    session = await _create_session(
        card_payment,
        name=f"SCOE invoice {invoice['number']}",
        description=f"PO {invoice['po_number']}" if invoice["po_number"] else "",
        email=actor.email,
        success_path=f"/district/invoices/{invoice_id}?paid=1",
        cancel_path=f"/district/invoices/{invoice_id}",
        metadata={"purpose": "invoice", "invoice_id": str(invoice_id)},
    )
    return session["checkout_url"]


async def start_tuition_checkout(actor: Actor, instalment_id: int, now: dt.datetime | None = None) -> str:
    """A cohort participant pays one of their own tuition payments by card."""
    now = now or utc_now()
    async with write_transaction():
        instalment = await TuitionInstalment.select().where(TuitionInstalment.id == instalment_id).first()
        application = (
            instalment
            and await CohortApplication.select(
                CohortApplication.id, CohortApplication.applicant, CohortApplication.cohort.title.as_alias("title")
            )
            .where(CohortApplication.id == instalment["application"])
            .first()
        )
        if application is None or application["applicant"] != actor.id:
            raise NotFound("No such tuition payment.")
        if instalment["payer"] == "district":
            raise Conflict("Your district pays this one; it is on the district's invoice.", code="nothing_to_pay")
        if instalment["status"] != "owed":
            raise Conflict("This tuition payment is not open.", code="nothing_to_pay")
        existing = await _reusable(CardPayment.instalment == instalment_id, instalment["amount_cents"], now)
        if existing:
            return existing["checkout_url"]
        card_payment = (
            await CardPayment.insert(
                CardPayment(
                    purpose="tuition",
                    instalment=instalment_id,
                    payer=actor.id,
                    amount_cents=instalment["amount_cents"],
                    description=f"{application['title']}: tuition payment {instalment['number']} of {instalment['of_count']}",
                    expires_at=now + MAX_SESSION_LIFETIME,
                    created_at=now,
                )
            ).returning(*CardPayment.all_columns())
        )[0]
    session = await _create_session(
        card_payment,
        name=card_payment["description"],
        description=f"Tuition for {actor.name}",
        email=actor.email,
        success_path=f"/my/applications/{application['id']}?paid=1",
        cancel_path=f"/my/applications/{application['id']}",
        metadata={"purpose": "tuition", "instalment_id": str(instalment_id)},
    )
    return session["checkout_url"]
