"""One-click Google and Outlook links on the workshop page carry each session's exact UTC times."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

from booking.catalog.offerings import create_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from tests.workshop_factory import staff_actor


async def test_each_session_gets_google_and_outlook_links_in_utc_across_the_november_change(client):
    # 31 Oct 2026 is daylight time (UTC-7); 2 Nov 2026 is standard time (UTC-8).
    before = dt.datetime(2026, 10, 31, 9, 0, tzinfo=LOCAL_TZ)
    after = dt.datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ)
    offering_id = await create_offering(
        await staff_actor(),
        OfferingInput(
            title="Fall & Winter Math",
            capacity=20,
            status="published",
            sessions=[
                SessionInput(before, before + dt.timedelta(hours=3), online_url="https://zoom.us/j/1"),
                SessionInput(after, after + dt.timedelta(hours=2), location_note="Library"),
            ],
        ),
    )
    page = (await client.get(f"/workshops/{offering_id}")).text
    google = [
        html_lib.unescape(u) for u in re.findall(r'href="(https://calendar\.google\.com/calendar/render\?[^"]+)"', page)
    ]
    outlook = [
        html_lib.unescape(u)
        for u in re.findall(r'href="(https://outlook\.live\.com/calendar/0/deeplink/compose\?[^"]+)"', page)
    ]
    assert len(google) == len(outlook) == 2
    first, second = (parse_qs(urlsplit(url).query) for url in google)
    assert first["dates"] == ["20261031T160000Z/20261031T190000Z"]
    assert second["dates"] == ["20261102T170000Z/20261102T190000Z"]
    assert first["text"] == ["Fall & Winter Math (session 1 of 2)"] and first["action"] == ["TEMPLATE"]
    assert "Join online: https://zoom.us/j/1" in first["details"][0]
    assert f"http://testserver.local/workshops/{offering_id}" in first["details"][0]
    assert second["location"] == ["Library"]
    first_outlook = parse_qs(urlsplit(outlook[0]).query)
    assert (first_outlook["startdt"], first_outlook["enddt"]) == (["2026-10-31T16:00:00Z"], ["2026-10-31T19:00:00Z"])
    assert first_outlook["subject"] == ["Fall & Winter Math (session 1 of 2)"] and first_outlook["rru"] == ["addevent"]
