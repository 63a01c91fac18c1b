"""The Sly Park week request's one lifecycle (issue 13, item 1): every move outside the table is refused and
changes nothing, a stale read changes nothing, and no other module writes the status. On both engines."""

from __future__ import annotations

import pathlib
import re

import pytest

from booking.clock import utc_now
from booking.errors import Conflict
from booking.slypark.request_lifecycle import ALLOWED, LABELS, RequestStatus, current_request, move_request
from booking.slypark.tables import REQUEST_STATUSES, WeekRequest
from tests.slypark.slypark_factory import coordinator, make_school, make_season, request_week
from tests.workshop_factory import staff_actor

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "booking"


def test_the_enum_keeps_the_stored_strings_and_every_status_has_a_label_and_a_row():
    assert tuple(status.value for status in RequestStatus) == REQUEST_STATUSES
    assert set(LABELS) == set(RequestStatus) == set(ALLOWED)


async def test_every_move_outside_the_table_is_refused_and_every_allowed_one_is_made(db):
    season = await make_season(await staff_actor(), weeks=2)
    request_id = await request_week(
        await coordinator("EGUSD"), season, await make_school("EGUSD", "Echo"), season["weeks"]
    )
    for from_status in RequestStatus:
        await WeekRequest.update({WeekRequest.status: from_status.value}).where(WeekRequest.id == request_id)
        before = await WeekRequest.select().where(WeekRequest.id == request_id).first()
        for to_status in RequestStatus:
            if to_status in ALLOWED[from_status]:
                await move_request(before, to_status, utc_now())
                assert (await current_request(request_id))["status"] == to_status.value
                await WeekRequest.update({WeekRequest.status: from_status.value}).where(WeekRequest.id == request_id)
                before = await WeekRequest.select().where(WeekRequest.id == request_id).first()
            else:
                with pytest.raises(Conflict) as refused:
                    await move_request(before, to_status, utc_now())
                assert refused.value.code == "request_transition_not_allowed"
                assert await WeekRequest.select().where(WeekRequest.id == request_id).first() == before


async def test_a_move_decided_on_a_stale_read_changes_nothing(db):
    season = await make_season(await staff_actor(), weeks=1)
    request_id = await request_week(
        await coordinator("EGUSD"), season, await make_school("EGUSD", "Echo"), season["weeks"]
    )
    read = await current_request(request_id)  # submitted
    await WeekRequest.update({WeekRequest.status: "withdrawn"}).where(WeekRequest.id == request_id)
    with pytest.raises(Conflict) as refused:
        await move_request(read, RequestStatus.OFFERED, utc_now())
    assert refused.value.code == "request_changed"
    assert (await current_request(request_id))["status"] == "withdrawn"


def test_only_the_lifecycle_module_writes_a_requests_status():
    writers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bWeekRequest\.status\s*:", path.read_text())
    )
    assert writers == ["slypark/request_lifecycle.py"]
