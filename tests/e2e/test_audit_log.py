"""An administrator finds a role change in the audit log, in a real browser (axe audits every page on the way)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_an_administrator_finds_a_role_change_in_the_audit_log(page, make_person, sign_in_as):
    admin = sign_in_as(make_person("admin"))
    person = make_person("attendee")
    page.goto(f"/admin/users/{person['id']}")
    page.get_by_label("Role").select_option("staff")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/users/**notice=user-saved*")

    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log").wait_for()
    row = page.get_by_role("row").filter(has_text=person["email"])
    assert admin["email"] in row.inner_text() and "Changed a person's role" in row.inner_text()

    page.get_by_label("What happened").select_option("invoice.issued")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("0 entries").wait_for()
    page.get_by_label("From (date)").fill("2027-03-02")
    page.get_by_label("To (date, included)").fill("2027-03-01")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("alert").get_by_text("The end date is before the start date.").wait_for()
