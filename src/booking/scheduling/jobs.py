"""Scheduling's periodic jobs (see booking.notifications.jobs)."""

from booking.notifications.jobs import periodic
from booking.scheduling.hold_sweeper import sweep_expired_holds
from booking.scheduling.reminders import CHECK_EVERY_SECONDS, send_due_reminders

# Timed notices first, so the pass that queues them delivers them.
periodic("reminder pass", send_due_reminders, every=CHECK_EVERY_SECONDS)
# Lapsed holds: the seat goes to the next person waiting now, not at the next registration.
periodic("hold sweep", sweep_expired_holds)
