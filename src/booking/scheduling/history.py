"""Every change of a registration's state is recorded, with who did it and why."""

from __future__ import annotations

from booking.db import insert_row
from booking.scheduling.tables import RegistrationEvent


async def record(
    registration_id: int,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    actor_id: int | None = None,
    note: str = "",
) -> None:
    await insert_row(
        RegistrationEvent,
        {
            # str(): a RegistrationStatus is stored as its plain value
            "registration": registration_id,
            "kind": kind,
            "from_status": str(from_status),
            "to_status": str(to_status),
            "actor": actor_id,
            "note": note[:2000],
        },
    )
