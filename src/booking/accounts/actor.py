"""Who is asking: the signed-in person (or nobody), as use cases see them."""

from __future__ import annotations

from dataclasses import dataclass

STAFF_ROLES = frozenset({"staff", "admin"})
FINANCE_ROLES = frozenset({"finance", "admin"})


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

    @classmethod
    def from_row(cls, row: dict) -> "Actor":
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            role=row["role"],
            district_id=row.get("district"),
            school_id=row.get("school"),
        )
