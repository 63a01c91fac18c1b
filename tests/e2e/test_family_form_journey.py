"""On a 390×844 phone, a parent opens their child's private link, switches to Spanish, fills in and signs the
health form; the coordinator then sees the form in on the booking's family page. Every page is audited for
accessibility (tests/e2e/conftest.py)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def _booking_with_links(coordinator_row: dict, school_name: str) -> tuple[int, str]:
    from booking.accounts.actor import Actor
    from booking.slypark import intake
    from booking.slypark.bookings import Headcount, book_remaining
    from booking.slypark.family_links import issue_links, links_of
    from booking.slypark.tables import Season
    from tests.slypark.slypark_factory import make_school, make_season
    from tests.workshop_factory import staff_actor

    staff = await staff_actor()
    season = await make_season(
        staff, weeks=1, first=30, name=f"Family forms season {school_name}"
    )  # week 30: its own (scholarships: 34)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school = await make_school("EGUSD", school_name)
    coordinator = Actor.from_row(coordinator_row)
    booking_id = await book_remaining(
        coordinator,
        season["weeks"][0],
        school,
        Headcount(1, 1, 1),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    await intake.save_grid(
        coordinator, booking_id, [intake.StudentInput("Ana", "Lopez", "girl"), intake.StudentInput("Ben", "Ng", "boy")]
    )
    await issue_links(coordinator, booking_id)
    data = await links_of(coordinator, booking_id)
    return booking_id, next(row.url for row in data.rows if row.last_name == "Lopez")


def test_a_parent_fills_the_form_in_spanish_on_a_phone_and_the_coordinator_sees_it_in(
    page, live_data, make_person, sign_in_as, live_server
):
    tag = uuid.uuid4().hex[:6]
    coordinator = make_person("coordinator", district="EGUSD", name=f"Cora Coordinator {tag}")
    booking_id, url = live_data.run(_booking_with_links, coordinator, f"Jackson Elementary {tag}")
    path = "/families/" + url.rsplit("/families/", 1)[1]

    page.set_viewport_size(PHONE)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Health and permission form")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Formulario de salud y permisos")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("group", name="Su hijo o hija").get_by_label(re.compile("^Nombre"))).to_have_value("Ana")
    page.get_by_label("Cabaña de niñas").check()
    page.get_by_label("Fecha de nacimiento").fill("2015-04-09")
    page.get_by_label("Alergias").fill("Cacahuates: EpiPen en la mochila")
    page.get_by_label("Medicamentos, dosis y horarios").fill("Inhalador, 2 inhalaciones, antes de las caminatas")
    contact = page.get_by_role("group", name="Contacto de emergencia", exact=True)
    contact.get_by_label(re.compile("^Nombre")).fill("Rosa Lopez")
    contact.get_by_label("Parentesco con el niño o la niña").fill("tía")
    contact.get_by_label("Teléfono").fill("916-555-0142")
    page.get_by_role("group", name=re.compile("Pueden la enfermera")).get_by_label("Sí").check()
    page.get_by_role("group", name=re.compile("fotografías")).get_by_label("No", exact=True).check()
    page.get_by_label(re.compile("^Su nombre")).fill("María López")
    page.get_by_label(re.compile("^Su parentesco")).fill("madre")
    page.get_by_role("button", name="Firmar y enviar el formulario").click()
    expect(page.get_by_role("alert")).to_contain_text("Escriba su nombre completo para firmar el formulario.")
    page.get_by_label("Firme escribiendo su nombre completo").fill("María López")
    page.get_by_role("button", name="Firmar y enviar el formulario").click()
    expect(page.get_by_role("status")).to_contain_text("Gracias. Recibimos su formulario (versión 1).")

    sign_in_as(coordinator)
    page.goto(f"/slypark/bookings/{booking_id}/families")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Family health forms")
    row = page.get_by_role("row", name=re.compile("Lopez, Ana"))
    expect(row).to_contain_text("In: version 1")
    expect(row).to_contain_text("Español")
    expect(page.get_by_role("row", name=re.compile("Ng, Ben"))).to_contain_text("Not in yet")
