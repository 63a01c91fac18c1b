"""/account/calendar: subscribe to your own calendar feed; staff also to venues, rooms and programs."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts import profile
from booking.accounts.actor import Actor
from booking.accounts.users import get_user
from booking.catalog.tables import Program, Room, Venue
from booking.errors import InvalidInput
from booking.fields import is_ascii_digits
from booking.scheduling import feed_tokens
from booking.scheduling.forms import CalendarInvitesForm, StaffFeedForm
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, signed_in
from booking.web.pages import page, redirect


async def staff_scope_options() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Option groups for the staff form: value "scope:id", label."""
    venues = await Venue.select(Venue.id, Venue.name).where(Venue.is_active == True).order_by(Venue.name)
    rooms = (
        await Room.select(Room.id, Room.name, Room.venue.name.as_alias("venue_name"))
        .where(Room.venue.is_active == True)
        .order_by(Room.venue.name)
        .order_by(Room.name)
    )
    programs = await Program.select(Program.id, Program.title).order_by(Program.title)
    return [
        ("Venues (every room)", "venue", [(f"venue:{v['id']}", v["name"]) for v in venues]),
        ("Rooms", "room", [(f"room:{r['id']}", f"{r['venue_name']}, {r['name']}") for r in rooms]),
        ("Programs", "program", [(f"program:{p['id']}", p["title"]) for p in programs]),
    ]


def parse_scope(value: str) -> tuple[str, int]:
    scope, _, raw_id = value.partition(":")
    if scope not in feed_tokens.STAFF_SCOPES or not is_ascii_digits(raw_id) or len(raw_id) > 12:
        raise InvalidInput({"scope": "Choose a venue, room or program from the list."})
    return scope, int(raw_id)


async def _context(actor: Actor, **overrides) -> dict:
    feeds = await feed_tokens.feeds_of(actor)
    context = {
        "invites_on": (await get_user(actor.id))["calendar_invites"],
        "person_feed": next((f for f in feeds if f["scope"] == "person"), None),
        "staff_feeds": [f for f in feeds if f["scope"] != "person"],
        "scope_groups": await staff_scope_options() if actor.is_staff else [],
        "errors": {},
        "chosen_scope": "",
        "secure": feed_tokens.is_secure_base_url(),
    }
    context.update(overrides)
    return context


class CalendarFeedPagesController(Controller):
    path = "/account/calendar"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="scheduling.calendar_feeds")
    async def show(self, request: Request, actor: SignedInActor) -> object:
        return page(request, "scheduling/calendar_feeds.html", **await _context(actor))

    @post("/", name="scheduling.calendar_feed_create")
    async def create_person_feed(self, request: Request, actor: SignedInActor) -> object:
        await feed_tokens.create_feed(actor, "person")
        return redirect(request, request.app.route_reverse("scheduling.calendar_feeds"), notice="feed-created")

    @post("/invites", name="scheduling.calendar_invites")
    async def choose_invites(self, request: Request, actor: SignedInActor) -> object:
        wanted = (await read_form(request, CalendarInvitesForm)).calendar_invites
        await profile.set_calendar_invites(actor, wanted)
        return redirect(
            request,
            request.app.route_reverse("scheduling.calendar_feeds"),
            notice="invites-on" if wanted else "invites-off",
        )

    @post("/staff", name="scheduling.calendar_staff_feed_create")
    async def create_staff_feed(self, request: Request, actor: SignedInActor) -> object:
        chosen = (await read_form(request, StaffFeedForm)).scope
        try:
            scope, scope_id = parse_scope(chosen)
            await feed_tokens.create_feed(actor, scope, scope_id)
        except InvalidInput as error:
            return page(
                request,
                "scheduling/calendar_feeds.html",
                status=422,
                **await _context(actor, errors=error.field_errors, chosen_scope=chosen),
            )
        return redirect(request, request.app.route_reverse("scheduling.calendar_feeds"), notice="feed-created")

    @post("/{feed_id:int}/regenerate", name="scheduling.calendar_feed_regenerate")
    async def regenerate(self, request: Request, actor: SignedInActor, feed_id: FromPath[int]) -> object:
        await feed_tokens.regenerate_feed(actor, feed_id)
        return redirect(request, request.app.route_reverse("scheduling.calendar_feeds"), notice="feed-regenerated")

    @post("/{feed_id:int}/revoke", name="scheduling.calendar_feed_revoke")
    async def revoke(self, request: Request, actor: SignedInActor, feed_id: FromPath[int]) -> object:
        await feed_tokens.revoke_feed(actor, feed_id)
        return redirect(request, request.app.route_reverse("scheduling.calendar_feeds"), notice="feed-revoked")
