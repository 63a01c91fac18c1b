"""Running the exact allocation on a season's requests, keeping its report, and publishing its offers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json

import anyio

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.db import json_column, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.fields import is_ascii_digits
from booking.notifications.outbox import enqueue_email
from booking.slypark import allocation
from booking.slypark.beds import bed_use
from booking.slypark.request_lifecycle import RequestStatus, move_request
from booking.slypark.seasons import STAFF_ONLY, get_season, weeks_of
from booking.slypark.tables import AllocationRun, Booking, BookingEvent, Season, WeekRequest
from booking.slypark.week_requests import REQUEST_COLUMNS, choice_ids, coordinator_emails

# Weights only rank the choices against each other; up to 1,000 keeps the solver's exact integer
# objective far below 2**53 for any season (allocation._check_magnitudes), where a huge weight
# would be refused deep inside the solver.
MAX_WEIGHT = 1_000


# The allocation settings in the words staff think in; each preset is only a value of the solver's
# inputs (choice weights, split penalty), which stay as they were and can still be typed as "Custom".
CHOICE_PRESETS = {
    "first_choices": (
        "As many first choices as possible",
        "A first choice counts far more than a second (a second about 40% of a first); "
        "a school may get no week so that others get their first.",
        "100,40,15,5,2",
    ),
    "balanced": (
        "Balanced (the usual)",
        "A second choice counts about 70% of a first, a third about 45%, and so on.",
        "100,70,45,25,10",
    ),
    "place_everyone": (
        "Place as many schools as possible",
        "Any week a school listed is nearly as good as its first choice (each later choice 10% less).",
        "100,90,80,70,60",
    ),
}
SPLIT_PRESETS = {
    "rarely": ("Only when nothing else works", "A split costs as much as a first choice is worth.", "100"),
    "somewhat": (
        "Avoid it somewhat (the usual)",
        "A split costs about as much as dropping from a first to a second choice.",
        "15",
    ),
    "freely": ("Split freely", "Splitting costs nothing.", "0"),
}


def preset_for(value: str, presets: dict) -> str:
    """Which preset a stored value is, or "custom"."""
    compact = ",".join(part.strip() for part in (value or "").split(","))
    return next((key for key, (_label, _hint, preset) in presets.items() if preset == compact), "custom")


def parse_weights(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not all(is_ascii_digits(part) for part in parts):
        raise InvalidInput({"choice_weights": "Enter whole numbers separated by commas, for example 100,70,45,25,10."})
    if any(len(part) > 4 or int(part) > MAX_WEIGHT for part in parts):
        raise InvalidInput({"choice_weights": f"Use weights from 1 to {MAX_WEIGHT:,}, for example 100,70,45,25,10."})
    weights = tuple(int(part) for part in parts)
    if not 1 <= len(weights) <= 5 or any(w <= 0 for w in weights) or any(a <= b for a, b in zip(weights, weights[1:])):
        raise InvalidInput({"choice_weights": "Give one to five positive weights, each smaller than the one before."})
    return weights


async def run_allocation(
    actor: Actor,
    season_id: int,
    *,
    choice_weights: str | None = None,
    split_penalty: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Solve for the season's requests as they stand (pins and exclusions included) and keep the report."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    season = await get_season(season_id)
    if season["status"] not in ("requests_open", "allocating"):
        raise Conflict(
            "Allocation runs while requests are open or closed for allocation, before offers go out.",
            code="not_allocating",
        )
    weights = parse_weights(choice_weights if choice_weights is not None else season["choice_weights"])
    penalty = season["split_penalty"] if split_penalty is None else split_penalty
    if not 0 <= penalty <= 1000:
        raise InvalidInput({"split_penalty": "Enter a whole number from 0 to 1000."})
    weeks = await weeks_of(season_id)
    use = await bed_use(
        [w["id"] for w in weeks], now
    )  # beds already booked (e.g. staff bookings) are not offered again
    requests = (
        await WeekRequest.select(*REQUEST_COLUMNS)
        .where((WeekRequest.season == season_id) & (WeekRequest.status == "submitted"))
        .order_by(WeekRequest.submitted_at)
    )
    # A large season takes CP-SAT seconds of pure CPU: in a worker thread, so the server keeps answering meanwhile.
    result = await anyio.to_thread.run_sync(
        functools.partial(
            allocation.allocate,
            [
                allocation.Week(
                    id=w["id"],
                    order=index,
                    boys_beds=use[w["id"]].boys_left,
                    girls_beds=use[w["id"]].girls_left,
                    closed=w["closed"],
                )
                for index, w in enumerate(weeks)
            ],
            [
                allocation.Request(
                    id=r["id"],
                    school=r["school_name"],
                    tier=r["tier"],
                    boys=r["boys"],
                    girls=r["girls"],
                    choices=tuple(choice_ids(r["choices"])),
                    can_share=r["can_share"],
                    can_split=r["can_split"],
                    submitted_order=index,
                )
                for index, r in enumerate(requests)
            ],
            allocation.Settings(
                weights=weights,
                split_penalty=penalty,
                pinned={r["id"]: r["pinned_week"] for r in requests if r["pinned_week"]},
                excluded=frozenset(r["id"] for r in requests if r["excluded"]),
            ),
        )
    )
    summary = {
        "status": result.status,
        "choice_counts": {str(k): v for k, v in result.choice_counts.items()},
        "unplaced": result.unplaced,
        "splits": result.splits,
        "placed_off_choice": result.placed_off_choice,
        "gap": result.gap,
        "tier_scores": [list(pair) for pair in result.tier_scores],
        "errors": list(result.errors),
        "weights": list(weights),
        "split_penalty": penalty,
        "requests": len(requests),
    }
    outcomes = [
        {**dataclasses.asdict(outcome), "parts": [dataclasses.asdict(p) for p in outcome.parts]}
        for outcome in result.outcomes
    ]
    async with write_transaction():
        if season["status"] == "requests_open":
            await Season.update({Season.status: "allocating"}).where(Season.id == season_id)
        rows = await AllocationRun.insert(
            AllocationRun(
                season=season_id,
                run_by=actor.id,
                run_at=now,
                status=result.status,
                solver=f"{result.solver} {result.solver_version}",
                solve_ms=int(result.solve_seconds * 1000),
                summary=json.dumps(summary),
                outcomes=json.dumps(outcomes, default=str),
            )
        ).returning(AllocationRun.id)
    return rows[0]["id"]


async def get_run(run_id: int) -> dict:
    run = await AllocationRun.select().where(AllocationRun.id == run_id).first()
    if run is None:
        raise NotFound("No such allocation run.")
    run["summary"] = json_column(run["summary"])
    run["outcomes"] = json_column(run["outcomes"], "[]")
    return run


async def latest_run(season_id: int) -> dict | None:
    row = (
        await AllocationRun.select(AllocationRun.id)
        .where(AllocationRun.season == season_id)
        .order_by(AllocationRun.id, ascending=False)
        .first()
    )
    return await get_run(row["id"]) if row else None


async def _check_publishable(run_id: int) -> tuple[dict, dict]:
    run = await get_run(run_id)
    season = await get_season(run["season"])
    latest = await latest_run(season["id"])
    if latest["id"] != run_id:
        raise Conflict("A newer run exists; publish the latest one.", code="stale_run")
    if run["published_at"] is not None or season["status"] != "allocating":
        raise Conflict("Offers for this season are already out.", code="already_published")
    if run["status"] == "infeasible":
        raise Conflict(
            "This run has no allocation to publish; fix the pins it reports and run again.", code="infeasible"
        )
    return run, season


@dataclasses.dataclass
class PublishPreview:
    run: dict
    schools: list[dict]  # school_name, district_name, offered (bool), coordinators [{name, email}]

    @property
    def emails(self) -> list[str]:
        """One email per coordinator per school told (a coordinator of two schools gets two)."""
        return [c["email"] for school in self.schools for c in school["coordinators"]]

    @property
    def coordinators(self) -> list[str]:
        return sorted({c["email"] for school in self.schools for c in school["coordinators"]})


async def publish_preview(actor: Actor, run_id: int) -> PublishPreview:
    """Who publishing would email: each school told, with its district's coordinators (staff confirm first)."""
    Actor.require(actor, "staff", STAFF_ONLY)
    run, _season = await _check_publishable(run_id)
    return PublishPreview(run, await _schools_told(run))


async def _schools_told(run: dict) -> list[dict]:
    schools = []
    for outcome in run["outcomes"]:
        request = await WeekRequest.select(*REQUEST_COLUMNS).where(WeekRequest.id == outcome["request_id"]).first()
        if request is None or request["status"] != "submitted":
            continue
        coordinators = await coordinator_emails(request["district"])
        schools.append(
            {
                "school_name": request["school_name"],
                "district_name": request["district_name"],
                "offered": bool(outcome["parts"]),
                "coordinators": coordinators,
            }
        )
    schools.sort(key=lambda s: (s["district_name"], s["school_name"]))
    return schools


async def publish(
    actor: Actor, run_id: int, now: dt.datetime | None = None, *, expected_emails: int | None = None
) -> int:
    """Offers for every placed request of the season's latest run; coordinators are emailed. Returns offers made.

    `expected_emails`: the number of emails staff confirmed on the preview; if the list changed since
    (a request withdrawn, a coordinator added), nothing is published and staff look again.
    """
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    async with write_transaction():
        run, season = await _check_publishable(run_id)
        if expected_emails is not None:
            emails = sum(len(school["coordinators"]) for school in await _schools_told(run))
            if emails != expected_emails:
                raise Conflict(
                    f"The list of coordinators changed since you checked it: publishing now emails {emails}, "
                    f"not {expected_emails}. Check the list again; nothing was published.",
                    code="recipients_changed",
                )
        deadline = now + dt.timedelta(days=season["offer_days"])
        offers = 0
        for outcome in run["outcomes"]:
            request = await WeekRequest.select(*REQUEST_COLUMNS).where(WeekRequest.id == outcome["request_id"]).first()
            if request is None or request["status"] != "submitted":
                continue
            if not outcome["parts"]:
                await move_request(request, RequestStatus.UNPLACED, now)
                await _tell(request, "slypark_unplaced", {"reason": outcome.get("reason") or ""})
                continue
            for part in outcome["parts"]:
                booking_id = (
                    await Booking.insert(
                        Booking(
                            season=season["id"],
                            week=part["week_id"],
                            district=request["district"],
                            school=request["school"],
                            request=request["id"],
                            status="offered",
                            offer_expires_at=deadline,
                            boys=part["boys"],
                            girls=part["girls"],
                            teachers=request["teachers"],
                            lead_teacher_name=request["lead_teacher_name"],
                            lead_teacher_email=request["lead_teacher_email"],
                            created_by=actor.id,
                            created_at=now,
                        )
                    ).returning(Booking.id)
                )[0]["id"]
                await BookingEvent.insert(
                    BookingEvent(
                        booking=booking_id,
                        kind="offered",
                        actor=actor.id,
                        note=f"Allocation run {run_id}: choice {outcome['rank'] or '-'}",
                    )
                )
                offers += 1
            await move_request(request, RequestStatus.OFFERED, now)
            await _tell(request, "slypark_offer", {"deadline": deadline, "rank": outcome["rank"]})
        await AllocationRun.update({AllocationRun.published_at: now}).where(AllocationRun.id == run_id)
        await Season.update({Season.status: "offers_out"}).where(Season.id == season["id"])
    return offers


async def _tell(request: dict, template: str, extra: dict) -> None:
    for coordinator in await coordinator_emails(request["district"]):
        await enqueue_email(coordinator["email"], template, {"name": coordinator["name"], "request": request, **extra})
