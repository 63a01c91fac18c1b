"""Domain errors: a stable code and a human message, no HTTP.

`booking.web.error_handlers` is the single place that turns them into responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigurationError(Exception):
    """The environment is set up wrongly; raised at start-up, never per request."""


class DomainError(Exception):
    code = "domain_error"
    status_hint = 400  # used only by the web layer's mapping
    title = "Request not possible"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    """One or more fields are wrong. `field_errors` maps field name to message."""

    code = "invalid_input"
    status_hint = 422
    title = "Please check the form"

    def __init__(self, field_errors: dict[str, str], message: str | None = None):
        self.field_errors = dict(field_errors)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in field_errors.items()))


class NotFound(DomainError):
    code = "not_found"
    status_hint = 404
    title = "Not found"


class Forbidden(DomainError):
    code = "forbidden"
    status_hint = 403
    title = "Not allowed"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status_hint = 401
    title = "Sign-in required"


class Conflict(DomainError):
    code = "conflict"
    status_hint = 409
    title = "Conflict"


class RateLimited(DomainError):
    code = "rate_limited"
    status_hint = 429
    title = "Too many attempts"


class Busy(DomainError):
    """The database stayed locked longer than we are willing to make a person wait."""

    code = "busy"
    status_hint = 503
    title = "Busy, please try again"


def collect_field_errors(errors: dict[str, str], parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one field's parser; on InvalidInput add its messages to `errors` and return None.

    Lets a form report every bad field at once instead of stopping at the first.
    """
    try:
        return parse(*args, **kwargs)
    except InvalidInput as error:
        errors.update(error.field_errors)
        return None
