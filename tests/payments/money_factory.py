"""District-billed charges made through the real use cases, and the finance people who invoice them."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.districts import find_district
from booking.accounts.tables import District
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.tables import ChargeLine
from booking.scheduling.registration import RegistrationRequest, register
from tests.factories import make_user
from tests.workshop_factory import make_workshop


async def finance_actor() -> Actor:
    return Actor.from_row(await make_user("finance"))


async def coordinator_actor(district: str = "EGUSD") -> Actor:
    return Actor.from_row(await make_user("coordinator", district=district))


async def set_billing_contact(
    district: str = "EGUSD", email: str = "ap@egusd.example", name: str = "Pat Payables"
) -> int:
    row = await find_district(district)
    await District.update(
        {
            District.billing_contact_email: email,
            District.billing_contact_name: name,
            District.address_line1: "9510 Elk Grove Florin Rd",
            District.city: "Elk Grove",
            District.postal_code: "95624",
        }
    ).where(District.id == row["id"])
    return row["id"]


async def district_billed_seats(
    count: int,
    *,
    district: str = "EGUSD",
    price_cents: int = 12_500,
    po_number: str = "",
    title: str = "Number Talks in Grades 3-5",
    days: int = 20,
) -> list[dict]:
    """`count` confirmed seats a coordinator registered, billed to the district: `count` open charge lines."""
    workshop = await make_workshop(title, price_cents=price_cents, capacity=max(count, 1) + 5, days=days)
    coordinator = await coordinator_actor(district)
    seats = []
    for n in range(count):
        outcome = await register(
            coordinator,
            workshop,
            RegistrationRequest(
                attendee_email=f"teacher-{workshop}-{n}@{district.lower()}.example",
                attendee_name=f"Teacher {n}",
                payer="district",
                po_number=po_number,
            ),
        )
        seats.append(outcome.registration)
    await gather_charge_lines()
    return seats


async def open_line_ids(district_id: int) -> list[int]:
    rows = await ChargeLine.select(ChargeLine.id).where(
        (ChargeLine.district == district_id) & (ChargeLine.status == "open")
    )
    return [row["id"] for row in rows]
