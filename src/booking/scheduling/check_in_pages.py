"""Check-in at the door: the attendee's page behind the QR code, and the staff screen that shows the code.

The code sits in the path, not the query, so signing in (which returns to the path) brings the person
back to the same check-in page.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.clock import utc_now
from booking.scheduling import attendance, door_codes
from booking.web.guards import SignedInActor, roles, signed_in
from booking.web.pages import page

MAX_CODE_LENGTH = 40


def _code(code: str) -> str:
    return code[:MAX_CODE_LENGTH]  # longer is never valid; keeps hostile input out of the HMAC and the page


class CheckInController(Controller):
    path = "/check-in"
    guards = [signed_in]
    include_in_schema = False

    @get("/{session_id:int}/{code:str}", name="scheduling.check_in")
    async def show(
        self, request: Request, actor: SignedInActor, session_id: FromPath[int], code: FromPath[str]
    ) -> object:
        door = await attendance.check_in_preview(actor, session_id, _code(code))
        return page(
            request,
            "scheduling/check_in.html",
            door=door,
            code=_code(code),
            result=None,
            session_label=attendance.session_label,
        )

    @post("/{session_id:int}/{code:str}", name="scheduling.check_in_record")
    async def check_in(
        self, request: Request, actor: SignedInActor, session_id: FromPath[int], code: FromPath[str]
    ) -> object:
        result = await attendance.check_in(actor, session_id, _code(code))
        return page(
            request,
            "scheduling/check_in.html",
            door=result.door,
            code=_code(code),
            result=result,
            session_label=attendance.session_label,
        )


class DoorScreenController(Controller):
    path = "/staff/offerings"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/{offering_id:int}/attendance/{session_id:int}/door", name="scheduling.door")
    async def door(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> object:
        door, counts = await attendance.door_screen(actor, offering_id, session_id)
        url = door_codes.check_in_url(session_id, door_codes.screen_code(session_id, utc_now()))
        return page(
            request,
            "scheduling/staff_door.html",
            door=door,
            counts=counts,
            url=url,
            qr_svg=door_codes.qr_svg(url),
            offering=door.offering,
            session=door.session,
            session_label=attendance.session_label,
            step_minutes=door_codes.STEP_SECONDS // 60,
            headers={"Cache-Control": "no-store"},
        )
