"""The single place where errors become responses.

/api → RFC 9457 problem+json; htmx → a message fragment swapped into #messages; any other
request → a full, friendly page. Bad input never becomes a 500.
"""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template

from booking.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from booking.web.auth import is_api_path
from booking.web.pages import base_context, wants_fragment
from booking.web.problem import problem_response

log = logging.getLogger("booking.errors")

_HTTP_CODES = {
    400: ("invalid_input", "Bad request"),
    401: ("unauthenticated", "Sign-in required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too_large", "Too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_input", "Please check the input"),
    429: ("rate_limited", "Too many attempts"),
    500: ("internal_error", "Something went wrong"),
    503: ("busy", "Busy, please try again"),
}

_PAGE_MESSAGES = {
    403: "You do not have access to this page. If you think you should, ask SCOE's program staff.",
    404: "We could not find that page. It may have moved, or the address may be mistyped.",
    500: "Something went wrong on our side. Nothing was changed. Please try again in a moment.",
}


def _html_error(request: Request, status: int, title: str, message: str, field_errors: dict | None = None) -> Response:
    context = {
        **base_context(request),
        "status": status,
        "title": title,
        "message": message,
        "field_errors": field_errors or {},
    }
    if wants_fragment(request):
        return Template(
            template_name="_error.html",
            media_type="text/html",
            context=context,
            status_code=status,
            headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML", "Vary": "HX-Request"},
        )
    return Template(
        template_name="errors/page.html",
        media_type="text/html",
        context=context,
        status_code=status,
        headers={"Vary": "HX-Request"},
    )


def _sign_in_redirect(request: Request) -> Response:
    target = f"/sign-in?next={request.url.path}"
    if wants_fragment(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def handle_domain_error(request: Request, error: DomainError) -> Response:
    status = error.status_hint
    if is_api_path(request.url.path):
        extra = {"errors": error.field_errors} if isinstance(error, InvalidInput) else None
        return problem_response(status, error.code, error.title, error.message, extra=extra)
    if isinstance(error, Unauthenticated):
        return _sign_in_redirect(request)
    field_errors = error.field_errors if isinstance(error, InvalidInput) else None
    return _html_error(request, status, error.title, error.message, field_errors)


def handle_http_exception(request: Request, error: HTTPException) -> Response:
    status = error.status_code
    code, title = _HTTP_CODES.get(status, ("error", "Error"))
    detail = error.detail if isinstance(error.detail, str) else title
    if status == 403 and "csrf" in detail.lower():
        code, detail = "csrf_failed", "This form expired or was sent from elsewhere. Reload the page and try again."
    if is_api_path(request.url.path):
        extra = None
        if isinstance(error, ValidationException) and error.extra:
            extra = {"errors": _field_errors(error.extra)}
            code, detail = "invalid_input", "The request body or parameters are not valid."
        return problem_response(status, code, title, detail, headers=getattr(error, "headers", None), extra=extra)
    if status == 401:
        return _sign_in_redirect(request)
    message = _PAGE_MESSAGES.get(status, detail)
    if status == 403 and code == "csrf_failed":
        message = detail
    if status in (400, 422) and isinstance(error, ValidationException):
        message = "Some of what was sent is not valid. Please check the form and try again."
    return _html_error(request, status, title, message)


def _field_errors(extra) -> dict[str, str]:
    """Litestar's validation details ([{"key": "capacity", "message": ...}]) as the one shape every
    problem's `errors` has: field -> message."""
    if isinstance(extra, dict):
        return {str(key): str(value) for key, value in extra.items()}
    errors: dict[str, str] = {}
    for item in extra if isinstance(extra, list) else [extra]:
        if isinstance(item, dict):
            errors[str(item.get("key") or item.get("source") or "body")] = str(item.get("message", "is not valid"))
        else:
            errors["body"] = str(item)
    return errors


def _is_id_out_of_range(error: Exception) -> bool:
    """An id in a URL beyond the database's integer range can name nothing: that is a 404, not a 500.

    Only integers: a date out of range is bad input that the typed parsers (booking.fields) refuse
    with a 422 naming the field; one that still reached the database is a bug to see, not a 404."""
    import asyncpg

    if isinstance(error, asyncpg.exceptions.NumericValueOutOfRangeError):
        return True
    text = str(error)
    if isinstance(error, asyncpg.exceptions.DataError) and ("int32 range" in text or "int64 range" in text):
        return True
    return isinstance(error, OverflowError) and ("SQLite INTEGER" in text or "int32 range" in text)


def handle_unexpected(request: Request, error: Exception) -> Response:
    if _is_id_out_of_range(error):
        return handle_domain_error(request, NotFound("No such item."))
    # The route's template, never the path itself: a path can hold a sign-in link's or a feed's token.
    route = request.scope.get("path_template") or "unmatched"
    log.exception("unhandled error on %s %s", request.method, route, exc_info=error)
    if is_api_path(request.url.path):
        return problem_response(
            500, "internal_error", "Something went wrong", "An unexpected error occurred; nothing was changed."
        )
    return _html_error(request, 500, "Something went wrong", _PAGE_MESSAGES[500])


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
