"""Who is asking: the signed-in person (or nobody), as use cases see them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from booking.accounts.rows import PersonRow
from booking.errors import Forbidden

STAFF_ROLES = frozenset({"staff", "admin"})
FINANCE_ROLES = frozenset({"finance", "admin"})
# A name in Actor.require stands for these roles; any other name for itself ("coordinator", "admin").
ROLE_GROUPS = {"staff": STAFF_ROLES, "finance": FINANCE_ROLES}


@dataclass(frozen=True)
class Actor:
    id: int
    email: str
    name: str
    role: str
    district_id: int | None
    school_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """SCOE program staff; admin may do everything staff may."""
        return self.role in STAFF_ROLES

    @property
    def is_finance(self) -> bool:
        return self.role in FINANCE_ROLES

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator"

    @property
    def sees_all_districts(self) -> bool:
        return self.role in {"staff", "finance", "admin"}

    def has_role(self, roles: str | Iterable[str]) -> bool:
        """One of `roles`: "staff" and "finance" include admin (as is_staff and is_finance do)."""
        names = (roles,) if isinstance(roles, str) else tuple(roles)
        return any(self.role in ROLE_GROUPS.get(name, (name,)) for name in names)

    def require(self: Actor | None, roles: str | Iterable[str], message: str) -> None:
        """Forbidden(message) unless the actor has one of `roles`:
        `actor.require("staff", "Only SCOE program staff manage the catalog.")`,
        `actor.require(("staff", "finance"), "...")`. Each use case keeps its own words.
        Where nobody may be signed in, call it on the class: `Actor.require(actor, "staff", ...)` (None is refused)."""
        if self is None or not self.has_role(roles):
            raise Forbidden(message)

    @classmethod
    def from_joined(cls, row: dict) -> Actor | None:
        """From a row selected with PERSON_COLUMNS_SQL; None for a deactivated person."""
        if not row["person_is_active"]:
            return None
        return cls(
            row["person_id"],
            row["person_email"],
            row["person_name"],
            row["person_role"],
            row["person_district"],
            row["person_school"],
        )

    @classmethod
    def from_row(cls, row: PersonRow) -> Actor:
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            role=row["role"],
            district_id=row.get("district"),
            school_id=row.get("school"),
        )


# The same columns in SQL, for the lookups every signed-in request makes (a session, an API token): written
# once instead of built by the query builder each time, which cost four times the same SQL (benchmarks/query_cost.py).
# `person` is the alias of app_user in the query that uses it.
PERSON_COLUMNS_SQL = (
    "person.id AS person_id, person.email AS person_email, person.name AS person_name, "
    "person.role AS person_role, person.district AS person_district, person.school AS person_school, "
    "person.is_active AS person_is_active"
)
