"""Coordinators and staff register many people at once from a pasted list.

Every line is checked first; if any line is malformed, nothing is registered and each bad
line is reported by its number. Then each person is registered on their own (one
`register()` call, one transaction each), so one refusal (say, someone of another
district) does not undo the others; the report says what happened line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.accounts.users import validate_email, validate_name
from booking.catalog.offerings import get_offering
from booking.clock import format_local
from booking.errors import Busy, Conflict, DomainError, InvalidInput
from booking.scheduling.registration import PO_NUMBER_MAX, RegistrationRequest, register
from booking.scheduling.registration_lifecycle import S

MAX_LINES = 200
MAX_TEXT = 40_000
# "Ana Ruiz <ana.ruiz@egusd.net>", "\"Ruiz, Ana\" <ana.ruiz@egusd.net>" or "<ana.ruiz@egusd.net>"
_NAME_AND_EMAIL = re.compile(r"^(?P<name>[^<>]*)<(?P<email>[^<>]*)>$")


@dataclass
class PastedPerson:
    line: int
    email: str
    name: str | None


@dataclass
class LineProblem:
    line: int
    text: str
    message: str


class InvalidLines(InvalidInput):
    """Some pasted lines are malformed; nothing was registered."""

    def __init__(self, problems: list[LineProblem]):
        self.problems = problems
        count = len(problems)
        super().__init__(
            {
                "people": f"{count} line{'' if count == 1 else 's'} need{'s' if count == 1 else ''} fixing. Nobody was registered."
            }
        )


@dataclass
class LineOutcome:
    line: int
    email: str
    name: str
    result: str  # registered | pending_approval | waitlisted | already_registered | duplicate | refused
    message: str
    registration_id: int | None = None
    account_created: bool = False


@dataclass
class BulkReport:
    outcomes: list[LineOutcome] = field(default_factory=list)

    def count(self, *results: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result in results)


def parse_line(text: str) -> tuple[str, str | None]:
    """One person from one line: their email, and their name if given. Raises InvalidInput."""
    cleaned = text.strip().rstrip(",;").strip()
    match = _NAME_AND_EMAIL.match(cleaned)
    if match:
        name = match["name"].strip().strip('"').strip() or None
        email = match["email"].strip()
    else:
        if any(ch.isspace() for ch in cleaned) or cleaned.count("@") != 1:
            raise InvalidInput(
                {
                    "people": "Write one person per line: an email address, or a name and email like Ana Ruiz <ana.ruiz@district.org>."
                }
            )
        name, email = None, cleaned
    email = validate_email(email, "people")
    if name is not None:
        name = validate_name(name, "people")
    return email, name


async def parse_people(text: str) -> list[PastedPerson]:
    """Every line checked at once; raises InvalidLines listing each bad line."""
    if len(text) > MAX_TEXT:
        raise InvalidInput({"people": f"The list is too long; paste at most {MAX_LINES} people at a time."})
    people: list[PastedPerson] = []
    problems: list[LineProblem] = []
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            email, name = parse_line(raw)
        except InvalidInput as error:
            problems.append(LineProblem(number, raw.strip()[:200], error.field_errors["people"]))
            continue
        people.append(PastedPerson(number, email, name))
    if not people and not problems:
        raise InvalidInput({"people": "Paste at least one email address, one person per line."})
    if len(people) + len(problems) > MAX_LINES:
        raise InvalidInput({"people": f"Paste at most {MAX_LINES} people at a time."})
    # Someone new to the platform gets an account, which needs their name.
    unnamed = [p for p in people if p.name is None]
    if unnamed:
        known = {
            row["email"] for row in await User.select(User.email).where(User.email.is_in([p.email for p in unnamed]))
        }
        for person in unnamed:
            if person.email not in known:
                problems.append(
                    LineProblem(
                        person.line,
                        person.email,
                        f"{person.email} has no account yet. Add their name so one can be made: Full Name <{person.email}>.",
                    )
                )
    if problems:
        raise InvalidLines(sorted(problems, key=lambda p: p.line))
    return people


def _refusal(error: DomainError) -> str:
    if isinstance(error, InvalidInput) and "payer" in error.field_errors:
        return "Refused: this person belongs to no district, so there is no district to bill the fee to."
    if isinstance(error, InvalidInput):
        return "Refused: " + " ".join(error.field_errors.values())
    if isinstance(error, Busy):
        return "Not registered: the system was busy. Please try this person again."
    return f"Refused: {error.message}"


async def register_many(actor: Actor, offering_id: int, text: str, po_number: str = "") -> BulkReport:
    actor.require(("staff", "coordinator"), "Only staff and district coordinators register other people.")
    offering = await get_offering(actor, offering_id)  # 404 before anything else
    po_number = " ".join((po_number or "").split())
    if len(po_number) > PO_NUMBER_MAX:
        raise InvalidInput({"po_number": f"A PO number has at most {PO_NUMBER_MAX} characters."})
    people = await parse_people(text or "")
    has_fee = offering["price_cents"] > 0 or (offering["nonmember_price_cents"] or 0) > 0
    report = BulkReport()
    seen: dict[str, int] = {}
    for person in people:
        if person.email in seen:
            report.outcomes.append(
                LineOutcome(
                    person.line,
                    person.email,
                    person.name or "",
                    "duplicate",
                    f"Listed already on line {seen[person.email]}.",
                )
            )
            continue
        seen[person.email] = person.line
        request = RegistrationRequest(
            attendee_email=person.email,
            attendee_name=person.name,
            payer="district" if has_fee else None,
            po_number=po_number,
        )
        try:
            outcome = await register(actor, offering_id, request)
        except Conflict as error:
            if error.code == "already_registered":
                report.outcomes.append(
                    LineOutcome(
                        person.line,
                        person.email,
                        person.name or "",
                        "already_registered",
                        "Already registered for this workshop.",
                    )
                )
            else:
                report.outcomes.append(
                    LineOutcome(person.line, person.email, person.name or "", "refused", _refusal(error))
                )
            continue
        except DomainError as error:
            report.outcomes.append(
                LineOutcome(person.line, person.email, person.name or "", "refused", _refusal(error))
            )
            continue
        registration = outcome.registration
        status = registration["status"]
        if status == S.CONFIRMED:
            result, message = "registered", "Registered: seat confirmed."
        elif status == S.WAITLISTED:
            result, message = "waitlisted", f"On the waiting list, at position {outcome.waitlist_position}."
        elif status == S.PENDING_APPROVAL:
            result = "pending_approval"
            message = (
                f"Seat held until {format_local(registration['hold_expires_at'])}, waiting for the district's approval."
            )
        else:
            result, message = "registered", f"Registered ({status.replace('_', ' ')})."
        if outcome.account_created:
            message += " A new account was made and they were emailed."
        name = person.name or ""
        report.outcomes.append(
            LineOutcome(person.line, person.email, name, result, message, registration["id"], outcome.account_created)
        )
    return report
