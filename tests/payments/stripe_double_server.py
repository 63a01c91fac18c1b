"""Runs the local Stripe double (or any ASGI app) under uvicorn on a loopback port, in a thread.

with running_stripe_double("whsec_test") as double:
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": double.base}, http_client=stripe.HTTPXClient())
    ...
    double.pay(session.id)
    double.events()
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import uvicorn

from booking_stripe_double import DoubleState, create_stripe_double


@contextlib.contextmanager
def serving(app_for_base: Callable[[str], Any], root_path: str = "") -> Iterator[str]:
    """Serves the app made by `app_for_base(base_url)` and yields that base URL.

    The socket is bound before the app is built, so the app can know its own public address.
    uvicorn runs its own event loop in a background thread (it skips signal handlers off the main thread).
    `root_path` plays an app served behind a proxy under that prefix (uvicorn --root-path).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app_for_base(base), log_level="warning", lifespan="off", access_log=False, root_path=root_path
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.005)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


class RunningStripeDouble:
    """Sync helpers around the double's control endpoints (not part of Stripe's API)."""

    def __init__(self, base: str, app: Any, webhook_secret: str) -> None:
        self.base = base
        self.app = app
        self.webhook_secret = webhook_secret
        self.http = httpx.Client(base_url=base, timeout=15, trust_env=False)

    @property
    def state(self) -> DoubleState:
        return self.app.state.double

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise AssertionError(
                f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
            )
        return response.json()

    def events(self, pending: bool = False) -> list[dict]:
        return self._ok(self.http.get("/_double/events", params={"pending": "1"} if pending else None))

    def pay(self, cs_id: str, card: str = "4242424242424242", email: str | None = None) -> dict:
        body = {"card": card, **({"email": email} if email else {})}
        return self._ok(self.http.post(f"/_double/checkout/{cs_id}/pay", json=body))

    def deliver(self, evt_id: str) -> int | None:
        return self._ok(self.http.post(f"/_double/events/{evt_id}/deliver"))["status_code"]

    def settle_refund(self, re_id: str, outcome: str = "succeeded") -> dict:
        return self._ok(self.http.post(f"/_double/refunds/{re_id}/settle", json={"outcome": outcome}))

    def hold(self, hold: bool = True, flush: bool = False) -> None:
        self._ok(self.http.post("/_double/delivery", json={"hold": hold, "flush": flush}))

    def advance_clock(self, seconds: int) -> int:
        return self._ok(self.http.post("/_double/clock", json={"advance": seconds}))["now"]


@contextlib.contextmanager
def running_stripe_double(
    webhook_secret: str, webhook_url: str | None = None, settle_refunds: str = "immediately"
) -> Iterator[RunningStripeDouble]:
    apps: list = []

    def build(base: str):
        apps.append(
            create_stripe_double(
                webhook_secret=webhook_secret, webhook_url=webhook_url, public_base=base, settle_refunds=settle_refunds
            )
        )
        return apps[0]

    with serving(build) as base:
        double = RunningStripeDouble(base, apps[0], webhook_secret)
        try:
            yield double
        finally:
            double.http.close()
