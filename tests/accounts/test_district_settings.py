"""District settings through HTTP as people use them: a coordinator's own district (approval rule and
billing contact, not the rate), admins' every district, bad input refused whole, every change in the
audit trail, and two saves at once each recorded against what the other left."""

from __future__ import annotations

import asyncio
import json

import pytest

from booking.accounts.tables import District
from booking.audit.tables import AuditEntry
from tests.factories import csrf_token, make_user, post_form, signed_in


async def district(code: str) -> dict:
    return await District.select().where(District.code == code).first()


async def audit_entries() -> list[dict]:
    rows = await AuditEntry.select().where(AuditEntry.kind == "district.settings_changed").order_by(AuditEntry.id)
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]


COORDINATOR_FORM = {
    "requires_supervisor_approval": "yes",
    "billing_contact_name": "Pat Payables",
    "billing_contact_email": "Payables@EGUSD.example",
}


async def test_a_coordinator_turns_on_approvals_and_sets_the_billing_contact_of_their_district(client):
    coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))
    before = await district("EGUSD")
    assert before["requires_supervisor_approval"] is False and before["is_member"] is True

    shown = await client.get("/district/settings")
    assert shown.status_code == 200
    assert 'href="/district/settings"' in (await client.get("/district/people")).text  # found from the district's page
    assert 'name="is_member"' not in shown.text and 'name="postal_code"' not in shown.text
    assert (
        "only SCOE&#39;s administrators change it" in shown.text or "only SCOE's administrators change it" in shown.text
    )

    # A member-rate answer smuggled into the form is ignored: a coordinator never chooses their own price.
    saved = await post_form(
        client,
        "/district/settings",
        {**COORDINATOR_FORM, "is_member": "no", "city": "Nowhere"},
        token_from="/district/settings",
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/district/settings?notice=district-settings-saved"
    after = await district("EGUSD")
    assert (after["requires_supervisor_approval"], after["billing_contact_name"], after["billing_contact_email"]) == (
        True,
        "Pat Payables",
        "payables@egusd.example",
    )
    assert (after["is_member"], after["city"]) == (before["is_member"], before["city"])

    [entry] = await audit_entries()
    assert entry["actor_id"] == coordinator["id"] and entry["district_id"] == after["id"]
    assert entry["detail"]["requires_supervisor_approval"] == {"from": False, "to": True}
    assert entry["detail"]["billing_contact_email"]["to"] == "payables@egusd.example"
    assert set(entry["detail"]) == {"requires_supervisor_approval", "billing_contact_name", "billing_contact_email"}

    # Saving the same values again changes nothing and records nothing.
    again = await post_form(client, "/district/settings", COORDINATOR_FORM, token_from="/district/settings")
    assert again.status_code == 303 and len(await audit_entries()) == 1


@pytest.mark.parametrize(
    "form,field,words",
    [
        ({**COORDINATOR_FORM, "requires_supervisor_approval": ""}, "requires_supervisor_approval", "Choose yes or no"),
        (
            {**COORDINATOR_FORM, "requires_supervisor_approval": "maybe"},
            "requires_supervisor_approval",
            "Choose yes or no",
        ),
        (
            {**COORDINATOR_FORM, "billing_contact_email": "not an email"},
            "billing_contact_email",
            "Enter an email address like",
        ),
        ({**COORDINATOR_FORM, "billing_contact_email": ""}, "billing_contact_email", "invoices are sent there"),
        ({**COORDINATOR_FORM, "billing_contact_name": "x" * 250}, "billing_contact_name", "under 200 characters"),
    ],
)
async def test_bad_settings_are_refused_whole_with_the_field_named_and_nothing_changes(client, form, field, words):
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    before = await district("EGUSD")
    refused = await post_form(client, "/district/settings", form, token_from="/district/settings")
    assert refused.status_code == 422
    assert f'href="#f-{field}"' in refused.text and words in refused.text
    assert await district("EGUSD") == before and await audit_entries() == []


async def test_admins_change_any_districts_rate_and_address_and_others_cannot_reach_the_page(client):
    await signed_in(client, await make_user("admin"))
    sjusd = await district("SJUSD")
    listing = await client.get("/admin/districts")
    assert listing.status_code == 200 and f'href="/admin/districts/{sjusd["id"]}"' in listing.text
    form = {
        "requires_supervisor_approval": "no",
        "billing_contact_name": "",
        "billing_contact_email": "",
        "is_member": "no",
        "address_line1": "3738 Walnut Avenue",
        "address_line2": "",
        "city": "Carmichael",
        "postal_code": "95608",
    }
    saved = await post_form(
        client, f"/admin/districts/{sjusd['id']}", form, token_from=f"/admin/districts/{sjusd['id']}"
    )
    assert saved.status_code == 303
    after = await district("SJUSD")
    assert (after["is_member"], after["address_line1"], after["city"], after["postal_code"]) == (
        False,
        "3738 Walnut Avenue",
        "Carmichael",
        "95608",
    )
    [entry] = await audit_entries()
    assert entry["detail"]["is_member"] == {"from": True, "to": False}

    bad_zip = await post_form(
        client,
        f"/admin/districts/{sjusd['id']}",
        {**form, "postal_code": "9560"},
        token_from=f"/admin/districts/{sjusd['id']}",
    )
    assert bad_zip.status_code == 422 and "Enter a ZIP code like 95655" in bad_zip.text
    missing = await client.get("/admin/districts/999999")
    assert missing.status_code == 404

    for role in ("coordinator", "staff", "finance", "attendee"):
        await signed_in(client, await make_user(role))
        assert (await client.get("/admin/districts")).status_code in (403, 404)
        assert (await client.get(f"/admin/districts/{sjusd['id']}")).status_code in (403, 404)
        if role != "coordinator":
            assert (await client.get("/district/settings")).status_code in (403, 404)


async def test_two_saves_at_once_are_each_recorded_against_what_the_other_left(client):
    # One app and its pool (a client per save would close the pool under the other); two saves in flight at once.
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    token = await csrf_token(client, "/district/settings")

    async def save_as(contact: str) -> int:
        response = await client.post(
            "/district/settings", data={**COORDINATOR_FORM, "billing_contact_name": contact, "_csrf_token": token}
        )
        return response.status_code

    assert await asyncio.gather(save_as("First Person"), save_as("Second Person")) == [303, 303]
    entries = await audit_entries()
    final = (await district("EGUSD"))["billing_contact_name"]
    assert final in ("First Person", "Second Person")
    names = [entry["detail"]["billing_contact_name"] for entry in entries]
    # Serialised by the row lock: the later entry starts from the earlier one's result.
    assert len(entries) == 2 and names[0]["from"] == "" and names[1]["to"] == final
    assert names[1]["from"] == names[0]["to"]


def test_the_settings_forms_send_exactly_the_fields_each_role_may_change():
    import msgspec

    from booking.accounts.district_settings import ADMIN_FIELDS, COORDINATOR_FIELDS
    from booking.accounts.forms import AdminDistrictSettingsForm, CoordinatorDistrictSettingsForm

    def names(form):
        return tuple(field.name for field in msgspec.structs.fields(form))

    assert names(CoordinatorDistrictSettingsForm) == COORDINATOR_FIELDS
    assert names(AdminDistrictSettingsForm) == ADMIN_FIELDS
