"""A teacher types their district email, signs in at the district's provider (a real OpenID Connect provider
on loopback, tests/oidc_provider.py) and lands on their home page, in real Chromium against `booking serve`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import run_cli
from tests.e2e.conftest import AXE_PATH, AXE_TAGS, FAILING_IMPACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def district_connected(live_server, oidc_provider):
    def booking(*args: str):
        return run_cli(*args, database_url=live_server.database_url, var_dir=live_server.var_dir, check=True)

    booking(
        "sso",
        "set",
        "--district",
        "EGUSD",
        "--issuer",
        oidc_provider.issuer,
        "--client-id",
        "e2e-client",
        "--client-secret",
        "e2e-client-secret",
        "--domains",
        "e2e-egusd.net",
    )
    yield
    booking("sso", "remove", "--district", "EGUSD")  # the live server's database is shared by the package


@pytest.fixture
def unaudited_page(browser, live_server):
    """A browser context of its own, without the suite's axe auditor: the provider's sign-in page is the
    mock's (a third party's page, loading its stylesheet from a CDN), not ours to audit or to wait for.
    Our sign-in and home pages are audited by tests/e2e/test_sign_in.py."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    context.route("https://**/*", lambda route: route.abort())  # nothing leaves the machine (the mock's CDN stylesheet)
    yield context.new_page()
    context.close()


def test_a_teacher_signs_in_with_the_district_account_and_lands_on_their_home(
    unaudited_page, district_connected, oidc_provider, screenshot
):
    page = unaudited_page
    oidc_provider.set_user(
        "e2e-teacher", {"email": "maria.lopez@e2e-egusd.net", "email_verified": True, "name": "Maria Lopez"}
    )
    page.goto("/sign-in")
    district = page.get_by_role("region", name="Start with your email")
    district.get_by_label("Email address").fill("maria.lopez@e2e-egusd.net")
    district.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{oidc_provider.issuer}/**")  # the district's own sign-in page
    page.locator("input[name=sub]").fill("e2e-teacher")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("status").filter(has_text="You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Maria Lopez")
    expect(page.get_by_role("banner")).to_contain_text("Signed in as Maria Lopez")
    screenshot(page, "home-after-district-sign-in")

    # Signing out ends our session and offers the district's own sign-out (the provider has an end_session_endpoint).
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    expect(page.get_by_role("banner")).not_to_contain_text("Signed in as")
    assert_no_axe_violations(page)  # this context has no auditor (see unaudited_page): audit our page here
    page.get_by_role("link", name="Also sign out of your district account").click()
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/end_session?**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("**/sign-in")  # back on our sign-in page
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def assert_no_axe_violations(page) -> None:
    page.evaluate(AXE_PATH.read_text())  # through DevTools, as the suite's auditor does: our CSP refuses inline scripts
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    failing = [(v["id"], v["help"]) for v in result["violations"] if v["impact"] in FAILING_IMPACTS]
    assert not failing, failing
