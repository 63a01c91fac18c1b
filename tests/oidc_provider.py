"""A real OpenID Connect provider on loopback (`oidc-provider-mock` from PyPI), shared by the run.

It signs ID tokens with its own RSA key (published at /jwks), accepts any client id and secret, and
lets a test choose who signs in: `provider.sign_in_as(authorize_url, sub, claims)` plays the person
who clicks "Authorize" at the provider and returns the redirect back to us (with code and state).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


@dataclass
class RunningProvider:
    issuer: str

    def set_user(self, sub: str, claims: dict) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10, trust_env=False)
        assert response.status_code == 204, response.text

    def answer(self, authorize_url: str, sub: str, *, action: str = "authorize") -> httpx.Response:
        """The provider's answer when the person consents (or denies): a redirect to our callback."""
        assert authorize_url.startswith(self.issuer + "/"), authorize_url
        response = httpx.post(authorize_url, data={"sub": sub, "action": action}, timeout=10, trust_env=False)
        assert response.status_code == 302, (
            f"the provider refused the request: {response.status_code} {response.text[:500]}"
        )
        return response

    def sign_in_as(self, authorize_url: str, sub: str, claims: dict | None = None, *, action: str = "authorize") -> str:
        """Path and query of our callback, as the provider sends the browser back."""
        if claims is not None:
            self.set_user(sub, claims)
        location = self.answer(authorize_url, sub, action=action).headers["location"]
        parts = urlsplit(location)
        return f"{parts.path}?{parts.query}"


def callback_query(path_and_query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(path_and_query).query).items()}


# The provider's own request and grant logs (it logs the URLs it receives, state and code included):
# they are the district's system's logs, not ours, so they stay out of the run's secret scan
# (tests/log_scan.py), which keeps scanning everything our code logs.
PROVIDER_LOGGERS = ("werkzeug", "authlib", "oidc_provider_mock")


@contextmanager
def running_oidc_provider():
    import logging

    import werkzeug.serving
    from oidc_provider_mock import app

    for name in PROVIDER_LOGGERS:
        logging.getLogger(name).propagate = False

    server = werkzeug.serving.make_server("127.0.0.1", 0, app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield RunningProvider(issuer=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture(scope="session")
def oidc_provider():
    with running_oidc_provider() as provider:
        yield provider
