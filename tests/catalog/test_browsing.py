"""/workshops: search, filters in the query, states, prices, paging, htmx fragments and bad filter values."""

from __future__ import annotations

import datetime as dt
import re

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.browsing import PAGE_SIZE, CatalogQuery, browse_catalog
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user, signed_in
from tests.workshop_factory import local, make_workshop, staff_actor


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="workshop-title"><a href="/workshops/\d+">([^<]+)</a>', html)


def count_text(html: str) -> str:
    match = re.search(r'<p id="result-count"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no result count on the page"
    return " ".join(match.group(1).split())


async def _fill(offering_id: int, people: int, district: str = "EGUSD") -> None:
    for _ in range(people):
        person = Actor.from_row(await make_user("attendee", district=district))
        await register(person, offering_id, RegistrationRequest(payer="district"))


async def test_the_catalog_lists_published_upcoming_workshops_soonest_first(client):
    staff = await staff_actor()
    await make_workshop("Later one", days=40, staff=staff)
    await make_workshop("Sooner one", days=10, staff=staff)
    await make_workshop("A draft", status="draft", staff=staff)
    await make_workshop("A cancelled one", status="cancelled", staff=staff)
    await make_workshop("Already over", days=-3, staff=staff)
    await make_workshop("A cohort", kind="cohort", staff=staff)

    response = await client.get("/workshops")

    assert response.status_code == 200
    assert titles(response.text) == ["Sooner one", "Later one"]
    assert count_text(response.text) == "2 workshops found."
    assert response.headers["vary"] == "HX-Request"


async def test_each_filter_narrows_the_results(client):
    staff = await staff_actor()
    await make_workshop(
        "Math for paras",
        audiences=("para-educator",),
        subject="Mathematics",
        grade_band="3-5",
        format="virtual",
        days=5,
        staff=staff,
    )
    await make_workshop(
        "Leading PLCs",
        audiences=("administrator",),
        subject="Leadership",
        grade_band="TK-12",
        format="in_person",
        days=12,
        staff=staff,
        description="Professional learning communities that work",
    )
    await make_workshop(
        "Lab safety",
        audiences=("teacher", "classified"),
        subject="Science",
        grade_band="6-8",
        format="hybrid",
        days=20,
        staff=staff,
        facilitators="Dana Whitfield",
    )

    async def shown(query: str) -> list[str]:
        response = await client.get(f"/workshops?{query}")
        assert response.status_code == 200, response.text
        return titles(response.text)

    assert await shown("audience=para-educator") == ["Math for paras"]
    assert await shown("audience=classified") == ["Lab safety"]
    assert await shown("subject=Leadership") == ["Leading PLCs"]
    assert await shown("format=hybrid") == ["Lab safety"]
    # A TK-12 workshop is for every grade, so it shows under any one band.
    assert await shown("grade=3-5") == ["Math for paras", "Leading PLCs"]
    assert await shown("grade=TK-12") == ["Leading PLCs"]
    assert await shown("q=communities") == ["Leading PLCs"]  # the description
    assert await shown("q=WHITFIELD") == ["Lab safety"]  # facilitators, any case
    assert await shown("q=science") == ["Lab safety"]  # the subject
    assert await shown("q=nothing+like+this") == []
    assert await shown("audience=teacher&format=virtual") == []
    start, end = local(10).date(), local(25).date()
    assert await shown(f"from={start.isoformat()}&to={end.isoformat()}") == ["Leading PLCs", "Lab safety"]
    assert await shown(f"from={local(20).date().isoformat()}") == ["Lab safety"]
    assert await shown(f"to={local(5).date().isoformat()}") == ["Math for paras"]  # the whole end day counts


async def test_a_date_range_matches_any_session_of_a_series(client):
    await make_workshop("Three-part series", days=3, sessions=3)  # days 3, 10 and 17
    day = local(10).date().isoformat()
    response = await client.get(f"/workshops?from={day}&to={day}")
    assert titles(response.text) == ["Three-part series"]
    response = await client.get(f"/workshops?from={local(11).date().isoformat()}&to={local(16).date().isoformat()}")
    assert titles(response.text) == []


async def test_seats_state_and_the_seats_available_filter(client):
    staff = await staff_actor()
    roomy = await make_workshop("Roomy", capacity=3, days=5, staff=staff)
    full = await make_workshop("Full house", capacity=2, days=6, staff=staff)
    await make_workshop("Not open yet", days=7, opens=local(2), staff=staff)
    await make_workshop("Closed", days=8, closes=local(-1), staff=staff)
    await _fill(roomy, 2)
    await _fill(full, 3)  # two confirmed, one waiting

    response = await client.get("/workshops")
    states = dict(
        zip(titles(response.text), re.findall(r'<p class="seat-state state-[a-z_]+">([^<]+)</p>', response.text))
    )
    assert states["Roomy"] == "1 seat left"
    assert states["Full house"] == "Full — join the waiting list"
    assert states["Not open yet"].startswith("Registration opens on ")
    assert states["Closed"] == "Registration closed"

    response = await client.get("/workshops?available=1")
    assert titles(response.text) == ["Roomy"]


async def test_people_already_waiting_are_ahead_of_a_free_seat(client):
    """A seat freed by an expired hold goes to the waiting list first, so the catalog says full."""
    offering_id = await make_workshop("Tight", capacity=1, price_cents=1000)
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "SJUSD")
    holder = Actor.from_row(await make_user("attendee", district="SJUSD"))
    held = (await register(holder, offering_id, RegistrationRequest(payer="district"))).registration
    await _fill(offering_id, 1)
    await Registration.update(
        {Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}
    ).where(Registration.id == held["id"])

    response = await client.get("/workshops?available=1")
    assert titles(response.text) == []
    response = await client.get("/workshops")
    assert "Full — join the waiting list" in response.text


async def test_prices_follow_the_viewers_district(client):
    await make_workshop("Paid", price_cents=4500, nonmember_price_cents=6000)
    await District.update({District.is_member: False}).where(District.code == "SJUSD")

    anonymous = await client.get("/workshops")
    assert "$45.00 for member districts, $60.00 for others" in anonymous.text

    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert "$45.00 for Elk Grove Unified" in (await client.get("/workshops")).text

    await signed_in(client, await make_user("attendee", district="SJUSD"))
    assert "$60.00 for San Juan Unified" in (await client.get("/workshops")).text

    await signed_in(client, await make_user("attendee"))  # no district: the other rate
    page = (await client.get("/workshops")).text
    assert "$60.00" in page and "$45.00" not in page


async def test_results_are_paged_in_the_database(client, db):
    staff = await staff_actor()
    for n in range(PAGE_SIZE + 3):
        await make_workshop(f"Workshop {n:02d}", days=5 + n, staff=staff)

    first = await client.get("/workshops")
    assert len(titles(first.text)) == PAGE_SIZE
    assert count_text(first.text) == f"{PAGE_SIZE + 3} workshops found (page 1 of 2)."
    assert 'href="/workshops?page=2"' in first.text
    second = await client.get("/workshops?page=2")
    assert titles(second.text) == [f"Workshop {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert 'href="/workshops"' in second.text  # "Previous page" keeps the URL short
    beyond = await client.get("/workshops?page=9")
    assert titles(beyond.text) == titles(second.text)  # past the end: the last page

    # The use case reads one page only, with the total counted by the database.
    page = await browse_catalog(None, CatalogQuery(page=2))
    assert (page.total, page.pages, len(page.results)) == (PAGE_SIZE + 3, 2, 3)


async def test_bad_filter_values_get_a_clear_message_never_a_500(client):
    await make_workshop("Anything")
    cases = {
        "audience=wizards": "Choose an audience from the list",
        "subject=Alchemy": "Choose a subject from the list.",
        "grade=K-99": "Choose a grade band from the list.",
        "format=hologram": "Choose in person, virtual or hybrid.",
        "from=2026-02-30": "Enter a date like 2026-03-14.",
        "to=next+tuesday": "Enter a date like 2026-03-14.",
        "from=1066-10-14": "between the years 2000 and 2100",
        "from=2027-05-02&to=2027-05-01": "The end date must be on or after the start date.",
        "page=0": "The page number must be a whole number from 1.",
        "page=abc": "The page number must be a whole number from 1.",
        "available=maybe": "Tick the box or leave it empty.",
        "q=" + "x" * 101: "Use at most 100 characters.",
    }
    for query, message in cases.items():
        response = await client.get(f"/workshops?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert message in response.text, query
        assert titles(response.text) == [], query
        assert count_text(response.text) == "Please correct the filters: no workshops are shown."
        if not query.startswith(("page", "available")):
            assert 'aria-invalid="true"' in response.text, query  # the field itself is marked
    # Every wrong filter is reported at once.
    response = await client.get("/workshops?audience=wizards&format=hologram")
    assert "Choose an audience" in response.text and "Choose in person" in response.text


async def test_htmx_gets_the_results_fragment_with_the_count_out_of_band(client):
    await make_workshop("Virtual one", format="virtual")
    await make_workshop("In person one", format="in_person", days=40)

    response = await client.get("/workshops?format=virtual&q=&audience=&page=1", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert titles(response.text) == ["Virtual one"]
    # The count lives outside the swapped region (an aria-live status); htmx updates it out of band.
    assert '<span id="result-count" hx-swap-oob="innerHTML">1 workshop found for these filters.</span>' in response.text
    # The address bar gets the short, shareable form of the filters.
    assert response.headers["hx-push-url"] == "/workshops?format=virtual"

    bad = await client.get("/workshops?format=hologram", headers={"HX-Request": "true"})
    assert bad.status_code == 400
    assert "<html" not in bad.text and "Choose in person, virtual or hybrid." in bad.text
    assert 'hx-swap-oob="innerHTML">Please correct the filters' in bad.text

    # A boosted or history-restore request gets the whole page.
    full = await client.get(
        "/workshops?format=virtual", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in full.text and 'role="status"' in full.text


async def test_the_filter_form_works_without_javascript(client):
    await make_workshop("Fractions", subject="Mathematics")
    response = await client.get("/workshops?subject=Mathematics&available=1")
    html = response.text
    # A plain GET form to /workshops, remembering what was chosen; htmx only enhances it.
    assert re.search(r'<form[^>]*method="get" action="/workshops"', html)
    assert '<option value="Mathematics" selected>' in html
    assert re.search(r'id="f-available" name="available" type="checkbox" value="1" checked', html)
    assert 'hx-push-url="true"' in html and 'hx-target="#results"' in html
    assert re.search(r'<p id="result-count" class="result-count" role="status">', html)
    # The live count is not inside the region htmx swaps.
    assert html.index('id="result-count"') < html.index('<div id="results">')
