"""Sly Park's periodic jobs (see booking.notifications.jobs)."""

import datetime as dt

from booking.notifications.jobs import periodic
from booking.slypark.charges import bill_balances
from booking.slypark.offers import expire_offers
from booking.slypark.student_data_purge import purge_student_notes


async def offers_and_balances(now: dt.datetime) -> None:
    """Lapsed offers recorded as released; balances billed once past each freeze date."""
    await expire_offers(now)
    await bill_balances(now)


async def purge_old_student_notes(now: dt.datetime) -> None:
    """Students' medical and dietary notes of weeks long over are not kept."""
    await purge_student_notes(now=now)


periodic("Sly Park pass", offers_and_balances)
periodic("student data purge", purge_old_student_notes)
