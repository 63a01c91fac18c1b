"""Each role's home: what needs the person today, read through each package's own queries.

The home is the most visited page, so every section asks its package once or twice (no per-row queries
beyond a coordinator's handful of Sly Park bookings) and no business rule is restated here: statuses,
holds, balances and counts come decorated from the package that owns them. A section is a list of items,
each with the link where the thing is done; the template says so in one calm line when a list is empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.catalog.overview import staff_offerings
from booking.clock import LOCAL_TZ, utc_now
from booking.money import format_cents
from booking.payments.cancelled_seats import invoices_to_credit
from booking.payments.district_invoices import list_district_invoices
from booking.payments.reports import aging, district_credits, refunds_in_progress, waiting_to_invoice
from booking.scheduling.approvals import pending_approvals
from booking.scheduling.my_learning import my_learning
from booking.scheduling.transcript import transcript_for
from booking.slypark.beds import holds_beds
from booking.slypark.bookings import bookings_for, freeze_date
from booking.slypark.family_links import links_of
from booking.slypark.intake import student_count
from booking.slypark.overview import season_rows
from booking.slypark.seasons import get_season

# What a staff member should look at, in words they use: a workshop this full is "filling", one that starts
# this soon with this few people is "under-filled" (worth a reminder email or a decision to cancel).
FILLING_PERCENT = 90
UNDER_FILLED_PERCENT = 50
UNDER_FILLED_WITHIN = dt.timedelta(days=21)
# Headcount freeze dates worth a reminder: those in the next few weeks.
FREEZE_SOON = dt.timedelta(days=42)
# A long home is not read: each list shows this many and links to the full page.
SECTION_LIMIT = 8

SEASON_STEPS = {
    "draft": "Set the request window and open requests",
    "requests_open": "Requests are coming in; close them for allocation when the window ends",
    "allocating": "Run the allocation and publish offers",
    "offers_out": "Offers are out; open the remaining beds for booking when they are settled",
}


@dataclass
class Item:
    """One line of a section: what it is, where it is done, and a short detail."""

    text: str
    href: str
    detail: str = ""
    link_text: str = ""  # a second link on the line (join an online session)
    link_href: str = ""


@dataclass
class Section:
    key: str
    title: str
    empty: str  # the calm line shown when there is nothing
    items: list[Item] = field(default_factory=list)
    more_href: str = ""  # the page with the full list
    more_text: str = ""
    figure: str = ""  # a single figure instead of a list (PD hours this year)

    @property
    def shown(self) -> list[Item]:
        return self.items[:SECTION_LIMIT]

    @property
    def hidden_count(self) -> int:
        return max(0, len(self.items) - SECTION_LIMIT)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


def when_text(moment: dt.datetime) -> str:
    return f"{local(moment):%a %b %-d, %-I:%M %p}"


def day_text(day: dt.date) -> str:
    return f"{day:%a %b %-d, %Y}"


def school_year_start(today: dt.date) -> dt.date:
    """California school years (and PD hour years) run July 1 - June 30."""
    return dt.date(today.year if today.month >= 7 else today.year - 1, 7, 1)


# --- Attendee ---------------------------------------------------------------------------------------


async def attendee_sections(actor: Actor, now: dt.datetime) -> list[Section]:
    learning = await my_learning(actor, now)
    next_sessions = Section(
        "next",
        "Your next sessions",
        "No sessions coming up. Browse workshops to find one.",
        more_href="/my/learning",
        more_text="All your learning",
    )
    to_pay = Section("pay", "Seats to pay", "Nothing to pay.")
    offers = Section("offers", "Offers to accept", "No offers waiting for you.")
    starts: list[tuple[dt.datetime, Item]] = []
    for row in learning.upcoming:
        path = f"/my/learning/{row['id']}"
        if row["is_offered"]:
            offers.items.append(
                Item(row["offering_title"], path, f"A place is yours until {when_text(row['hold_expires_at'])}")
            )
        elif row["awaits_payment"]:
            to_pay.items.append(Item(row["offering_title"], path, f"Pay by {when_text(row['hold_expires_at'])}"))
        if not row["on_calendar"] or row["is_offered"]:
            continue  # an offer is not theirs yet: it is listed under offers
        upcoming = [s for s in row["sessions"] if s["ends_at"] > now]
        if upcoming:
            session = upcoming[0]
            online = session.get("online_url") or ""
            starts.append(
                (
                    session["starts_at"],
                    Item(
                        row["offering_title"],
                        path,
                        when_text(session["starts_at"]) + ("" if row["is_confirmed"] else f" · {row['status_label']}"),
                        link_text="Join online" if online else "",
                        link_href=online,
                    ),
                )
            )
    next_sessions.items = [item for _, item in sorted(starts, key=lambda pair: pair[0])]
    transcript = await transcript_for(actor)
    certificates = Section(
        "certificates",
        "Certificates",
        "No certificates yet: they appear when a workshop is completed.",
        more_href="/my/transcript",
        more_text="Your transcript",
    )
    for entry in reversed(transcript.entries):
        certificates.items.append(
            Item(entry["title"], f"/my/certificates/{entry['id']}.pdf", entry.get("issued_label", ""))
        )
    year_start = school_year_start(local(now).date())
    tenths = sum(
        e["hours_tenths"]
        for e in transcript.entries
        if e["completed_at"] and local(e["completed_at"]).date() >= year_start
    )
    hours = Section(
        "hours",
        f"PD hours this year ({year_start.year}-{(year_start.year + 1) % 100:02d})",
        "",
        more_href="/my/transcript",
        more_text="Your transcript",
        figure=f"{tenths / 10:g} hours",
    )
    return [next_sessions, to_pay, offers, certificates, hours]


# --- Coordinator ------------------------------------------------------------------------------------


async def coordinator_sections(actor: Actor, now: dt.datetime) -> list[Section]:
    approvals = Section(
        "approvals",
        "Approvals waiting",
        "No registrations wait for your approval.",
        more_href="/district/approvals",
        more_text="All approvals",
    )
    for row in await pending_approvals(actor, now):
        if row["can_decide"]:
            approvals.items.append(
                Item(
                    f"{row['attendee_name']} · {row['offering_title']}",
                    "/district/approvals",
                    f"Decide by {when_text(row['hold_expires_at'])}",
                )
            )
    today = local(now).date()
    offers = Section(
        "offers",
        "Sly Park offers due",
        "No Sly Park offers wait for an answer.",
        more_href="/slypark/bookings",
        more_text="Your Sly Park weeks",
    )
    freezes = Section("freezes", "Headcount freeze dates", "No headcount freezes in the next six weeks.")
    intake = Section("intake", "Student lists missing", "Every booked week has its student list.")
    families = Section("families", "Family health forms missing", "Every listed student's family form is in.")
    seasons: dict[int, dict] = {}
    for booking in await bookings_for(actor):
        week = f"{booking['school_name'] or booking['district_name']}, week of {booking['starts_on']:%b %-d, %Y}"
        path = f"/slypark/bookings/{booking['id']}"
        if booking["status"] == "offered":
            if holds_beds(booking, now):
                offers.items.append(
                    Item(week, "/slypark/bookings", f"Answer by {when_text(booking['offer_expires_at'])}")
                )
            continue
        if booking["starts_on"] < today:
            continue
        if booking["season"] not in seasons:
            seasons[booking["season"]] = await get_season(booking["season"])
        freeze = freeze_date(seasons[booking["season"]], booking["starts_on"])
        if today <= freeze <= today + FREEZE_SOON:
            freezes.items.append(Item(week, path, f"Headcount fixed on {day_text(freeze)}"))
        expected = booking["boys"] + booking["girls"]
        listed = await student_count(booking["id"])
        if listed < expected:
            intake.items.append(
                Item(week, f"/slypark/bookings/{booking['id']}/students", f"{listed} of {expected} students listed")
            )
        if listed:
            forms = await links_of(actor, booking["id"])
            if forms.received < len(forms.rows):
                families.items.append(
                    Item(
                        week,
                        f"/slypark/bookings/{booking['id']}/families",
                        f"{forms.received} of {len(forms.rows)} family forms in",
                    )
                )
    invoices = Section(
        "invoices", "Invoices to pay", "No invoices to pay.", more_href="/district/invoices", more_text="All invoices"
    )
    for row in (await list_district_invoices(actor, now)).to_pay:
        overdue = f" · {row.days_overdue} days overdue" if row.days_overdue else ""
        invoices.items.append(
            Item(
                f"Invoice {row.invoice['number']}",
                f"/district/invoices/{row.invoice['id']}",
                f"{format_cents(row.balance.open_cents)} due {day_text(row.invoice['due_on'])}{overdue}",
            )
        )
    return [approvals, offers, freezes, intake, families, invoices]


# --- Staff ------------------------------------------------------------------------------------------


async def staff_sections(actor: Actor, now: dt.datetime) -> list[Section]:
    today = local(now).date()
    start_of_today = dt.datetime.combine(today, dt.time(), tzinfo=LOCAL_TZ)
    # Everything still to come, and what ran earlier today (its attendance is taken now).
    offerings = [
        row
        for row in await staff_offerings(actor, when="all", now=now)
        if row["status"] == "published" and (row["last_ends_at"] is None or row["last_ends_at"] >= start_of_today)
    ]
    week_end = today + dt.timedelta(days=7 - today.weekday())  # through Sunday
    by_id = {row["id"]: row for row in offerings}
    today_section = Section("today", "Today's sessions", "No sessions today.")
    week_section = Section("week", "Later this week", "No more sessions this week.")
    for session in await sessions_of(list(by_id)):
        day = local(session["starts_at"]).date()
        if day < today or day >= week_end:
            continue
        offering = by_id[session["offering"]]
        item = Item(
            offering["title"],
            f"/staff/offerings/{offering['id']}/attendance?session={session['id']}",
            f"{when_text(session['starts_at'])} · {offering['counts'].confirmed} registered",
            link_text="Roster",
            link_href=f"/staff/offerings/{offering['id']}/roster",
        )
        (today_section if day == today else week_section).items.append(item)
    filling = Section(
        "filling",
        "Filling or under-filled",
        "No workshop is nearly full or short of people.",
        more_href="/staff/offerings",
        more_text="Manage catalog",
    )
    waiting = Section("waiting", "Waiting lists", "Nobody is on a waiting list.")
    for row in offerings:
        path = f"/staff/offerings/{row['id']}/roster"
        if row["is_past"]:
            continue
        starts_soon = row["first_starts_at"] is not None and row["first_starts_at"] - now <= UNDER_FILLED_WITHIN
        seats = f"{row['counts'].confirmed} of {row['capacity']} seats"
        if row["kind"] != "cohort" and row["fill_rate"] >= FILLING_PERCENT:
            filling.items.append(Item(row["title"], path, f"Filling: {seats}"))
        elif row["kind"] != "cohort" and starts_soon and row["fill_rate"] < UNDER_FILLED_PERCENT:
            filling.items.append(
                Item(row["title"], path, f"Under-filled: {seats}, starts {when_text(row['first_starts_at'])}")
            )
        if row["counts"].waitlisted:
            waiting.items.append(Item(row["title"], path, f"{row['counts'].waitlisted} waiting"))
    allocation = Section(
        "allocation",
        "Sly Park allocation",
        "No Sly Park season needs a step.",
        more_href="/staff/slypark",
        more_text="Sly Park seasons",
    )
    for season in await season_rows():
        step = SEASON_STEPS.get(season["status"])
        if step:
            allocation.items.append(
                Item(season["name"], f"/staff/slypark/{season['id']}", f"{step} · {season['requests']} requests")
            )
    return [today_section, week_section, filling, waiting, allocation]


# --- Finance ----------------------------------------------------------------------------------------


async def finance_sections(actor: Actor, now: dt.datetime) -> list[Section]:
    today = local(now).date()
    # Charges confirmed a minute ago join "waiting" at the finance dashboard, which gathers them first; the home
    # only reads, so a charge may show here after the dashboard's next visit or the worker's sweep.
    to_issue = Section(
        "to_issue",
        "Invoices to issue",
        "No charges wait for an invoice.",
        more_href="/finance/invoices/new",
        more_text="Issue invoices",
    )
    for row in await waiting_to_invoice():
        to_issue.items.append(
            Item(
                row["name"],
                f"/finance/invoices/new?district={row['district_id']}",
                f"{row['count']} charges · {format_cents(row['total_cents'])}",
            )
        )
    overdue = Section(
        "overdue", "Overdue", "Nothing is overdue.", more_href="/finance/reports/aging", more_text="Aging report"
    )
    for row in (await aging(actor, today)).rows:
        if row.overdue_cents:
            overdue.items.append(
                Item(
                    row.name,
                    f"/finance/invoices?district={row.district_id}",
                    f"{format_cents(row.overdue_cents)} overdue",
                )
            )
    unapplied = Section(
        "unapplied",
        "Payments not applied",
        "Every payment is applied to an invoice.",
        more_href="/finance/payments",
        more_text="Payments received",
    )
    for row in await district_credits():
        unapplied.items.append(
            Item(row["name"], "/finance/payments", f"{format_cents(row['credit_cents'])} not applied")
        )
    refunds = Section(
        "refunds",
        "Refunds to settle",
        "No refunds in progress.",
        more_href="/finance/card-payments",
        more_text="Card payments",
    )
    for row in await refunds_in_progress():
        refunds.items.append(
            Item(
                row["description"] or f"Refund {row['id']}",
                f"/finance/card-payments/{row['card_payment']}",
                f"{format_cents(row['amount_cents'])} · {row['status']}",
            )
        )
    cancelled = Section(
        "cancelled",
        "Cancelled seats to credit",
        "No cancelled seats wait for a credit note.",
        more_href="/finance/cancelled-seats",
        more_text="Cancelled seats",
    )
    for entry in await invoices_to_credit(actor):
        cancelled.items.append(
            Item(
                f"Invoice {entry.invoice['number']} · {entry.district_name}",
                "/finance/cancelled-seats",
                f"{len(entry.lines)} seats · {format_cents(entry.total_cents)}",
            )
        )
    return [to_issue, overdue, unapplied, refunds, cancelled]


# --- Admin ------------------------------------------------------------------------------------------


def admin_sections() -> list[Section]:
    people = Section(
        "people",
        "People and settings",
        "",
        items=[
            Item("People and their roles", "/admin/users", "Add people, change roles and districts"),
            Item(
                "District sign-in", "/admin/sign-in", "Connect a district's own sign-in, password sign-in per district"
            ),
            Item("Audit log", "/admin/audit", "Who changed what"),
            Item("Payment settings", "/finance/settings/payments", "Card payments and finance policies"),
        ],
    )
    return [people]


async def home_sections(actor: Actor, now: dt.datetime | None = None) -> list[Section]:
    now = now or utc_now()
    if actor.role == "coordinator":
        return await coordinator_sections(actor, now)
    if actor.role == "staff":
        return await staff_sections(actor, now)
    if actor.role == "finance":
        return await finance_sections(actor, now)
    if actor.role == "admin":
        return admin_sections() + await staff_sections(actor, now) + await finance_sections(actor, now)
    return await attendee_sections(actor, now)
