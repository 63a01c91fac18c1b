"""Finance and staff pages for card payments: the list (newest first, filtered by status), one payment with its
refunds and a refund form (bad input re-shows the form and changes nothing), the late-payment setting;
everyone else is refused."""

from __future__ import annotations

import re

from booking.payments.policy import late_payment_policy
from booking.payments.tables import CardPayment, Refund
from tests.factories import make_user, post_form, signed_in
from tests.payments.test_refunds import paid_seat, refunds_at_stripe, settle
from tests.payments.test_webhooks import PRICE, card_seat, registration


async def test_the_list_shows_card_payments_newest_first_and_filters_by_status(client, stripe_double):
    older = await paid_seat(client, stripe_double, title="Older Workshop On Fractions")
    newer = await card_seat(client, stripe_double, title="Newer Workshop On Phonics")
    await signed_in(client, await make_user("finance"))
    response = await client.get("/finance/card-payments")
    assert response.status_code == 200
    text = response.text
    assert text.index("Newer Workshop On Phonics") < text.index("Older Workshop On Fractions")
    assert older["teacher"]["name"] in text and newer["teacher"]["name"] in text
    assert "$45.00" in text and "Paid" in text and "Waiting for the payer" in text
    assert f'href="/finance/card-payments/{older["payment"]["id"]}"' in text
    paid_only = await client.get("/finance/card-payments?status=paid")
    assert "Older Workshop On Fractions" in paid_only.text and "Newer Workshop On Phonics" not in paid_only.text
    # An unknown filter is ignored rather than an error.
    assert (await client.get("/finance/card-payments?status=bogus")).status_code == 200
    expired_only = await client.get("/finance/card-payments?status=expired")
    assert "No card payment is" in expired_only.text


async def test_staff_refund_through_the_page_then_stripe_settles_it(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    payment_id = seat["payment"]["id"]
    finance = await signed_in(client, await make_user("finance"))
    detail = await client.get(f"/finance/card-payments/{payment_id}")
    assert detail.status_code == 200
    assert re.search(r'name="amount"[^>]*value="45.00"', detail.text)  # the refundable rest by default
    assert "No refund of this payment." in detail.text

    response = await post_form(
        client,
        f"/finance/card-payments/{payment_id}/refunds",
        {"amount": "20", "reason": "Missed the second session"},
        token_from=f"/finance/card-payments/{payment_id}",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/finance/card-payments/{payment_id}?notice=refund-sent"
    refund = await Refund.select().first()
    assert (refund["amount_cents"], refund["status"], refund["requested_by"]) == (2_000, "pending", finance["id"])
    assert [r["amount"] for r in refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"])] == [2_000]
    page = await client.get(response.headers["location"])
    assert (
        "Sent to Stripe" in page.text and "Missed the second session" in page.text and "The refund is sent" in page.text
    )
    assert re.search(r'name="amount"[^>]*value="25.00"', page.text)

    await settle(client, stripe_double, refund, "succeeded")
    page = await client.get(f"/finance/card-payments/{payment_id}")
    assert "Refunded" in page.text and "$20.00" in page.text
    assert (await registration(seat["registration_id"]))["amount_paid_cents"] == PRICE - 2_000


async def test_bad_refund_input_shows_the_form_again_and_changes_nothing(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    payment_id = seat["payment"]["id"]
    await signed_in(client, await make_user("staff"))
    cases = [
        ({"amount": "10", "reason": "   "}, "reason", "Say why"),
        ({"amount": "0", "reason": "Goodwill"}, "amount", "above $0"),
        ({"amount": "45.01", "reason": "Goodwill"}, "amount", "between $0.01 and $45.00"),
        ({"amount": "ten dollars", "reason": "Goodwill"}, "amount", "Enter an amount"),
        ({"amount": "-5", "reason": "Goodwill"}, "amount", "positive amount"),
        ({"amount": "", "reason": ""}, "amount", "Enter an amount"),
    ]
    for data, field, message in cases:
        response = await post_form(
            client,
            f"/finance/card-payments/{payment_id}/refunds",
            data,
            token_from=f"/finance/card-payments/{payment_id}",
        )
        assert response.status_code == 422, (data, response.status_code)
        assert f'id="refund-{field}-error"' in response.text and message in response.text, (data, response.text[-3000:])
        assert 'aria-invalid="true"' in response.text and response.text.count("<title>Error:") == 1
    blank_both = await post_form(
        client,
        f"/finance/card-payments/{payment_id}/refunds",
        {"amount": "", "reason": ""},
        token_from=f"/finance/card-payments/{payment_id}",
    )
    assert 'id="refund-reason-error"' in blank_both.text  # both problems at once
    assert await Refund.count() == 0
    assert refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"]) == []
    # An unpaid card payment has no refund form and refuses a posted one.
    unpaid = await card_seat(client, stripe_double)
    unpaid_id = (await CardPayment.select().where(CardPayment.registration == unpaid["registration_id"]).first())["id"]
    page = await client.get(f"/finance/card-payments/{unpaid_id}")
    assert "Only a paid card payment can be refunded." in page.text and 'name="reason"' not in page.text
    refused = await post_form(
        client,
        f"/finance/card-payments/{unpaid_id}/refunds",
        {"amount": "45", "reason": "x"},
        token_from=f"/finance/card-payments/{payment_id}",
    )
    assert refused.status_code == 409 and "Only a completed card payment" in refused.text
    missing = await post_form(
        client,
        "/finance/card-payments/999999/refunds",
        {"amount": "1", "reason": "x"},
        token_from=f"/finance/card-payments/{payment_id}",
    )
    assert missing.status_code == 404
    assert (await client.get("/finance/card-payments/999999")).status_code == 404
    assert await Refund.count() == 0


async def test_the_late_payment_setting(client, stripe_double):
    await signed_in(client, await make_user("finance"))
    page = await client.get("/finance/settings/payments")
    assert page.status_code == 200
    assert re.search(r'value="refund" checked', page.text)
    assert "Refund automatically" in page.text and "Waiting list, keep the payment" in page.text
    saved = await post_form(
        client, "/finance/settings/payments", {"late_payment": "waitlist"}, token_from="/finance/settings/payments"
    )
    assert saved.status_code == 303
    assert await late_payment_policy() == "waitlist"
    assert re.search(r'value="waitlist" checked', (await client.get("/finance/settings/payments")).text)
    for bad in ({"late_payment": "keep_everything"}, {}):
        refused = await post_form(client, "/finance/settings/payments", bad, token_from="/finance/settings/payments")
        assert refused.status_code == 422 and "Choose refund or waiting list." in refused.text
    assert await late_payment_policy() == "waitlist"


async def test_only_finance_and_staff_reach_these_pages(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    payment_id = seat["payment"]["id"]
    paths = ["/finance/card-payments", f"/finance/card-payments/{payment_id}", "/finance/settings/payments"]
    for path in paths:  # anonymous: asked to sign in
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == f"/sign-in?next={path}", path
    await signed_in(client, await make_user("admin"))
    assert (await client.get(paths[0])).status_code == 200
    for role in ("attendee", "coordinator"):
        await signed_in(client, await make_user(role))
        for path in paths:
            assert (await client.get(path)).status_code == 403, (role, path)
        posted = await post_form(
            client,
            f"/finance/card-payments/{payment_id}/refunds",
            {"amount": "45", "reason": "Me"},
            token_from="/my/learning",
        )
        assert posted.status_code == 403
        setting = await post_form(
            client, "/finance/settings/payments", {"late_payment": "waitlist"}, token_from="/my/learning"
        )
        assert setting.status_code == 403
    assert await Refund.count() == 0
    assert await late_payment_policy() == "refund"
