"""Signing in and out in a real browser, as each kind of person, by mouse and by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROLES = [("attendee", None), ("coordinator", "EGUSD"), ("staff", None), ("finance", None), ("admin", None)]


def password_form(page):
    # Email first: after the address, the page asks for the password (or offers a link) in this region.
    return page.get_by_role("region", name="With your password")


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def sign_in_with_password(page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()  # no district provider for this address: the password next
    form = password_form(page)
    expect(form.get_by_label("Email address")).to_have_value(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(("role", "district"), ROLES, ids=[role for role, _ in ROLES])
def test_each_role_signs_in_sees_its_menu_and_signs_out(page, make_person, screenshot, role, district):
    person = make_person(role, district=district)

    sign_in_with_password(page, person["email"], person["password"])

    expect(page.get_by_role("status").filter(has_text="You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {person['name']}")
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text(f"Signed in as {person['name']}")
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="My account")).to_be_visible()
    if role == "admin":
        expect(nav.get_by_role("link", name="People")).to_be_visible()
        screenshot(page, "home-admin")
        nav.get_by_role("link", name="People").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("People")
        expect(nav.get_by_role("link", name="People")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("table")).to_contain_text(person["email"])
        screenshot(page, "admin-users")
    else:
        expect(nav.get_by_role("link", name="People")).to_have_count(0)

    banner.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
    expect(banner.get_by_role("link", name="Sign in")).to_be_visible()
    expect(banner.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(nav.get_by_role("link", name="My account")).to_have_count(0)
    page.goto("/account")  # the session is gone on the server, not just the menu
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/account$"))


def test_a_wrong_password_shows_the_problem_and_stays_signed_out(page, make_person, screenshot):
    person = make_person("attendee")

    sign_in_with_password(page, person["email"], "not the right password")

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # read out first, and the next Tab goes on into the form
    expect(summary).to_contain_text("That email and password do not match an active account.")
    form = password_form(page)
    expect(form.get_by_label("Email address")).to_have_value(person["email"])
    expect(form.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="My account")).to_have_count(0)
    screenshot(page, "sign-in-wrong-password")


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, screenshot):
    page.goto("/sign-in")
    screenshot(page, "sign-in")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # shown when it has focus
    screenshot(page, "sign-in-skip-link")

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is the first control of the page's content: the email, asked first
    expect(page.get_by_role("region", name="Start with your email").get_by_label("Email address")).to_be_focused()
