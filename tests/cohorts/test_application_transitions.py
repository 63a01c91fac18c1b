"""The cohort application's one lifecycle (issue 13, item 1): every move outside the table is refused and changes
nothing, a move decided on a stale read changes nothing, the use cases go through it, and no other module
writes the status. On both engines."""

from __future__ import annotations

import itertools
import pathlib
import re

import pytest

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.cohorts import review
from booking.cohorts.application_lifecycle import ALLOWED, LABELS, ApplicationStatus, move_application
from booking.cohorts.tables import APPLICATION_STATUSES, CohortApplication
from booking.db import write_transaction
from booking.errors import Conflict
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.factories import make_user

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "booking"


def test_the_enum_keeps_the_stored_strings_and_every_status_has_a_label_and_a_row():
    assert tuple(status.value for status in ApplicationStatus) == APPLICATION_STATUSES
    assert set(LABELS) == set(ApplicationStatus) == set(ALLOWED)
    assert not ALLOWED[ApplicationStatus.DECLINED] and not ALLOWED[ApplicationStatus.WITHDRAWN]  # final


async def _application_in(status: ApplicationStatus) -> dict:
    """A real application (made by the use cases), then put in `status` as stored data, to try each move from it."""
    staff = Actor.from_row(await make_user("staff"))
    cohort = await make_cohort(staff, title=f"Cohort {status.value}")
    _, application = await submitted_applicant(cohort)
    await CohortApplication.update({CohortApplication.status: status.value}).where(
        CohortApplication.id == application["id"]
    )
    return await CohortApplication.select().where(CohortApplication.id == application["id"]).first()


async def test_every_move_outside_the_table_is_refused_and_changes_nothing(db):
    pairs = [(a, b) for a, b in itertools.product(ApplicationStatus, repeat=2) if b not in ALLOWED[a]]
    assert len(pairs) > 20
    for from_status in ApplicationStatus:
        application = await _application_in(from_status)
        for to_status in [b for a, b in pairs if a == from_status]:
            with pytest.raises(Conflict) as refused:
                async with write_transaction():
                    await move_application(application, to_status, utc_now())
            assert refused.value.code == "application_transition_not_allowed"
            stored = await CohortApplication.select().where(CohortApplication.id == application["id"]).first()
            assert stored == application
        for to_status in ALLOWED[from_status]:  # and every allowed move is made
            async with write_transaction():
                await move_application(application, to_status, utc_now())
            stored = (
                await CohortApplication.select(CohortApplication.status)
                .where(CohortApplication.id == application["id"])
                .first()
            )
            assert stored["status"] == to_status.value
            await CohortApplication.update({CohortApplication.status: from_status.value}).where(
                CohortApplication.id == application["id"]
            )


async def test_a_move_decided_on_a_stale_read_changes_nothing(db):
    application = await _application_in(ApplicationStatus.SUBMITTED)
    await CohortApplication.update({CohortApplication.status: "withdrawn"}).where(
        CohortApplication.id == application["id"]
    )
    with pytest.raises(Conflict) as refused:
        async with write_transaction():
            await move_application(application, ApplicationStatus.ACCEPTED, utc_now())  # read as submitted: too late
    assert refused.value.code == "application_changed"
    assert (
        await CohortApplication.select(CohortApplication.status)
        .where(CohortApplication.id == application["id"])
        .first()
    )["status"] == "withdrawn"


async def test_the_use_cases_refuse_a_move_the_lifecycle_forbids(db):
    staff = Actor.from_row(await make_user("staff"))
    cohort = await make_cohort(staff)
    person, application = await submitted_applicant(cohort)
    await review.decline(staff, application["id"], "Not this year")
    for attempt in (
        review.accept(staff, application["id"]),
        review.waitlist(staff, application["id"]),
        review.withdraw(person, application["id"]),
        review.start_review(staff, application["id"]),
    ):
        with pytest.raises(Conflict):
            await attempt
    assert (
        await CohortApplication.select(CohortApplication.status)
        .where(CohortApplication.id == application["id"])
        .first()
    )["status"] == "declined"


def test_only_the_lifecycle_module_writes_an_applications_status():
    writers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"CohortApplication\.status\s*:", path.read_text())
    )
    assert writers == ["cohorts/application_lifecycle.py"]
