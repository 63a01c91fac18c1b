"""JSON API for registrations and rosters (CONTRACT.md)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody

from booking.payments.checkout import PaymentUnavailable
from booking.scheduling.registration import RegistrationRequest
from booking.scheduling.roster import roster
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.schemas import RegistrationCreate, RegistrationOut, RosterEntry
from booking.scheduling.visibility import get_visible_registration
from booking.scheduling.waitlist import waitlist_position
from booking.web.guards import SignedInActor, roles, signed_in
from booking.web.problem import problem_responses
from booking.workflows.cancel_registration import cancel_registration
from booking.workflows.register_and_checkout import register_then_checkout


async def registration_out(
    row: RegistrationRow, warnings: list[str] | None = None, position: int | None = None
) -> RegistrationOut:
    """`position`: the waiting-list place the caller already knows (register() counts it under the lock)."""
    return RegistrationOut(
        id=row["id"],
        offering_id=row["offering"],
        attendee_id=row["attendee"],
        status=row["status"],
        waitlist_position=position if position is not None else await waitlist_position(row),
        checkout_url=None,
        payer=row["payer"],
        amount_cents=row["amount_cents"],
        amount_paid_cents=row["amount_paid_cents"],
        hold_expires_at=row["hold_expires_at"],
        created_at=row["created_at"],
        warnings=warnings or [],
    )


class RegistrationsApi(Controller):
    path = "/api/v1"
    tags = ["registrations"]

    @post(
        "/offerings/{offering_id:int}/registrations",
        guards=[signed_in],
        summary="Register yourself or someone else",
        name="scheduling.api_register",
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
    )
    async def create(
        self, actor: SignedInActor, offering_id: FromPath[int], data: JSONBody[RegistrationCreate]
    ) -> RegistrationOut:
        registered = await register_then_checkout(
            actor,
            offering_id,
            RegistrationRequest(
                attendee_email=data.attendee.email if data.attendee else None,
                attendee_name=data.attendee.name if data.attendee else None,
                payer=data.payer,
                po_number=data.po_number,
            ),
        )
        outcome, checkout_url, error = registered.outcome, registered.checkout_url, registered.checkout_error
        warnings = list(outcome.warnings)
        # Checkout opens after the registration's commit, within this request (CONTRACT): the URL is in the 201.
        if isinstance(error, PaymentUnavailable):
            warnings.append(
                f"{error.message} Your seat is held until the hold expires; pay from your registration page."
            )
        elif error is not None:
            raise error
        out = await registration_out(outcome.registration, warnings, position=outcome.waitlist_position)
        out.waitlist_position = outcome.waitlist_position
        out.checkout_url = checkout_url
        return out

    @get(
        "/registrations/{registration_id:int}",
        guards=[signed_in],
        summary="One registration",
        name="scheduling.api_registration",
        responses=problem_responses(400, 401, 404, 422),
    )
    async def show(self, actor: SignedInActor, registration_id: FromPath[int]) -> RegistrationOut:
        return await registration_out(await get_visible_registration(actor, registration_id))

    @delete(
        "/registrations/{registration_id:int}",
        guards=[signed_in],
        status_code=200,
        summary="Cancel a registration",
        name="scheduling.api_registration_cancel",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def cancel(self, actor: SignedInActor, registration_id: FromPath[int]) -> RegistrationOut:
        return await registration_out(await cancel_registration(actor, registration_id))

    @get(
        "/offerings/{offering_id:int}/roster",
        guards=[roles("staff")],
        summary="Registrations of an offering (staff)",
        name="scheduling.api_roster",
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def roster(self, actor: SignedInActor, offering_id: FromPath[int]) -> list[RosterEntry]:
        fields = RosterEntry.__struct_fields__  # the roster also carries what the staff page shows (label, flags)
        return [RosterEntry(**{name: entry[name] for name in fields}) for entry in await roster(actor, offering_id)]
