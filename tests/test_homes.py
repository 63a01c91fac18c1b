"""Each role's home (/ after sign-in): its sections read real data through the packages' use cases, link to where
the thing is done, and say so in one calm line when there is nothing."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from booking.accounts.actor import Actor
from booking.accounts.districts import find_district
from booking.payments.invoicing import issue_invoices
from booking.scheduling.attendance import mark_attendance
from booking.scheduling.registration import RegistrationRequest, register
from booking.slypark import allocation_runs
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.intake import StudentInput, save_grid
from booking.slypark.tables import Season
from booking.workflows.cancel_registration import cancel_registration
from booking.workflows.complete_offering import complete_offering
from tests.factories import make_user, signed_in
from tests.payments.money_factory import district_billed_seats, finance_actor, open_line_ids, set_billing_contact
from tests.slypark.slypark_factory import make_school, make_season, request_week
from tests.workshop_factory import make_workshop, require_approval, staff_actor


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def section(html: str, key: str) -> str:
    match = re.search(
        rf'<section class="home-section" aria-labelledby="home-{key}" data-section="{key}">(.*?)</section>', html, re.S
    )
    assert match, f"no section {key}"
    return match.group(1)


async def home_of(client, person: dict) -> str:
    await signed_in(client, person)
    response = await client.get("/")
    assert response.status_code == 200
    return response.text


async def _register(person: dict, offering_id: int, **kwargs) -> dict:
    return (await register(Actor.from_row(person), offering_id, RegistrationRequest(**kwargs))).registration


async def test_an_attendee_sees_sessions_to_join_seats_to_pay_offers_certificates_and_hours(client):
    me = await make_user("attendee", district="SJUSD", name="Robin Teacher")
    online = await make_workshop(
        "Webinar: Fractions", days=3, format="virtual", online_url="https://meet.example.org/fractions"
    )
    in_person = await make_workshop("Science Lab Day", days=10)
    paid = await make_workshop("Paid Literacy Series", days=14, price_cents=7_500)
    full = await make_workshop("Popular Paid Workshop", days=20, price_cents=5_000, capacity=1)
    done = await make_workshop("Last Month's Math", days=-20, pd_hours="4.5")
    await _register(me, online)
    await _register(me, in_person)
    await _register(me, paid, payer="card")
    first = await _register(await make_user("attendee", district="SJUSD"), full, payer="district")
    await _register(me, full)  # waiting list; a paid seat freed is offered, not given
    staff = await staff_actor()
    await cancel_registration(staff, first["id"], "Cannot come")
    completed = await _register(me, done)
    [session_row] = await complete_sessions(done)
    await mark_attendance(staff, done, session_row, completed["id"], "present")
    await complete_offering(staff, done, confirm_unmarked=True)

    html = await home_of(client, me)

    nxt = section(html, "next")
    assert text_of(nxt).index("Webinar: Fractions") < text_of(nxt).index("Science Lab Day")  # soonest first
    assert 'href="https://meet.example.org/fractions"' in nxt and "Join online" in nxt
    assert f'href="/my/learning/{completed["id"]}"' not in nxt  # a finished workshop is not a next session
    pay = text_of(section(html, "pay"))
    assert "Paid Literacy Series" in pay and "Pay by" in pay
    offers = section(html, "offers")
    assert "Popular Paid Workshop" in offers and "A place is yours until" in text_of(offers)
    certificates = section(html, "certificates")
    assert f'href="/my/certificates/{completed["id"]}.pdf"' in certificates and "Last Month&#39;s Math" in certificates
    assert "4.5 hours" in text_of(section(html, "hours"))
    assert "Someone" not in html


async def complete_sessions(offering_id: int) -> list[int]:
    from booking.catalog.offerings import sessions_of

    return [s["id"] for s in await sessions_of([offering_id])]


async def test_a_coordinator_sees_approvals_offers_freezes_student_lists_and_invoices(client):
    await require_approval("EGUSD")
    coordinator_user = await make_user("coordinator", district="EGUSD")
    coordinator = Actor.from_row(coordinator_user)
    teacher = await make_user("attendee", district="EGUSD", name="Casey Needs-Approval")
    stranger = await make_user("attendee", district="SJUSD", name="Someone Elsewhere")
    approval_workshop = await make_workshop("Paid Coaching Day", days=12, price_cents=9_000)
    await _register(teacher, approval_workshop, payer="district")
    await require_approval("SJUSD")
    await _register(stranger, approval_workshop, payer="district")
    staff = await staff_actor()
    # An offer from the allocation, and a booked week whose headcount freezes within six weeks with no students listed.
    season = await make_season(staff, weeks=2, first=4, freeze_days=21)
    alpha = await make_school("EGUSD", "Alpha Elementary")
    await request_week(coordinator, season, alpha, [season["weeks"][0]], boys=10, girls=10)
    await Season.update({Season.status: "allocating"}).where(Season.id == season["id"])
    run_id = await allocation_runs.run_allocation(staff, season["id"])
    assert await allocation_runs.publish(staff, run_id) == 1
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    bravo = await make_school("EGUSD", "Bravo Elementary")
    booked = await book_remaining(
        coordinator,
        season["weeks"][1],
        bravo,
        Headcount(5, 6, 1),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    # A week whose students are listed and whose families have not sent their health forms.
    charlie = await make_school("EGUSD", "Charlie Elementary")
    with_students = await book_remaining(
        coordinator,
        season["weeks"][1],
        charlie,
        Headcount(1, 1, 1),
        lead_teacher_name="Cy",
        lead_teacher_email="cy@school.example",
    )
    await save_grid(
        coordinator,
        with_students,
        [StudentInput("Ana", "Lopez", "girl", "", ""), StudentInput("Ben", "Ng", "boy", "", "")],
    )
    await set_billing_contact("EGUSD")
    await district_billed_seats(2, district="EGUSD")
    district_id = (await find_district("EGUSD"))["id"]
    [invoice] = await issue_invoices(
        await finance_actor(), district_id, await open_line_ids(district_id), acknowledge_warnings=True
    )

    html = await home_of(client, coordinator_user)

    approvals = text_of(section(html, "approvals"))
    assert "Casey Needs-Approval · Paid Coaching Day" in approvals and "Decide by" in approvals
    assert "Someone Elsewhere" not in html  # another district's people never show
    offers = text_of(section(html, "offers"))
    assert "Alpha Elementary" in offers and "Answer by" in offers
    freezes = text_of(section(html, "freezes"))
    assert "Bravo Elementary" in freezes and "Headcount fixed on" in freezes
    intake = section(html, "intake")
    assert f'href="/slypark/bookings/{booked}/students"' in intake and "0 of 11 students listed" in intake
    families = section(html, "families")
    assert f'href="/slypark/bookings/{with_students}/families"' in families and "0 of 2 family forms in" in families
    invoices = section(html, "invoices")
    assert f'href="/district/invoices/{invoice["id"]}"' in invoices and "$900.00 due" in text_of(
        invoices
    )  # two seats and the booked weeks' deposits


async def test_staff_see_today_this_week_filling_waiting_lists_and_allocation_steps(client):
    staff_user = await make_user("staff")
    today = await make_workshop("Today's Workshop", days=0, capacity=10)
    full = await make_workshop("Nearly Full Workshop", days=40, capacity=2)
    quiet = await make_workshop("Quiet Workshop", days=8, capacity=20)
    await make_workshop("Draft Workshop", days=0, status="draft")
    for _ in range(3):
        await _register(await make_user("attendee"), full)
    await _register(await make_user("attendee"), quiet)
    season = await make_season(Actor.from_row(staff_user), weeks=2, name="2028-29 school year")

    html = await home_of(client, staff_user)

    today_html = section(html, "today")
    assert "Today&#39;s Workshop" in today_html and f'href="/staff/offerings/{today}/attendance?session=' in today_html
    assert "Draft Workshop" not in html
    filling = text_of(section(html, "filling"))
    assert "Nearly Full Workshop Filling: 2 of 2 seats" in filling
    assert "Quiet Workshop Under-filled: 1 of 20 seats" in filling
    waiting = section(html, "waiting")
    assert f'href="/staff/offerings/{full}/roster"' in waiting and "1 waiting" in waiting
    allocation = section(html, "allocation")
    assert f'href="/staff/slypark/{season["id"]}"' in allocation and "Requests are coming in" in text_of(allocation)


async def test_finance_see_invoices_to_issue_overdue_and_an_empty_day(client):
    person = await make_user("finance")
    await set_billing_contact("EGUSD")
    await set_billing_contact("SJUSD", email="ap@sjusd.example")
    await district_billed_seats(3, district="EGUSD")
    await district_billed_seats(1, district="SJUSD", title="Overdue Workshop")
    sjusd = (await find_district("SJUSD"))["id"]
    # Issued 75 days ago (the invoice's date, due date and lines are stamped then): overdue today.
    await issue_invoices(
        await finance_actor(),
        sjusd,
        await open_line_ids(sjusd),
        acknowledge_warnings=True,
        now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=75),
    )

    html = await home_of(client, person)

    egusd = (await find_district("EGUSD"))["id"]
    to_issue = section(html, "to_issue")
    assert f'href="/finance/invoices/new?district={egusd}"' in to_issue and "3 charges · $375.00" in text_of(to_issue)
    assert "$125.00 overdue" in text_of(section(html, "overdue"))
    assert "Every payment is applied to an invoice." in text_of(section(html, "unapplied"))
    assert "No refunds in progress." in text_of(section(html, "refunds"))


async def test_admin_gets_people_and_settings_links_and_the_staff_sections(client):
    html = await home_of(client, await make_user("admin"))
    people = section(html, "people")
    assert 'href="/admin/users"' in people and 'href="/admin/audit"' in people and 'href="/admin/sign-in"' in people
    section(html, "today")
    section(html, "to_issue")


async def test_every_home_with_nothing_to_do_says_so_in_one_calm_line(client):
    """One test for the empty homes (each role in turn), so the suite pays for one database reset, not three."""
    expected = {
        "attendee": (
            ("next", "No sessions coming up. Browse workshops to find one."),
            ("pay", "Nothing to pay."),
            ("offers", "No offers waiting for you."),
            ("certificates", "No certificates yet"),
            ("hours", "0 hours"),
        ),
        "coordinator": (
            ("approvals", "No registrations wait for your approval."),
            ("offers", "No Sly Park offers wait for an answer."),
            ("freezes", "No headcount freezes in the next six weeks."),
            ("intake", "Every booked week has its student list."),
            ("families", "Every listed student's family form is in."),
            ("invoices", "No invoices to pay."),
        ),
        "staff": (
            ("today", "No sessions today."),
            ("week", "No more sessions this week."),
            ("filling", "No workshop is nearly full or short of people."),
            ("waiting", "Nobody is on a waiting list."),
            ("allocation", "No Sly Park season needs a step."),
        ),
        "finance": (
            ("to_issue", "No charges wait for an invoice."),
            ("overdue", "Nothing is overdue."),
            ("unapplied", "Every payment is applied to an invoice."),
            ("refunds", "No refunds in progress."),
            ("cancelled", "No cancelled seats wait for a credit note."),
        ),
    }
    for role, sections in expected.items():
        html = await home_of(client, await make_user(role, district="EGUSD" if role == "coordinator" else None))
        for key, line in sections:
            assert line in text_of(section(html, key)), (role, key)
        assert html.count('class="home-empty"') == len(sections) - (role == "attendee")  # the hours are a figure
