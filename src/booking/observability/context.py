"""The request id of the work in progress, carried from a request into its outbox rows and the worker's lines."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("booking_request_id", default="")
# Where the request in progress came from, for the audit trail (booking.audit).
_client_address: ContextVar[str] = ContextVar("booking_client_address", default="")

# What we accept from a proxy's X-Request-ID (nginx's $request_id is 32 hex digits); anything else is replaced.
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_request_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


def accepted_request_id(candidate: str | None) -> str | None:
    """A proxy's id when it is safe to log and store as it is, else None."""
    if candidate and _ACCEPTED.fullmatch(candidate):
        return candidate
    return None


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def request_id_set(request_id: str) -> Iterator[str]:
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def use_request_id(request_id: str):
    """Set the id for what follows in this context (a worker pass); returns a token for `restore_request_id`."""
    return _request_id.set(request_id)


def restore_request_id(token) -> None:
    _request_id.reset(token)


def current_client_address() -> str:
    return _client_address.get()


@contextmanager
def client_address_set(address: str) -> Iterator[str]:
    token = _client_address.set(address)
    try:
        yield address
    finally:
        _client_address.reset(token)
