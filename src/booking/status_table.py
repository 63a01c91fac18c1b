"""The allowed moves of one stateful thing, shared by its small lifecycle module.

Each lifecycle (card payments, charge lines, cohort applications, Sly Park bookings and requests) has its
statuses as an enum, their labels and the moves its table allows; this holds the checking and the refusal,
so they read and answer alike. How a move is written (which columns, which history) stays with each module.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from booking.errors import Conflict

Status = TypeVar("Status", bound=StrEnum)


class StatusTable(Generic[Status]):
    def __init__(
        self,
        statuses: type[Status],
        labels: Mapping[Status, str],
        allowed: Mapping[Status, frozenset[Status]],
        *,
        thing: str,
        code: str,
    ) -> None:
        self.statuses = statuses
        self.labels = labels
        self.allowed = allowed
        self.thing = thing  # with its article, as a sentence starts: "A card payment", "An application"
        self.code = code

    def may_move(self, from_status: str, to_status: str) -> bool:
        return self.statuses(to_status) in self.allowed[self.statuses(from_status)]

    def refuse_unless_allowed(self, from_status: str, to_status: str) -> None:
        """Raise the Conflict that names both statuses when the table does not allow the move."""
        if not self.may_move(from_status, to_status):
            raise Conflict(
                f"{self.thing} that is {self.labels[self.statuses(from_status)].lower()} cannot become "
                f"{self.labels[self.statuses(to_status)].lower()}.",
                code=self.code,
            )
