"""A teacher pays a workshop fee by card: hold, Stripe Checkout through the double, signed webhook, confirmation."""

from __future__ import annotations

from booking.payments.tables import CardPayment, StripeEvent
from booking.scheduling.tables import Registration
from tests.api_helpers import bearer
from tests.factories import make_user
from tests.payments.webhook_helpers import deliver_pending, post_event, session_id_from_url
from tests.workshop_factory import make_workshop


async def test_card_payment_confirms_the_held_seat_once(client, stripe_double):
    workshop = await make_workshop("Restorative Circles", price_cents=4_500, capacity=3)
    teacher = await make_user("attendee")
    response = await client.post(
        f"/api/v1/offerings/{workshop}/registrations", json={"payer": "card"}, headers=await bearer(teacher)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending_payment" and body["checkout_url"].startswith(stripe_double.base)
    session_id = session_id_from_url(body["checkout_url"])
    stripe_double.pay(session_id)
    delivered = await deliver_pending(client, stripe_double, session_id)
    assert [event["type"] for event in delivered] == ["checkout.session.completed"]
    registration = await Registration.select().where(Registration.id == body["id"]).first()
    assert (registration["status"], registration["amount_paid_cents"]) == ("confirmed", 4_500)
    assert registration["attendee"] == teacher["id"]
    # The same event again (Stripe retries): accepted, changes nothing.
    record = next(r for r in stripe_double.state.events if r.id == delivered[0]["id"])
    import time

    from booking_stripe_double import sign_payload
    from tests.conftest import TEST_WEBHOOK_SECRET

    again = await post_event(client, record.body, sign_payload(record.body, TEST_WEBHOOK_SECRET, int(time.time())))
    assert again.status_code == 200 and "already processed" in again.json()["outcome"]
    registration = await Registration.select().where(Registration.id == body["id"]).first()
    assert registration["amount_paid_cents"] == 4_500
    assert await StripeEvent.count() == 1
    assert (await CardPayment.select().first())["status"] == "paid"


async def test_a_participant_pays_a_tuition_instalment_by_card_once(client, stripe_double):
    from booking.accounts.actor import Actor
    from booking.cohorts.review import accept
    from booking.cohorts.tables import TuitionInstalment
    from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
    from tests.factories import post_form, signed_in

    staff = Actor.from_row(await make_user("staff"))
    cohort = await make_cohort(staff, tuition_cents=120_000, instalment_options="1,2")
    person, application = await submitted_applicant(cohort, instalments="2")
    await accept(staff, application["id"])
    first, second = (
        await TuitionInstalment.select()
        .where(TuitionInstalment.application == application["id"])
        .order_by(TuitionInstalment.number)
    )
    await signed_in(client, {"id": person.id})
    page = await client.get(f"/my/applications/{application['id']}")
    assert f"/instalments/{first['id']}/pay" in page.text and f"/instalments/{second['id']}/pay" in page.text
    response = await post_form(
        client,
        f"/my/applications/{application['id']}/instalments/{first['id']}/pay",
        {},
        token_from=f"/my/applications/{application['id']}",
    )
    assert response.status_code == 303 and response.headers["location"].startswith(stripe_double.base)
    session_id = session_id_from_url(response.headers["location"])
    stripe_double.pay(session_id)
    await deliver_pending(client, stripe_double, session_id)
    statuses = [
        row["status"]
        for row in await TuitionInstalment.select(TuitionInstalment.status).order_by(TuitionInstalment.number)
    ]
    assert statuses == ["paid", "owed"]
    # Someone else cannot pay (or even see) this person's instalment.
    await signed_in(client, await make_user("attendee"))
    other = await post_form(
        client, f"/my/applications/{application['id']}/instalments/{second['id']}/pay", {}, token_from="/my/learning"
    )
    assert other.status_code == 404
    assert await CardPayment.count() == 1
