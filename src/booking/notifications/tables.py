from __future__ import annotations

from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(Table, tablename="outbox_message"):
    """An email written in the same transaction as the change that causes it.

    The worker claims it (status `sending` with a lease), delivers it, and marks it `sent`.
    Rendered at enqueue time: a message says what was true when it was written.
    """

    message_id = Varchar(length=200, unique=True, required=True)  # RFC 5322 Message-ID, stable across retries
    to_address = Varchar(length=254, required=True)
    subject = Varchar(length=300, required=True)
    body_text = Text(required=True)
    body_html = Text(default="")
    # [{"filename", "content_type", "content_b64", "method"?}]; calendar invites use "method".
    attachments = JSON(default=[])
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # The request (or worker pass) that wrote it: the worker logs it when it delivers, so one id
    # follows a registration from its HTTP request to its email.
    request_id = Varchar(length=80, default="")


class SentNotice(Table, tablename="sent_notice"):
    """A timed notice that went into the outbox, so it is never queued twice.

    `key` names the occasion (e.g. "session_reminder:r42:2026-03-10"); the unique index makes
    a second worker's insert a no-op, in the same transaction as the outbox row.
    """

    kind = Varchar(length=40, required=True, index=True)
    key = Varchar(length=200, required=True, unique=True)
    sent_at = Timestamptz(default=TimestamptzNow())


class WorkerHeartbeat(Table, tablename="worker_heartbeat"):
    """Each running worker's sign of life, written every few seconds; /readyz reads the newest.

    A worker that stops cleanly removes its row; one that dies leaves a row that ages.
    """

    worker = Varchar(length=200, unique=True, required=True)  # host:pid:random, unique per run
    started_at = Timestamptz(default=TimestamptzNow())
    beat_at = Timestamptz(default=TimestamptzNow(), index=True)
