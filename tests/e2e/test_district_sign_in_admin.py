"""An administrator connects a district to its provider, turns password sign-in off, then disconnects it, on the
admin page in a real browser (axe audits every page on the way, the form's error state included)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port

pytestmark = pytest.mark.browser


def test_an_administrator_connects_a_district_turns_password_sign_in_off_and_disconnects_it(
    page, make_person, sign_in_as, oidc_provider, screenshot
):
    sign_in_as(make_person("admin"))
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="District sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("District sign-in")
    expect(page.get_by_text("/sign-in/sso/callback")).to_be_visible()

    page.get_by_role("link", name="Connect a district").click()
    page.get_by_label("District").select_option("FCUSD")
    page.get_by_label("Issuer URL").fill(f"http://127.0.0.1:{free_port()}")
    page.get_by_label("Client id").fill("e2e-admin-client")
    page.get_by_label("Client secret").fill("e2e-admin-client-secret")
    page.get_by_label("Email domains").fill("e2e-admin-fcusd.org")
    page.get_by_role("button", name="Connect the district").click()
    expect(page.get_by_role("alert")).to_contain_text("did not answer")
    screenshot(page, "admin-district-sign-in-error")

    page.get_by_label("Issuer URL").fill(oidc_provider.issuer)
    page.get_by_label("Client secret").fill("e2e-admin-client-secret")  # a password field is never filled back
    page.get_by_role("button", name="Connect the district").click()
    expect(page.get_by_role("status").filter(has_text="The district is connected")).to_be_visible()
    district = page.get_by_role("region", name="Folsom Cordova Unified (FCUSD)")
    expect(district).to_contain_text("e2e-admin-fcusd.org")

    district.get_by_role("button", name="Turn password sign-in off").click()
    expect(page.get_by_role("status").filter(has_text="Password sign-in is off")).to_be_visible()
    district = page.get_by_role("region", name="Folsom Cordova Unified (FCUSD)")
    expect(district).to_contain_text("Off (administrators excepted)")
    screenshot(page, "admin-district-sign-in")

    district.get_by_role("link", name="Disconnect").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Disconnect")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status").filter(has_text="The district is disconnected")).to_be_visible()
    expect(page.get_by_role("region", name="Folsom Cordova Unified (FCUSD)")).to_have_count(0)
