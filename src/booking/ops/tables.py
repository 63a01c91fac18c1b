from __future__ import annotations

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

BACKUP_KINDS = ("scheduled", "manual")
BACKUP_STATUSES = ("running", "succeeded", "failed")


class BackupRun(Table, tablename="backup_run"):
    """One backup: a scheduled one taken by the worker, or one taken with `booking backup`.

    A scheduled backup is claimed through its unique `slot` (the local date it is for), so of
    several workers only one takes it; a failed one is claimed again, by a conditional update,
    after a pause. /metrics reports the age of the newest success of each kind.
    """

    kind = Varchar(length=20, required=True)
    slot = Varchar(length=80, unique=True, required=True)
    status = Varchar(length=20, required=True, index=True)
    attempts = Integer(default=1)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    host = Varchar(length=200, default="")  # the machine whose disk holds the files
    path = Text(default="")
    size_bytes = BigInt(default=0)
    error = Text(default="")
