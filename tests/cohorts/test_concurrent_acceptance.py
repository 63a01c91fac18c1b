"""The capacity rule under concurrency, through the HTTP app, on both engines: however many staff press
Accept at once, and whoever withdraws meanwhile, a cohort never has more places taken than it has.

Why these tests fail without the cohort's lock: review.accept counts the confirmed registrations and
then inserts one. On PostgreSQL each request runs in its own READ COMMITTED transaction on its own
pooled connection, and the only thing that makes the 30 transactions below take turns is
`lock_offering()` (SELECT ... FOR UPDATE on the cohort's offering row): each application's own row
lock does not serialise anything, because every request locks a different application. Without it,
the 30 transactions all count 0 (or a few) confirmed places before the first commits, and far more
than 5 are accepted; `test_thirty_staff_accepting_at_once_fill_exactly_the_places` then sees more
than 5 acceptances and more than 5 confirmed registrations (checked by hand, once, by replacing
review.lock_offering with a plain SELECT: on PostgreSQL 20 of the 30 were accepted, one per pooled
connection). On SQLite the same guarantee comes from write_transaction() (BEGIN IMMEDIATE, writers
queued), which is that engine's form of the lock: there the same experiment still gives 5.

The withdrawal tests also hold the lock order to account: before review took the cohort's lock
ahead of the application's, an acceptance of the first person waiting and a withdrawal that gave
that person the freed place could lock each other (PostgreSQL aborted one: "deadlock detected", a
500 for the person), which the last test reproduced in four rounds out of five.
The requests really interleave: the `client` fixture drives the ASGI app in the test's own event loop
(httpx.ASGITransport), so asyncio.gather runs them concurrently, as a server would.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import httpx

from booking.accounts.actor import Actor
from booking.cohorts import review
from booking.cohorts.tables import CohortApplication, TuitionInstalment
from booking.scheduling.tables import Registration
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.factories import csrf_token, make_user, signed_in

CAPACITY = 5
APPLICANTS = 30


@contextlib.asynccontextmanager
async def another_client(app):
    """A second browser on the same running app (the `client` fixture already runs its lifespan)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=False
    ) as http:
        yield http


async def staff_session(client) -> tuple[Actor, str]:
    staff = Actor.from_row(await signed_in(client, await make_user("staff")))
    return staff, await csrf_token(client, "/account")


async def confirmed_in(cohort_id: int) -> int:
    return await Registration.count().where((Registration.offering == cohort_id) & (Registration.status == "confirmed"))


async def status_of(application_id: int) -> str:
    return (
        await CohortApplication.select(CohortApplication.status).where(CohortApplication.id == application_id).first()
    )["status"]


def accepted_by(responses: list[httpx.Response]) -> list[int]:
    """Application ids whose accept POST succeeded (redirected back to the queue)."""
    ids = []
    for response in responses:
        if response.status_code == 303:
            ids.append(int(re.search(r"/applications/(\d+)/accept$", str(response.request.url)).group(1)))
    return ids


async def test_thirty_staff_accepting_at_once_fill_exactly_the_places(client):
    staff, token = await staff_session(client)
    cohort = await make_cohort(staff, capacity=CAPACITY, tuition_cents=480_000, instalment_options="1,4")
    applications = [(await submitted_applicant(cohort, instalments="4"))[1] for _ in range(APPLICANTS)]
    base = f"/staff/cohorts/{cohort['id']}/applications"

    responses = await asyncio.gather(
        *[
            client.post(f"{base}/{a['id']}/accept", data={"message": "Welcome!", "_csrf_token": token})
            for a in applications
        ]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [303] * CAPACITY + [409] * (APPLICANTS - CAPACITY), [
        r.text[:300] for r in responses if r.status_code >= 500
    ]
    for refused in (r for r in responses if r.status_code == 409):
        assert "The cohort is full: 5 of 5 places are taken" in refused.text
    accepted = set(accepted_by(responses))
    assert len(accepted) == CAPACITY
    assert await confirmed_in(cohort["id"]) == CAPACITY
    stored = await CohortApplication.select(
        CohortApplication.id, CohortApplication.status, CohortApplication.registration
    ).where(CohortApplication.cohort == cohort["id"])
    assert {row["id"] for row in stored if row["status"] == "accepted"} == accepted
    for row in stored:
        if row["id"] not in accepted:
            assert row["status"] == "submitted" and row["registration"] is None, row
    # Instalments only for the accepted: four each, adding up to the tuition.
    instalments = await TuitionInstalment.select(TuitionInstalment.application, TuitionInstalment.amount_cents).where(
        TuitionInstalment.application.is_in([a["id"] for a in applications])
    )
    assert {row["application"] for row in instalments} == accepted
    assert len(instalments) == 4 * CAPACITY and sum(row["amount_cents"] for row in instalments) == 480_000 * CAPACITY
    queue = await client.get(base, params={"status": "all"})
    assert '<meter id="places-meter" min="0" max="5" value="5">' in queue.text


async def test_a_withdrawal_racing_acceptances_of_the_last_place_never_overfills(app, client):
    """The cohort is full; one participant withdraws while staff accept ten people at once. Whatever
    the order, at most the one freed place is given, and only if the withdrawal came first."""
    staff, token = await staff_session(client)
    cohort = await make_cohort(staff, capacity=3)
    holders = [await submitted_applicant(cohort) for _ in range(3)]
    for _, application in holders:
        await review.accept(staff, application["id"])
    waiting = [(await submitted_applicant(cohort, county="Yolo"))[1] for _ in range(10)]
    leaver, leaving = holders[0]
    base = f"/staff/cohorts/{cohort['id']}/applications"

    async with another_client(app) as browser:
        await signed_in(browser, {"id": leaver.id})
        applicant_token = await csrf_token(browser, f"/my/applications/{leaving['id']}")
        withdraw = browser.post(
            f"/my/applications/{leaving['id']}/withdraw",
            data={"reason": "Moving out of state", "_csrf_token": applicant_token},
        )
        accepts = [client.post(f"{base}/{a['id']}/accept", data={"_csrf_token": token}) for a in waiting]
        # The withdrawal is started in the middle of the acceptances.
        responses = await asyncio.gather(*accepts[:5], withdraw, *accepts[5:])

    withdrawn = responses[5]
    accept_responses = responses[:5] + responses[6:]
    assert withdrawn.status_code == 303, withdrawn.text[:2000]
    assert await status_of(leaving["id"]) == "withdrawn"
    assert {r.status_code for r in accept_responses} <= {303, 409}, [r.text[:300] for r in accept_responses]
    accepted = accepted_by(accept_responses)
    assert len(accepted) <= 1
    assert await confirmed_in(cohort["id"]) == 2 + len(accepted) <= 3
    statuses = {a["id"]: await status_of(a["id"]) for a in waiting}
    assert sorted(i for i, status in statuses.items() if status == "accepted") == sorted(accepted)


async def test_a_place_freed_while_staff_accept_goes_to_the_waiting_list_first(app, client):
    """Full cohort with a waiting list: a participant withdraws while staff accept a new applicant and,
    at the same moment, the first person on the waiting list. In any order the freed place goes to the
    waiting list in order, the new applicant is refused, and the second in line keeps waiting."""
    staff, token = await staff_session(client)
    for round_number in range(5):
        cohort = await make_cohort(staff, capacity=2, title=f"Teacher Induction, round {round_number}")
        holders = [await submitted_applicant(cohort) for _ in range(2)]
        for _, application in holders:
            await review.accept(staff, application["id"])
        first, second = [(await submitted_applicant(cohort))[1] for _ in range(2)]
        await review.waitlist(staff, first["id"])
        await review.waitlist(staff, second["id"])
        _, newcomer = await submitted_applicant(cohort)
        leaver, leaving = holders[round_number % 2]
        base = f"/staff/cohorts/{cohort['id']}/applications"

        async with another_client(app) as browser:
            await signed_in(browser, {"id": leaver.id})
            applicant_token = await csrf_token(browser, f"/my/applications/{leaving['id']}")
            responses = await asyncio.gather(
                client.post(f"{base}/{newcomer['id']}/accept", data={"_csrf_token": token}),
                browser.post(
                    f"/my/applications/{leaving['id']}/withdraw", data={"reason": "", "_csrf_token": applicant_token}
                ),
                client.post(f"{base}/{first['id']}/accept", data={"_csrf_token": token}),
            )

        newcomer_response, withdrawn, first_response = responses
        assert withdrawn.status_code == 303, withdrawn.text[:2000]
        assert newcomer_response.status_code == 409 and "The cohort is full" in newcomer_response.text
        # Staff accepting the first in line found the cohort full (before the withdrawal; the waiting
        # list then gave them the place) or found them accepted already (after it): never a server error.
        assert first_response.status_code == 409, first_response.text[:2000]
        assert await status_of(first["id"]) == "accepted"
        assert await status_of(second["id"]) == "waitlisted"
        assert await status_of(newcomer["id"]) == "submitted"
        assert await confirmed_in(cohort["id"]) == 2
