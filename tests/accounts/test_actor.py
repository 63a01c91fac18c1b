"""Actor.require: one role check for every use case, each keeping its own words."""

from __future__ import annotations

import pytest

from booking.accounts.actor import Actor
from booking.errors import Forbidden

ROLES = ("attendee", "coordinator", "staff", "finance", "admin")


def person(role: str) -> Actor:
    return Actor(1, f"{role}@example.org", role.title(), role, None, None)


@pytest.mark.parametrize(
    ("wanted", "allowed"),
    [
        ("staff", {"staff", "admin"}),
        ("finance", {"finance", "admin"}),
        ("admin", {"admin"}),
        ("coordinator", {"coordinator"}),
        (("staff", "coordinator"), {"staff", "admin", "coordinator"}),
        (("finance", "staff"), {"finance", "staff", "admin"}),
        (("admin", "coordinator"), {"admin", "coordinator"}),
    ],
)
def test_require_lets_the_roles_through_and_forbids_the_rest_with_the_callers_message(wanted, allowed):
    for role in ROLES:
        actor = person(role)
        if role in allowed:
            actor.require(wanted, "Only SCOE program staff manage the catalog.")
            assert actor.has_role(wanted)
        else:
            with pytest.raises(Forbidden) as refused:
                actor.require(wanted, "Only SCOE program staff manage the catalog.")
            assert refused.value.message == "Only SCOE program staff manage the catalog."
            assert not actor.has_role(wanted)


def test_the_groups_agree_with_the_properties():
    for role in ROLES:
        actor = person(role)
        assert actor.has_role("staff") == actor.is_staff and actor.has_role("finance") == actor.is_finance
        assert actor.has_role("admin") == actor.is_admin and actor.has_role("coordinator") == actor.is_coordinator


def test_nobody_signed_in_is_refused_with_the_same_words():
    with pytest.raises(Forbidden) as refused:
        Actor.require(None, "staff", "Only SCOE program staff manage cohort programs.")
    assert refused.value.message == "Only SCOE program staff manage cohort programs."
    Actor.require(person("admin"), "staff", "unused")
