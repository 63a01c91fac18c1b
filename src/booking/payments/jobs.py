"""Payments' periodic jobs (see booking.notifications.jobs)."""

import datetime as dt

from booking.notifications.jobs import periodic
from booking.payments.refunds import submit_requested_refunds


async def resubmit_refunds(now: dt.datetime) -> None:
    """Refunds recorded but not yet accepted by Stripe (it was unreachable): send them again."""
    await submit_requested_refunds()


periodic("refund pass", resubmit_refunds)
