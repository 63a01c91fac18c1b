"""JSON API for offerings: create (staff), list and read (anyone)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from booking.catalog.offerings import create_offering, get_offering, list_offerings
from booking.catalog.rows import OfferingRow
from booking.catalog.schemas import OfferingCreate, OfferingOut, SessionOut
from booking.catalog.validation import OfferingInput
from booking.scheduling.capacity import SeatCounts, seat_counts
from booking.web.guards import OptionalActor, SignedInActor, roles
from booking.web.problem import problem_responses


def offering_out(row: OfferingRow, counts: SeatCounts) -> OfferingOut:
    return OfferingOut(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        status=row["status"],
        capacity=row["capacity"],
        confirmed_count=counts.confirmed,
        held_count=counts.held,
        waitlist_count=counts.waitlisted,
        seats_left=counts.seats_left,
        price_cents=row["price_cents"],
        nonmember_price_cents=row["nonmember_price_cents"],
        pd_hours=row["pd_hours_tenths"] / 10,
        format=row["format"],
        registration_opens_at=row["registration_opens_at"],
        registration_closes_at=row["registration_closes_at"],
        cancellation_deadline=row["cancellation_deadline"],
        sessions=[
            SessionOut(s["id"], s["starts_at"], s["ends_at"], s["room_name"], s["venue_name"], s["online_url"])
            for s in row["sessions"]
        ],
    )


class OfferingsApi(Controller):
    path = "/api/v1/offerings"
    tags = ["offerings"]

    @post(
        "/",
        guards=[roles("staff")],
        summary="Create an offering (staff, admin)",
        responses=problem_responses(400, 401, 403, 409, 413, 422, 503),
        name="catalog.api_offering_create",
    )
    async def create(self, actor: SignedInActor, data: JSONBody[OfferingCreate]) -> OfferingOut:
        offering_id = await create_offering(actor, OfferingInput(**msgspec.structs.asdict(data)))
        row = await get_offering(actor, offering_id)
        return offering_out(row, (await seat_counts([row]))[row["id"]])

    @get(
        "/",
        summary="Offerings (published ones; staff also see drafts)",
        responses=problem_responses(401, 422),
        name="catalog.api_offerings",
    )
    async def index(self, actor: OptionalActor) -> list[OfferingOut]:
        rows = await list_offerings(actor)
        counts = await seat_counts(rows)
        return [offering_out(row, counts[row["id"]]) for row in rows]

    @get(
        "/{offering_id:int}",
        summary="One offering",
        responses=problem_responses(400, 401, 404, 422),
        name="catalog.api_offering",
    )
    async def show(self, actor: OptionalActor, offering_id: FromPath[int]) -> OfferingOut:
        row = await get_offering(actor, offering_id)
        return offering_out(row, (await seat_counts([row]))[row["id"]])
