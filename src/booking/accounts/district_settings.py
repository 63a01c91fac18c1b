"""A district's settings: whether paid PD waits for the coordinator's approval, who receives the
invoices, whether it pays the member rate, and its billing address.

Admins change everything for every district. A coordinator changes their own district's approval
rule and billing contact, never the member rate: the rate is SCOE's agreement with the district
(a coordinator choosing it would choose their own price), nor the address invoices are mailed to.
Every change is recorded in the audit trail with what it was before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.accounts.users import validate_email
from booking.audit.trail import record_by
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import InvalidInput, NotFound

# What a coordinator may change; admins change these and the rest.
COORDINATOR_FIELDS = ("requires_supervisor_approval", "billing_contact_name", "billing_contact_email")
ADMIN_FIELDS = COORDINATOR_FIELDS + ("is_member", "address_line1", "address_line2", "city", "postal_code")
FIELD_WORDS = {
    "requires_supervisor_approval": "Approval before paid workshops",
    "billing_contact_name": "Billing contact name",
    "billing_contact_email": "Billing contact email",
    "is_member": "Member rate",
    "address_line1": "Address",
    "address_line2": "Address line 2",
    "city": "City",
    "postal_code": "ZIP code",
}
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_LIMITS = {"billing_contact_name": 200, "address_line1": 200, "address_line2": 200, "city": 100}


@dataclass(frozen=True)
class SettingsForm:
    """What the form sent, as text: booleans as "yes"/"no" (a radio group), so a missing answer is seen."""

    values: dict[str, str]


def editable_fields(actor: Actor) -> tuple[str, ...]:
    return ADMIN_FIELDS if actor.is_admin else COORDINATOR_FIELDS


def _yes_no(value: str, field: str, question: str, errors: dict) -> bool | None:
    if value in ("yes", "no"):
        return value == "yes"
    errors[field] = f"Choose yes or no: {question}"
    return None


def check_settings(form: SettingsForm, fields: tuple[str, ...]) -> dict:
    """The cleaned values of `fields`, or InvalidInput naming every field that is wrong."""
    raw, errors, clean = form.values, {}, {}
    for field in fields:
        value = " ".join((raw.get(field) or "").split())
        if field == "requires_supervisor_approval":
            clean[field] = _yes_no(value, field, "must paid workshops wait for a coordinator's approval?", errors)
        elif field == "is_member":
            clean[field] = _yes_no(value, field, "does the district pay the member rate?", errors)
        elif field == "billing_contact_email":
            if not value:
                clean[field] = ""  # allowed: invoices are then not emailed (issuing warns finance)
            else:
                try:
                    clean[field] = validate_email(value, field)
                except InvalidInput as error:
                    errors.update(error.field_errors)
        elif field == "postal_code":
            if value and not _ZIP.match(value):
                errors[field] = "Enter a ZIP code like 95655 or 95655-1234."
            clean[field] = value
        else:
            if len(value) > _LIMITS[field]:
                errors[field] = f"Keep it under {_LIMITS[field]} characters."
            clean[field] = value
    if (
        "billing_contact_email" in clean
        and clean.get("billing_contact_name")
        and not clean["billing_contact_email"]
        and "billing_contact_email" not in errors
    ):
        errors["billing_contact_email"] = "Enter the billing contact's email address: invoices are sent there."
    if errors:
        raise InvalidInput(errors)
    return clean


async def district_for_settings(actor: Actor, district_id: int) -> dict:
    """The district, if this person may see its settings (admins: every district; a coordinator: their own)."""
    if not (actor.is_admin or (actor.is_coordinator and actor.district_id == district_id)):
        raise NotFound("No such district.")
    row = await District.select().where(District.id == district_id).first()
    if row is None:
        raise NotFound("No such district.")
    return row


async def update_district_settings(actor: Actor, district_id: int, form: SettingsForm) -> dict:
    """Save what changed and record it in the audit trail; returns {field: (before, after)} for what changed."""
    actor.require(("admin", "coordinator"), "Only administrators and district coordinators change district settings.")
    fields = editable_fields(actor)
    clean = check_settings(form, fields)
    async with write_transaction():
        await lock_rows_for_update(District, District.id == district_id)
        district = await district_for_settings(actor, district_id)
        changes = {field: (district[field], value) for field, value in clean.items() if district[field] != value}
        if changes:
            await District.update({getattr(District, field): after for field, (_, after) in changes.items()}).where(
                District.id == district_id
            )
            await record_by(
                actor,
                "district.settings_changed",
                subject=f"district {district['code']} ({district['name']})",
                district_id=district_id,
                detail={field: {"from": before, "to": after} for field, (before, after) in changes.items()},
            )
    return changes
