"""Ops' worker jobs (see booking.notifications.jobs)."""

from booking.notifications.jobs import companion
from booking.ops.scheduled_backups import BackupScheduler

# Takes the daily backup when BOOKING_BACKUP_DIR is set.
companion("daily backup", BackupScheduler)
