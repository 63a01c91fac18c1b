"""The form fuzzer over every POST route of the HTML app, for each role, on each engine: 0 server errors."""

from __future__ import annotations

import os
import random

from piccolo.columns import Text, Varchar

from booking.accounts.email_change import request_email_change
from booking.accounts.sessions import start_session
from booking.accounts.sign_in_providers import set_provider
from booking.accounts.tables import User
from booking.db import all_tables
from booking.demo import load_demo_data
from booking.fields import text_problem
from booking.slypark.family_links import link_path
from booking.slypark.tables import FamilyLink
from booking.web.auth import SESSION_COOKIE
from tests.fuzz.form_fuzzer import FormFuzzer, post_routes

# Demo people (booking.demo), one per role, plus a teacher in a cohort program.
ROLE_EMAILS = {
    "anonymous": None,
    "attendee": "teacher@egusd.example",
    "cohort_member": "newteacher@sanjuan.example",
    "coordinator": "coordinator@egusd.example",
    "finance": "finance@scoe.example",
    "staff": "staff@scoe.example",
    "admin": "admin@scoe.example",
}
SCALE = int(os.environ.get("BOOKING_FUZZ_SCALE", "1"))
# The suite's run is the same every time; a longer run (make fuzz) picks a new seed and prints it.
SEED = int(os.environ.get("BOOKING_FUZZ_SEED") or (12 if SCALE == 1 else random.randrange(1_000_000)))


async def test_form_fuzzer_finds_no_server_error(app, client, engine_kind, oidc_provider):
    await load_demo_data()
    # A district connected to its provider (the real one on loopback): the admin's district sign-in page then
    # shows its password sign-in and disconnect forms, and the connect form starts from a reachable issuer.
    await set_provider("EGUSD", oidc_provider.issuer, "fuzz-client", "fuzz-client-secret", "fuzz-egusd.example")
    # By id: the fuzz may well change a person's email on their profile page.
    user_ids = {
        role: (await User.select(User.id).where(User.email == email).first())["id"]
        for role, email in ROLE_EMAILS.items()
        if email
    }

    async def sign_in(role: str) -> None:
        client.cookies.delete(SESSION_COOKIE, domain="testserver.local")
        if role in user_ids:
            client.cookies.set(SESSION_COOKIE, await start_session(user_ids[role], "fuzz"), domain="testserver.local")

    # A change of email waiting for its link: the account page shows its cancel form, and the link's page
    # (which only ever goes out by email) is where the crawl of the anonymous visitor also starts.
    confirm_path = await request_email_change(user_ids["attendee"], "teacher.elsewhere@egusd.example")
    # A family's private link to the Sly Park health form (the demo makes them) goes out by email or on paper too.
    family_link = link_path(await FamilyLink.select().order_by(FamilyLink.id).first())
    fuzzer = FormFuzzer(
        app, client, sign_in, scale=SCALE, seed=SEED, start_urls={"anonymous": [confirm_path, family_link]}
    )
    report = await fuzzer.run(list(ROLE_EMAILS))
    print(f"\n[{engine_kind}] form fuzzer (scale {SCALE}, seed {SEED}): {report.summary()}")
    # It really went everywhere: every POST route of the app, most of them with a form a page showed,
    # and every signed-in role got past the guards of its own forms.
    assert report.routes == {template.path for template in post_routes(app)}
    assert len(report.routes_with_forms) >= 0.7 * len(report.routes), sorted(report.routes - report.routes_with_forms)
    assert all(report.reached[role] for role in user_ids), {role: len(report.reached[role]) for role in user_ids}
    stored = await control_characters_stored()
    assert not stored, f"text with control characters reached the database: {stored[:10]}"
    failures = "\n".join(
        f"{f.status} {f.role} {f.method} {f.url} [{f.mutation}]\n{f.detail}\n" for f in report.failures[:60]
    )
    assert not report.failures, f"{len(report.failures)} server errors; the first:\n{failures}"


async def control_characters_stored() -> list[tuple[str, str, int, str]]:
    """(table, column, row id, value) of every stored text with a character the boundary refuses: SQLite
    would keep a NUL that PostgreSQL refuses, so the fuzz checks what actually reached the tables."""
    found = []
    for table in all_tables():
        columns = [c for c in table._meta.columns if isinstance(c, (Varchar, Text))]
        if not columns:
            continue
        for row in await table.select(table._meta.primary_key, *columns):
            for column in columns:
                value = row[column._meta.name]
                if isinstance(value, str) and text_problem(value):
                    found.append(
                        (table._meta.tablename, column._meta.name, row[table._meta.primary_key._meta.name], value[:60])
                    )
    return found
