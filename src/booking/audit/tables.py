"""The audit trail: who did what to sensitive data and money, when, and from where.

Rows are only ever added: the database refuses UPDATE and DELETE on them (triggers in the
migration), so not even the app can rewrite the trail.
"""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Plain numbers, not foreign keys: the trail outlives whatever it names.
    actor_id = Integer(null=True, default=None, index=True)
    actor_email = Varchar(length=254, default="")  # as it was at the time
    client_address = Varchar(length=64, default="")
    request_id = Varchar(length=64, default="")
    kind = Varchar(length=40, required=True, index=True)
    subject = Varchar(length=200, default="")
    district_id = Integer(null=True, default=None, index=True)
    detail = Text(default="{}")  # a short JSON object
