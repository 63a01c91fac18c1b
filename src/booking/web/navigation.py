"""The navigation depends on the role; one list, so every page shows the same menu."""

from __future__ import annotations

from dataclasses import dataclass

from booking.accounts.actor import Actor


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[str] | None = None  # None: everyone signed in or not
    signed_in: bool = False


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Workshops", "/workshops"),
    NavItem("Cohorts", "/cohorts"),
    NavItem("My learning", "/my/learning", signed_in=True),
    NavItem("District staff", "/district/people", roles=frozenset({"coordinator"})),
    NavItem("Approvals", "/district/approvals", roles=frozenset({"coordinator"})),
    NavItem("Sly Park", "/slypark", roles=frozenset({"coordinator"})),
    NavItem("Invoices", "/district/invoices", roles=frozenset({"coordinator"})),
    NavItem("Sly Park", "/staff/slypark", roles=frozenset({"staff", "admin"})),
    NavItem("Manage catalog", "/staff/offerings", roles=frozenset({"staff", "admin"})),
    NavItem("Finance", "/finance", roles=frozenset({"finance", "admin"})),
    NavItem("Scholarships", "/staff/slypark/scholarships", roles=frozenset({"finance"})),
    NavItem("Card payments", "/finance/card-payments", roles=frozenset({"finance", "staff", "admin"})),
    NavItem("People", "/admin/users", roles=frozenset({"admin"})),
    NavItem("Districts", "/admin/districts", roles=frozenset({"admin"})),
    NavItem("Audit log", "/admin/audit", roles=frozenset({"admin"})),
    NavItem("District sign-in", "/admin/sign-in", roles=frozenset({"admin"})),
    NavItem("My account", "/account", signed_in=True),
]


def nav_for(actor: Actor | None) -> list[NavItem]:
    items = []
    for item in NAV_ITEMS:
        if item.roles is not None and (actor is None or actor.role not in item.roles):
            continue
        if item.signed_in and actor is None:
            continue
        items.append(item)
    return items


def is_current(item: NavItem, path: str) -> bool:
    if item.href == "/":
        return path == "/"
    return path == item.href or path.startswith(item.href + "/")


def current_flags(items: list[NavItem], path: str) -> list[tuple[NavItem, bool]]:
    """Mark one item current: the one with the longest matching link (/finance/card-payments, not /finance)."""
    matching = [item for item in items if is_current(item, path)]
    best = max(matching, key=lambda item: len(item.href)) if matching else None
    return [(item, item is best) for item in items]
