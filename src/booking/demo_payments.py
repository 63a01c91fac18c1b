"""Demo money for `make run`: an Elk Grove PO, district-billed seats, one invoice on that PO, part paid by check.

Finance sees an invoice "Partly paid" and open charges to invoice (the Sly Park deposit from the
Sly Park demo); Elk Grove's coordinator sees the invoice to pay and the PO with what remains.
Everything goes through the real use cases. Idempotent: the PO is keyed by its number, seats by
workshop and person, the invoice by its PO, the check by its number.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import create_offering
from booking.catalog.tables import Offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ, utc_now
from booking.demo_calendar import open_day
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.fiscal import fiscal_year_bounds, fiscal_year_of, local_today
from booking.payments.invoicing import issue_invoices, open_lines
from booking.payments.payments_received import check_payment_form, record_payment
from booking.payments.purchase_orders import add_purchase_order, find_po
from booking.payments.tables import Invoice, PaymentReceived
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration

DEMO_PO = "EG-PO-2026-0415"
DEMO_CHECK = "40021"
CHECK_DOLLARS = "150.00"  # part of the invoice: finance sees "Partly paid"
PRICED_WORKSHOP = "Universal Design for Learning: Planning Lessons Everyone Can Reach"
PARA_WORKSHOP = "Structured Literacy for Para-Educators"  # from demo_workshops, $75 for member districts
# (workshop, the person Elk Grove's coordinator registers; None = the coordinator themself). Only demo
# people: `booking demo` adds no accounts beyond its printed sign-ins.
DEMO_SEATS = [
    (PRICED_WORKSHOP, "teacher@egusd.example"),
    (PRICED_WORKSHOP, None),
    (PARA_WORKSHOP, "teacher@egusd.example"),
]


async def _actor(email: str) -> Actor | None:
    row = await User.select().where(User.email == email).first()
    return Actor.from_row(row) if row else None


def _local(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    day = open_day((utc_now().astimezone(LOCAL_TZ) + dt.timedelta(days=days_ahead)).date())
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


async def _purchase_order(coordinator: Actor) -> dict:
    po = await find_po(coordinator.district_id, DEMO_PO)
    if po is None:
        fiscal_year = fiscal_year_of(local_today())
        starts, ends = fiscal_year_bounds(fiscal_year)
        po = await add_purchase_order(
            coordinator,
            {
                "number": DEMO_PO,
                "description": f"Professional learning for certificated staff, {fiscal_year}",
                "not_to_exceed": "5000",
                "valid_from": starts.isoformat(),
                "valid_until": ends.isoformat(),
            },
        )
    return po


async def _priced_workshop(staff: Actor) -> None:
    if not await Offering.exists().where(Offering.title == PRICED_WORKSHOP):
        await create_offering(
            staff,
            OfferingInput(
                title=PRICED_WORKSHOP,
                capacity=35,
                price_cents=15_000,
                nonmember_price_cents=19_500,
                status="published",
                description_md="A full day on planning lessons with flexible ways in, for every learner.",
                audiences=["teacher", "administrator"],
                subject="Special Education",
                grade_band="TK-12",
                pd_hours="6",
                facilitators="Dr. Lena Brooks",
                sessions=[SessionInput(_local(24, 8, 30), _local(24, 15, 0))],
            ),
        )


async def _seats(coordinator: Actor) -> None:
    for title, email in DEMO_SEATS:
        offering = await Offering.select(Offering.id).where(Offering.title == title).first()
        person = await User.select(User.id).where(User.email == (email or coordinator.email)).first()
        if (
            offering is None
            or person is None
            or await Registration.exists().where(
                (Registration.offering == offering["id"]) & (Registration.attendee == person["id"])
            )
        ):
            continue
        await register(
            coordinator, offering["id"], RegistrationRequest(attendee_email=email, payer="district", po_number=DEMO_PO)
        )


async def _invoice(finance: Actor, district_id: int, po: dict) -> dict | None:
    invoice = await Invoice.select().where(Invoice.purchase_order == po["id"]).first()
    if invoice is not None:
        return invoice
    await gather_charge_lines()
    line_ids = [
        line["id"]
        for line in await open_lines(district_id)
        if line["source_kind"] == "registration" and line["po_number"] == DEMO_PO
    ]
    if not line_ids:
        return None
    [invoice] = await issue_invoices(
        finance, district_id, line_ids, acknowledge_warnings=True, period_label="Professional learning registrations"
    )
    return invoice


async def load_demo_payments() -> None:
    staff, finance = await _actor("staff@scoe.example"), await _actor("finance@scoe.example")
    coordinator = await _actor("coordinator@egusd.example")
    if staff is None or finance is None or coordinator is None or coordinator.district_id is None:
        return
    # demo.py fills the billing contacts (EGUSD, San Juan) when empty; the invoice email goes to them.
    po = await _purchase_order(coordinator)
    await _priced_workshop(staff)
    await _seats(coordinator)
    district_id = coordinator.district_id
    invoice = await _invoice(finance, district_id, po)
    if invoice is None or await PaymentReceived.exists().where(
        (PaymentReceived.district == district_id)
        & (PaymentReceived.method == "check")
        & (PaymentReceived.reference == DEMO_CHECK)
    ):
        return
    clean = check_payment_form(
        {
            "method": "check",
            "amount": CHECK_DOLLARS,
            "received_on": local_today().isoformat(),
            "reference": DEMO_CHECK,
            "note": "First part of the payment for this PO",
        },
        {invoice["id"]: CHECK_DOLLARS},
    )
    await record_payment(finance, district_id, clean)
