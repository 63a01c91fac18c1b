"""The family health and permission form: what a parent fills in from their child's private link.

Every submission is a new version (FamilyForm rows are never updated): the latest is in force, the
earlier ones show what the family corrected. A family may correct its form until the booking's
headcount freeze; after that the form is read-only (the nurse and the cabin lists are being prepared),
although a family that has sent nothing yet may still send it while the link works.

Messages are English msgids marked with N_(): the family's page translates them (booking.i18n).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields

from booking.audit.trail import record_by
from booking.clock import LOCAL_TZ, utc_now
from booking.db import json_column, lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput
from booking.fields import text_problem
from booking.i18n import N_
from booking.slypark.bookings import freeze_date
from booking.slypark.family_links import link_for_token
from booking.slypark.seasons import get_season
from booking.slypark.tables import Booking, FamilyForm

FORM_VERSION = "2027-1"  # the wording of the permissions the parent signs; change it when the wording changes
CONTACTS = 2
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "gender": 10,
    "date_of_birth": 10,
    "allergies": 1000,
    "dietary_needs": 500,
    "medications": 2000,
    "conditions": 2000,
    "permission_to_treat": 10,
    "permission_photos": 10,
    "parent_name": 200,
    "relationship": 60,
    "signature": 200,
    **{
        f"contact_{part}_{n}": limit
        for n in range(1, CONTACTS + 1)
        for part, limit in (("name", 200), ("relationship", 60), ("phone", 40))
    },
}
MULTILINE = ("allergies", "dietary_needs", "medications", "conditions")
PHONE = re.compile(r"[0-9+().\- x]+")
TOO_LONG = N_("Too long: use at most %(limit)s characters.")


@dataclass(frozen=True)
class FormInput:
    first_name: str = ""
    last_name: str = ""
    gender: str = ""
    date_of_birth: str = ""
    allergies: str = ""
    dietary_needs: str = ""
    medications: str = ""
    conditions: str = ""
    contact_name_1: str = ""
    contact_relationship_1: str = ""
    contact_phone_1: str = ""
    contact_name_2: str = ""
    contact_relationship_2: str = ""
    contact_phone_2: str = ""
    permission_to_treat: str = ""
    permission_photos: str = ""
    parent_name: str = ""
    relationship: str = ""
    signature: str = ""


FORM_FIELDS = tuple(f.name for f in fields(FormInput))


def check_form(data: FormInput, *, today: dt.date) -> tuple[dict, dict[str, str]]:
    """(clean values, errors by field). Errors are msgids; `limits` for "too long" go in as %(limit)s."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name in FORM_FIELDS:
        raw = getattr(data, name)
        value = raw.strip() if name in MULTILINE else " ".join(raw.split())
        if text_problem(value, multiline=name in MULTILINE):
            errors[name] = N_("This contains characters that cannot be stored.")
        elif len(value) > LIMITS[name]:
            errors[name] = TOO_LONG
        clean[name] = value
    for name, message in (
        ("first_name", N_("Enter your child's first name.")),
        ("last_name", N_("Enter your child's last name.")),
        ("parent_name", N_("Enter your name.")),
        ("relationship", N_("Enter how you are related to the child (for example: mother).")),
        ("contact_name_1", N_("Enter the name of someone we can call in an emergency.")),
        ("contact_phone_1", N_("Enter a phone number for this emergency contact.")),
    ):
        if not clean[name] and name not in errors:
            errors[name] = message
    if clean["gender"] not in ("boy", "girl"):
        errors["gender"] = N_("Choose boy or girl: cabins are for boys or for girls.")
    try:
        born = (
            dt.date.fromisoformat(clean["date_of_birth"])
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", clean["date_of_birth"])
            else None
        )
    except ValueError:
        born = None
    if born is None:
        errors["date_of_birth"] = N_("Enter the date of birth (year, month and day).")
    elif not today.replace(year=today.year - 20) <= born <= today.replace(year=today.year - 5):
        errors["date_of_birth"] = N_("Check the date of birth: a student at outdoor school is 5 to 20 years old.")
    clean["date_of_birth"] = born
    contacts = []
    for number in range(1, CONTACTS + 1):
        name, relationship, phone = (
            clean[f"contact_name_{number}"],
            clean[f"contact_relationship_{number}"],
            clean[f"contact_phone_{number}"],
        )
        if not (name or relationship or phone):
            continue
        if not name and f"contact_name_{number}" not in errors:
            errors[f"contact_name_{number}"] = N_("Enter this contact's name.")
        if f"contact_phone_{number}" in errors:
            pass
        elif not phone:
            errors[f"contact_phone_{number}"] = N_("Enter a phone number for this emergency contact.")
        elif not PHONE.fullmatch(phone) or len(re.sub(r"\D", "", phone)) < 10:
            errors[f"contact_phone_{number}"] = N_("Enter a phone number with its area code, like 530-555-0123.")
        contacts.append({"name": name, "relationship": relationship, "phone": phone})
    clean["contacts"] = contacts
    for name in ("permission_to_treat", "permission_photos"):
        if clean[name] not in ("yes", "no"):
            errors[name] = N_("Choose yes or no.")
        clean[name] = clean[name] == "yes"
    if not clean["signature"]:
        errors["signature"] = N_("Type your full name to sign the form.")
    elif (
        clean["parent_name"]
        and clean["signature"].casefold() != clean["parent_name"].casefold()
        and "signature" not in errors
    ):
        errors["signature"] = N_("Type your name exactly as you wrote it above to sign.")
    return clean, errors


async def _freeze_of(booking: dict) -> dt.date:
    return freeze_date(await get_season(booking["season"]), booking["starts_on"])


def is_read_only(freeze: dt.date, now: dt.datetime, has_form: bool) -> bool:
    return has_form and now.astimezone(LOCAL_TZ).date() >= freeze


async def versions_of(booking_id: int, key: str) -> list[dict]:
    rows = (
        await FamilyForm.select()
        .where((FamilyForm.booking == booking_id) & (FamilyForm.student_key == key))
        .order_by(FamilyForm.version)
    )
    for row in rows:
        row["contacts"] = json_column(row["contacts"], "[]")
    return rows


@dataclass
class FamilyPage:
    link: dict
    booking: dict
    freeze: dt.date
    latest: dict | None
    read_only: bool


async def form_for_token(token: str, now: dt.datetime | None = None) -> FamilyPage:
    """What the family sees: their child's latest form (or none yet), and whether it can still change."""
    now = now or utc_now()
    link, booking = await link_for_token(token, now)
    versions = await versions_of(booking["id"], link["student_key"])
    freeze = await _freeze_of(booking)
    latest = versions[-1] if versions else None
    return FamilyPage(link, booking, freeze, latest, is_read_only(freeze, now, latest is not None))


async def submit_form(token: str, data: FormInput, *, language: str, now: dt.datetime | None = None) -> dict:
    """Keep a new version of the form. InvalidInput (msgids by field) and nothing stored when a field is wrong;
    Conflict once the headcount freeze has passed and the family already sent the form."""
    now = now or utc_now()
    async with write_transaction():
        link, booking = await link_for_token(token, now)
        await lock_rows_for_update(Booking, Booking.id == booking["id"])
        link, booking = await link_for_token(token, now)  # again, under the lock: a reissue may have won
        versions = await FamilyForm.select(FamilyForm.version).where(
            (FamilyForm.booking == booking["id"]) & (FamilyForm.student_key == link["student_key"])
        )
        if is_read_only(await _freeze_of(booking), now, bool(versions)):
            raise Conflict(
                N_(
                    "The form can no longer be changed: the school's numbers for the week are final. "
                    "Please call the school with any change."
                ),
                code="family_form_frozen",
            )
        clean, errors = check_form(data, today=now.astimezone(LOCAL_TZ).date())
        if errors:
            raise InvalidInput(errors, message=N_("Some answers need your attention. Nothing was saved yet."))
        values = {
            name: clean[name]
            for name in (
                "first_name",
                "last_name",
                "gender",
                "date_of_birth",
                "allergies",
                "dietary_needs",
                "medications",
                "conditions",
                "permission_to_treat",
                "permission_photos",
                "parent_name",
                "relationship",
                "signature",
            )
        }
        row = (
            await FamilyForm.insert(
                FamilyForm(
                    booking=booking["id"],
                    student_key=link["student_key"],
                    link=link["id"],
                    version=max((v["version"] for v in versions), default=0) + 1,
                    form_version=FORM_VERSION,
                    language=language,
                    contacts=json.dumps(clean["contacts"]),
                    signed_on=now.astimezone(LOCAL_TZ).date(),
                    submitted_at=now,
                    **values,
                )
            ).returning(FamilyForm.id, FamilyForm.version)
        )[0]
    return row


async def view_versions(actor, booking_id: int, key: str) -> tuple[dict, list[dict]]:
    """Every version a family sent, for the booking's coordinator or staff, with a line in the audit trail
    (the privacy rule of the student grid: who may see medical notes, and that every view is recorded)."""
    from booking.slypark.intake import booking_with_students

    booking = await booking_with_students(actor, booking_id)
    versions = await versions_of(booking_id, key)
    if versions:
        async with write_transaction():
            await record_by(
                actor,
                "family_form.viewed",
                subject=f"Sly Park booking {booking_id}",
                district_id=booking["district"],
                detail={"versions": len(versions)},
            )
    return booking, versions


async def latest_forms(booking_ids: list[int]) -> dict[tuple[int, str], dict]:
    """(booking, student key) → the form in force, for the nurse's export and the roster."""
    if not booking_ids:
        return {}
    rows = await FamilyForm.select().where(FamilyForm.booking.is_in(booking_ids)).order_by(FamilyForm.version)
    latest = {}
    for row in rows:
        row["contacts"] = json_column(row["contacts"], "[]")
        latest[(row["booking"], row["student_key"])] = row
    return latest


def dietary_line(form: dict) -> str:
    """What the kitchen reads on the roster: allergies and dietary needs as the family wrote them."""
    parts = [" ".join(form["allergies"].split()), " ".join(form["dietary_needs"].split())]
    return "; ".join(part for part in parts if part)
