"""The local Stripe double, driven through the official SDK and real HTTP (no database needed)."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
import stripe
from litestar import Litestar, Request, Response, asgi, get, post
from litestar.types import Receive, Scope, Send

from booking_stripe_double import (
    _SHAPES,
    create_stripe_double,
    mount_stripe_double,
    sign_payload,
)
from tests.payments.stripe_double_server import running_stripe_double, serving

SECRET = "whsec_test_double_secret"
SUCCESS = "https://booking.example.org/paid?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://booking.example.org/cancelled"


def session_params(**overrides) -> dict:
    params = {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "client_reference_id": "reg-12",
        "customer_email": "ana@district.example.org",
        "metadata": {"registration_id": "12"},
        "payment_intent_data": {"metadata": {"registration_id": "12"}},
        "line_items": [
            {
                "quantity": 2,
                "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Writing Workshop"}},
            },
            {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 1050, "product_data": {"name": "Lunch"}}},
        ],
    }
    params.update(overrides)
    return params


def sdk(base: str, key: str = "sk_test_double") -> stripe.StripeClient:
    return stripe.StripeClient(
        key, base_addresses={"api": base}, http_client=stripe.HTTPXClient(), max_network_retries=0
    )


@pytest.fixture
def double():
    with running_stripe_double(SECRET, settle_refunds="manual") as running:
        yield running


@pytest.fixture
def receiver():
    """A tiny webhook endpoint that records what it receives and answers with `receiver.status`."""

    class Receiver:
        status = 200
        received: list[dict] = []

    @post("/hook")
    async def hook(request: Request) -> Response:
        Receiver.received.append({"body": await request.body(), "signature": request.headers.get("stripe-signature")})
        return Response(content=b"", status_code=Receiver.status)

    Receiver.received = []
    with serving(lambda base: Litestar([hook], logging_config=None)) as base:
        Receiver.url = f"{base}/hook"
        yield Receiver


def event_types(double) -> list[str]:
    return [event["type"] for event in double.events()]


async def paid_session(double, client) -> tuple:
    session = await client.v1.checkout.sessions.create_async(session_params())
    double.pay(session.id)
    session = await client.v1.checkout.sessions.retrieve_async(session.id)
    return session, await client.v1.payment_intents.retrieve_async(session.payment_intent)


# ---------------------------------------------------------------- checkout sessions


async def test_session_has_every_fixture_key_and_our_values(double):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    data = session.to_dict()
    assert set(_SHAPES["checkout.session"]) <= set(data)
    assert re.fullmatch(r"cs_test_\w+", session.id)
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_subtotal == session.amount_total == 2 * 2500 + 1050
    assert session.currency == "usd" and session.livemode is False and session.payment_intent is None
    assert session.metadata.to_dict() == {"registration_id": "12"}
    assert (session.client_reference_id, session.customer_email) == ("reg-12", "ana@district.example.org")
    assert (session.success_url, session.cancel_url) == (SUCCESS, CANCEL)
    assert session.url == f"{double.base}/pay/{session.id}"
    assert abs(session.created - time.time()) < 5 and session.expires_at - session.created == 24 * 3600
    assert data["total_details"] == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    again = await sdk(double.base).v1.checkout.sessions.retrieve_async(session.id)
    assert again.to_dict() == data


async def test_idempotent_replay_returns_the_same_session_and_conflict_is_refused(double):
    client = sdk(double.base)
    first = await client.v1.checkout.sessions.create_async(session_params(), {"idempotency_key": "reg-12-try-1"})
    replay = await client.v1.checkout.sessions.create_async(session_params(), {"idempotency_key": "reg-12-try-1"})
    assert replay.id == first.id and len(double.state.sessions) == 1
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.checkout.sessions.create_async(
            session_params(client_reference_id="other"), {"idempotency_key": "reg-12-try-1"}
        )
    # keys are per endpoint: the same key on another endpoint is a different request
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.refunds.create_async({"payment_intent": "pi_nope"}, {"idempotency_key": "reg-12-try-1"})
    assert missing.value.code == "resource_missing" and len(double.state.sessions) == 1


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"mode": None}, "mode"),
        ({"mode": "subscription"}, "mode"),
        ({"success_url": None}, "success_url"),
        ({"success_url": "not a url"}, "success_url"),
        ({"line_items": None}, "line_items"),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {"currency": "usd", "unit_amount": "12.50", "product_data": {"name": "x"}},
                    }
                ]
            },
            "line_items[0][price_data][unit_amount]",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 0,
                        "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "x"}},
                    }
                ]
            },
            "line_items[0][quantity]",
        ),
        (
            {"line_items": [{"price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "x"}}}]},
            "line_items[0][quantity]",
        ),
        (
            {"line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 2500}}]},
            "line_items[0][price_data][product_data][name]",
        ),
        (
            {
                "line_items": [
                    {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 49, "product_data": {"name": "x"}}}
                ]
            },
            "line_items",
        ),
        ({"expires_at": int(time.time()) + 60}, "expires_at"),
        ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_session_params_are_refused_with_the_param(double, overrides, param):
    params = {key: value for key, value in session_params(**overrides).items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await sdk(double.base).v1.checkout.sessions.create_async(params, {"idempotency_key": "bad-1"})
    assert refused.value.param == param and refused.value.http_status == 400
    assert double.state.sessions == {}
    # a refused request stores no answer: the same key works once the params are fixed
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params(), {"idempotency_key": "bad-1"})
    assert session.status == "open"


async def test_expires_at_within_limits_is_kept(double):
    expires_at = int(time.time()) + 30 * 60
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params(expires_at=expires_at))
    assert session.expires_at == expires_at


async def test_wrong_or_missing_key_is_refused(double):
    with pytest.raises(stripe.AuthenticationError):
        await sdk(double.base, key="sk_live_realkey123456").v1.checkout.sessions.create_async(session_params())
    answer = httpx.post(f"{double.base}/v1/checkout/sessions", data={"mode": "payment"})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error" and "API key" in answer.json()["error"]["message"]
    assert double.state.sessions == {}


async def test_unknown_ids_and_urls_answer_stripe_404s(double):
    client = sdk(double.base)
    for call in (
        client.v1.checkout.sessions.retrieve_async("cs_test_nope"),
        client.v1.payment_intents.retrieve_async("pi_nope"),
        client.v1.refunds.retrieve_async("re_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            await call
        assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    answer = httpx.get(f"{double.base}/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
    assert answer.status_code == 404 and "Unrecognized request URL" in answer.json()["error"]["message"]


# ---------------------------------------------------------------- paying, events, signatures


async def test_paying_completes_the_session_and_emits_signed_events_in_order(double):
    client = sdk(double.base)
    session, intent = await paid_session(double, client)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer_details.email == "ana@district.example.org" and session.url is None
    assert (intent.status, intent.amount, intent.amount_received, intent.currency) == ("succeeded", 6050, 6050, "usd")
    assert intent.metadata.to_dict() == {"registration_id": "12"} and intent.latest_charge.startswith("ch_")
    assert set(_SHAPES["payment_intent"]) <= set(intent.to_dict())

    events = double.events()
    assert [e["type"] for e in events] == ["payment_intent.succeeded", "checkout.session.completed"]
    assert all(e["status"] == "pending" for e in events)  # no webhook_url: queued for the tests
    for record in events:
        event = stripe.Webhook.construct_event(record["body"], record["signature"], SECRET)
        assert event.id == record["id"] and event.livemode is False and event.object == "event"
        assert event.api_version and event.pending_webhooks == 1 and event.request.id.startswith("req_")
    completed = json.loads(events[1]["body"])
    assert set(_SHAPES["event"]) <= set(completed)
    assert completed["data"]["object"]["id"] == session.id
    assert completed["data"]["object"]["payment_status"] == "paid"
    assert json.loads(events[0]["body"])["data"]["object"]["id"] == intent.id

    body = events[1]["body"].encode()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b'"paid"', b'"unpaid"'), events[1]["signature"], SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign_payload(body, SECRET, int(time.time()) - 600), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign_payload(body, "whsec_other"), SECRET)


async def test_sign_payload_matches_stripes_scheme():
    header = sign_payload(b'{"id":"evt_1"}', "whsec_x", timestamp=1700000000)
    assert header == "t=1700000000,v1=" + stripe.WebhookSignature._compute_signature(
        '1700000000.{"id":"evt_1"}', "whsec_x"
    )


async def test_declined_card_and_closed_sessions_cannot_pay(double):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    answer = double.http.post(f"/_double/checkout/{session.id}/pay", json={"card": "4000000000000002"})
    assert answer.status_code == 402 and answer.json()["error"]["code"] == "card_declined"
    answer = double.http.post(f"/_double/checkout/{session.id}/pay", json={"card": "4242424242424241"})
    assert answer.status_code == 400
    assert double.state.sessions[session.id]["status"] == "open" and double.events() == []
    double.pay(session.id)
    again = double.http.post(f"/_double/checkout/{session.id}/pay", json={"card": "4242424242424242"})
    assert again.status_code == 400 and len(double.events()) == 2


# ---------------------------------------------------------------- refunds


async def test_refund_part_then_the_rest_and_settling_emits_events(double):
    client = sdk(double.base)
    _, intent = await paid_session(double, client)
    first = await client.v1.refunds.create_async(
        {
            "payment_intent": intent.id,
            "amount": 2000,
            "reason": "requested_by_customer",
            "metadata": {"credit_note": "7"},
        }
    )
    assert (first.status, first.amount, first.payment_intent, first.charge) == (
        "pending",
        2000,
        intent.id,
        intent.latest_charge,
    )
    assert first.metadata.to_dict() == {"credit_note": "7"} and set(_SHAPES["refund"]) <= set(first.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 4051})
    assert too_much.value.param == "amount"
    for bad in ({"amount": 0}, {"amount": -5}, {"reason": "changed_mind"}):
        with pytest.raises(stripe.InvalidRequestError):
            await client.v1.refunds.create_async({"payment_intent": intent.id, **bad})
    rest = await client.v1.refunds.create_async({"payment_intent": intent.id})
    assert rest.amount == 4050
    with pytest.raises(stripe.InvalidRequestError) as done:
        await client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 1})
    assert done.value.code == "charge_already_refunded"
    assert len(double.state.refunds) == 2 and event_types(double)[2:] == []

    assert double.settle_refund(first.id)["status"] == "succeeded"
    updated, refunded = [json.loads(e["body"]) for e in double.events()[2:]]
    assert updated["type"] == "refund.updated" and updated["data"]["object"]["status"] == "succeeded"
    assert updated["data"]["previous_attributes"] == {"status": "pending"}
    assert refunded["type"] == "charge.refunded"
    charge = refunded["data"]["object"]
    assert (charge["id"], charge["amount_refunded"], charge["refunded"]) == (intent.latest_charge, 2000, False)
    assert [r["id"] for r in charge["refunds"]["data"]] and first.id in [r["id"] for r in charge["refunds"]["data"]]

    double.settle_refund(rest.id)
    charge = json.loads(double.events()[-1]["body"])["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (6050, True)
    assert (await client.v1.refunds.retrieve_async(rest.id)).status == "succeeded"
    answer = double.http.post(f"/_double/refunds/{rest.id}/settle", json={"outcome": "failed"})
    assert answer.status_code == 400  # already settled


async def test_a_failed_refund_frees_the_amount_again(double):
    client = sdk(double.base)
    _, intent = await paid_session(double, client)
    refund = await client.v1.refunds.create_async({"payment_intent": intent.id})
    bad = double.http.post(f"/_double/refunds/{refund.id}/settle", json={"outcome": "maybe"})
    assert bad.status_code == 400 and double.state.refunds[refund.id]["status"] == "pending"
    assert double.settle_refund(refund.id, "failed")["status"] == "failed"
    assert event_types(double)[2:] == ["refund.updated"]
    again = await client.v1.refunds.create_async({"payment_intent": intent.id})
    assert again.amount == 6050


async def test_refunds_settle_by_themselves_when_asked(receiver):
    with running_stripe_double(SECRET, webhook_url=receiver.url, settle_refunds="immediately") as double:
        client = sdk(double.base)
        _, intent = await paid_session(double, client)
        refund = await client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 1000})
        assert refund.status == "pending"
        deadline = time.monotonic() + 5
        while len(receiver.received) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [json.loads(r["body"])["type"] for r in receiver.received][2:] == ["refund.updated", "charge.refunded"]


# ---------------------------------------------------------------- expiry


async def test_expire_by_api_and_by_time(double):
    client = sdk(double.base)
    session = await client.v1.checkout.sessions.create_async(session_params())
    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.expire_async(session.id)
    assert event_types(double) == ["checkout.session.expired"]
    assert double.http.post(f"/_double/checkout/{session.id}/pay", json={}).status_code == 400

    later = await client.v1.checkout.sessions.create_async(session_params(expires_at=int(time.time()) + 3600))
    double.advance_clock(3599 - 5)
    assert (await client.v1.checkout.sessions.retrieve_async(later.id)).status == "open"
    double.advance_clock(10)
    assert (await client.v1.checkout.sessions.retrieve_async(later.id)).status == "expired"
    assert (await client.v1.checkout.sessions.retrieve_async(later.id)).status == "expired"
    assert double.http.get(f"/pay/{later.id}").status_code == 410
    assert event_types(double) == ["checkout.session.expired", "checkout.session.expired"]  # once per session


# ---------------------------------------------------------------- hosted page


async def test_hosted_page_shows_a_labelled_form(double):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    page = httpx.get(session.url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Test payment page (local Stripe double) — no real card is charged" in html
    assert "Writing Workshop" in html and "$50.00" in html and "Pay $60.50" in html
    assert "4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined" in html
    for field in ("email", "card_number", "expiry", "cvc"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert 'value="ana@district.example.org"' in html
    assert f'action="{double.base}/pay/{session.id}"' in html
    assert f'href="{CANCEL}">Cancel and go back' in html
    assert ":focus" in html and 'lang="en"' in html
    assert httpx.get(f"{double.base}/pay/cs_test_unknown").status_code == 404


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"card_number": "4242 4242 4242 4241"}, "Your card number is incorrect"),
        ({"card_number": "abcd"}, "12 to 19 digits"),
        ({"expiry": "01 / 20"}, "in the past"),
        ({"expiry": "13 / 40"}, "between 01 and 12"),
        ({"cvc": "12"}, "security code"),
        ({"email": "nobody"}, "email address"),
    ],
)
async def test_hosted_page_refuses_bad_card_details(double, form, message):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    fields = {
        "email": "ana@district.example.org",
        "card_number": "4242 4242 4242 4242",
        "expiry": "12 / 40",
        "cvc": "123",
        **form,
    }
    answer = httpx.post(session.url, data=fields)
    assert answer.status_code == 400 and message in answer.text and 'aria-invalid="true"' in answer.text
    assert double.state.sessions[session.id]["status"] == "open" and double.events() == []


async def test_hosted_page_survives_garbage(double):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    for content, ctype in (
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
        (b"{]", "application/json"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ):
        answer = httpx.post(session.url, content=content, headers={"Content-Type": ctype})
        assert answer.status_code == 400, answer.text
    assert double.state.sessions[session.id]["status"] == "open"


async def test_hosted_page_declines_then_pays_and_redirects(double):
    session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
    fields = {
        "email": "pay@district.example.org",
        "card_number": "4000 0000 0000 0002",
        "expiry": "12/40",
        "cvc": "123",
    }
    declined = httpx.post(session.url, data=fields)
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert double.state.sessions[session.id]["status"] == "open"

    paid = httpx.post(session.url, data={**fields, "card_number": "4242424242424242"})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://booking.example.org/paid?session={session.id}"
    done = await sdk(double.base).v1.checkout.sessions.retrieve_async(session.id)
    assert (done.status, done.payment_status, done.customer_details.email) == (
        "complete",
        "paid",
        "pay@district.example.org",
    )
    charge = double.state.charges[double.state.payment_intents[done.payment_intent]["latest_charge"]]
    assert charge["payment_method_details"]["card"]["last4"] == "4242"
    assert event_types(double) == ["payment_intent.succeeded", "checkout.session.completed"]
    again = httpx.get(session.url)
    assert "This payment is complete" in again.text and session.id in again.text
    assert httpx.post(session.url, data=fields).status_code == 200 and len(double.events()) == 2


# ---------------------------------------------------------------- webhook delivery


async def test_events_are_delivered_signed_before_the_action_answers(receiver):
    with running_stripe_double(SECRET, webhook_url=receiver.url) as double:
        client = sdk(double.base)
        session = await client.v1.checkout.sessions.create_async(session_params())
        double.pay(session.id)
        # delivered synchronously: already there when pay() returned
        assert [json.loads(r["body"])["type"] for r in receiver.received] == [
            "payment_intent.succeeded",
            "checkout.session.completed",
        ]
        for record in receiver.received:
            assert stripe.Webhook.construct_event(record["body"], record["signature"], SECRET)
        assert [e["status"] for e in double.events()] == ["delivered", "delivered"]
        assert double.events(pending=True) == []


async def test_held_events_can_be_delivered_out_of_order(receiver):
    with running_stripe_double(SECRET, webhook_url=receiver.url) as double:
        double.hold(True)
        session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
        double.pay(session.id)
        assert receiver.received == []
        intent_event, completed_event = double.events(pending=True)
        assert double.deliver(completed_event["id"]) == 200
        assert double.deliver(intent_event["id"]) == 200
        assert [json.loads(r["body"])["id"] for r in receiver.received] == [completed_event["id"], intent_event["id"]]
        assert double.events(pending=True) == []
        assert receiver.received[0]["body"].decode() == completed_event["body"]  # same body, freshly signed
        double.hold(False)


async def test_failed_delivery_stays_resendable(receiver):
    with running_stripe_double(SECRET, webhook_url=receiver.url) as double:
        receiver.status = 500
        session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
        paid = double.pay(session.id)  # the receiver's failure does not break the payment
        assert paid["status"] == "complete"
        pending = double.events(pending=True)
        assert [(e["status"], e["attempts"]) for e in pending] == [("failed", 1), ("failed", 1)]
        receiver.status = 200
        assert [double.deliver(e["id"]) for e in pending] == [200, 200]
        assert [(e["status"], e["attempts"]) for e in double.events()] == [("delivered", 2), ("delivered", 2)]
        bodies = [r["body"] for r in receiver.received]
        assert bodies[2:] == bodies[:2]  # same event ids and bodies on the resend


async def test_unreachable_webhook_url_is_recorded_not_raised():
    with serving(lambda base: Litestar([], logging_config=None)) as dead_base:
        pass  # the port is closed again: nothing listens there now
    with running_stripe_double(SECRET, webhook_url=f"{dead_base}/hook") as double:
        session = await sdk(double.base).v1.checkout.sessions.create_async(session_params())
        assert double.pay(session.id)["status"] == "complete"
        events = double.events(pending=True)
        assert len(events) == 2 and all(e["status"] == "failed" for e in events)
        assert double.deliver(events[0]["id"]) is None


# ---------------------------------------------------------------- mounted inside another app


def _naive_mount(double_app):
    @asgi("/_stripe", is_mount=True, copy_scope=True)
    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        await double_app(scope, receive, send)

    return forward


@pytest.mark.parametrize("mount", [mount_stripe_double, _naive_mount], ids=["mount_helper", "plain_forward"])
@pytest.mark.parametrize("root_path", ["", "/booking"])
async def test_mounted_inside_another_app(mount, root_path):
    @get("/hello")
    async def hello() -> str:
        return "outer app"

    def outer_app(base: str) -> Litestar:
        double_app = create_stripe_double(
            webhook_secret=SECRET, webhook_url=None, public_base=f"{base}{root_path}/_stripe", settle_refunds="manual"
        )
        return Litestar([hello, mount(double_app)], logging_config=None)

    with serving(outer_app, root_path=root_path) as base:
        # behind a proxy the browser uses base + root_path; the proxy strips root_path, so we call base directly
        stripe_base, public_base = f"{base}/_stripe", f"{base}{root_path}/_stripe"
        client = sdk(stripe_base)
        session = await client.v1.checkout.sessions.create_async(session_params())
        assert session.url == f"{public_base}/pay/{session.id}"
        page_url = f"{stripe_base}/pay/{session.id}"
        page = httpx.get(page_url)
        assert page.status_code == 200 and f'action="{public_base}/pay/{session.id}"' in page.text
        paid = httpx.post(
            page_url, data={"email": "a@b.org", "card_number": "4242424242424242", "expiry": "12/40", "cvc": "123"}
        )
        assert paid.status_code == 303 and session.id in paid.headers["location"]
        assert (await client.v1.checkout.sessions.retrieve_async(session.id)).payment_status == "paid"
        events = httpx.get(f"{stripe_base}/_double/events").json()
        assert [e["type"] for e in events] == ["payment_intent.succeeded", "checkout.session.completed"]
        unknown = httpx.get(f"{stripe_base}/v1/nothing", headers={"Authorization": "Bearer sk_test_x"})
        assert unknown.status_code == 404 and "Unrecognized request URL" in unknown.json()["error"]["message"]
        assert httpx.get(f"{base}/hello").text == "outer app"
