"""The input boundary: every query string, form and JSON body is checked once, before any handler reads it.

`check_input` is the app's `before_request` hook: Litestar calls it after routing and the
guards and before it decodes a handler's parameters or `data`, so nothing a handler or use
case reads has escaped it. It refuses, with a 4xx that names the field and before anything
is changed:

* text with NUL or other control characters, or with lone surrogates (tab, newline and
  carriage return stay allowed: textareas send them, and single-line fields fold whitespace);
* oversized values, too many fields or query parameters, JSON nested too deeply (checked on
  the raw bytes, before a decoder can recurse), JSON lists or objects that are too long,
  numbers that are not finite or do not fit 64 bits;
* path parameters that cannot name anything (control characters, absurd lengths): 404.

Request bodies as a whole are bounded by the app's `request_max_body_size` (413); routes that
take uploads raise it for themselves. What a field means (a number, a date in range) is
decided by the typed parsers of `booking.fields`, which handlers and use cases call.
A handler that must see its body exactly as sent (a signed webhook) opts out of the body
checks with `opt={RAW_BODY: True}`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import SerializationException

from booking.errors import InvalidInput, NotFound
from booking.fields import text_problem

RAW_BODY = "raw_body"  # route opt: the handler verifies and reads its body itself

MAX_BODY_BYTES = 2 * 1024 * 1024  # the app's limit; upload routes set their own
UPLOAD_FORM_SLACK = (
    1024 * 1024
)  # an upload route's limit: its file's limit plus this, so a file somewhat too large still gets its clear message
MAX_QUERY_PARAMS = 100
MAX_QUERY_VALUE_CHARS = 2_000
MAX_FORM_FIELDS = 5_000  # the Sly Park student grid: up to 420 rows of 5 fields
MAX_TEXT_CHARS = 100_000  # one form value or JSON string; each field has its own, smaller limit
MAX_JSON_DEPTH = 16
MAX_JSON_ITEMS = 1_000  # items of one JSON list, or keys of one object
MAX_PATH_PARAM_CHARS = 300
MAX_REPORTED = 20  # field errors reported at once
INT64 = 2**63

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class MalformedInput(InvalidInput):
    """The request as a whole cannot be read (not JSON, nested too deeply): 400, not 422."""

    code = "malformed_input"
    status_hint = 400
    title = "The request could not be read"


async def check_input(request: Request) -> None:
    _check_path_params(request)
    errors: dict[str, str] = {}
    _check_query(request, errors)
    if not request.route_handler.opt.get(RAW_BODY) and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        media_type, _ = request.content_type
        if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            await _check_form(request, errors)
        elif media_type == "application/json" or media_type.endswith("+json"):
            await _check_json(request, errors)
    if errors:
        raise InvalidInput(dict(list(errors.items())[:MAX_REPORTED]))


def _check_path_params(request: Request) -> None:
    for value in request.path_params.values():
        if isinstance(value, str) and (len(value) > MAX_PATH_PARAM_CHARS or text_problem(value, multiline=False)):
            raise NotFound("There is nothing at this address.")


def _field_label(name: str) -> str:
    """A field name safe to show back: its own control characters would be refused too."""
    return name[:80] if not text_problem(name, multiline=False) else repr(name[:40])


def _check_text(errors: dict[str, str], name: str, value: str, limit: int) -> None:
    if len(errors) >= MAX_REPORTED:
        return
    label = _field_label(name)
    if label != name:
        errors[label] = "This field's name contains characters that cannot be stored."
        return
    problem = text_problem(value)
    if problem:
        errors[label] = problem
    elif len(value) > limit:
        errors[label] = f"This is too long: use at most {limit:,} characters."


def _check_query(request: Request, errors: dict[str, str]) -> None:
    items = list(request.query_params.multi_items())
    if len(items) > MAX_QUERY_PARAMS:
        errors["query"] = f"Too many query parameters: at most {MAX_QUERY_PARAMS}."
        return
    for name, value in items:
        _check_text(errors, name, value, MAX_QUERY_VALUE_CHARS)


async def _check_form(request: Request, errors: dict[str, str]) -> None:
    form = await request.form()  # parsed once; Litestar keeps it for the CSRF check and the handler
    items = list(form.multi_items())
    if len(items) > MAX_FORM_FIELDS:
        raise InvalidInput({"form": f"This form sends too many fields: at most {MAX_FORM_FIELDS:,}."})
    for name, value in items:
        if isinstance(value, UploadFile):
            _check_text(errors, name, value.filename or "", 255)
        elif isinstance(value, str):
            _check_text(errors, name, value, MAX_TEXT_CHARS)


def json_depth(body: bytes, limit: int) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped), counting no further
    than `limit` + 1: checked before decoding, so a decoder never recurses into a hostile body."""
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b'""', body).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


async def _check_json(request: Request, errors: dict[str, str]) -> None:
    body = await request.body()
    if not body.strip():
        return
    if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise MalformedInput({"body": f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."})
    try:
        data = await request.json()  # decoded once; Litestar keeps it for the handler's `data`
    except (SerializationException, ValueError, RecursionError):
        raise MalformedInput({"body": "The request body is not valid JSON."}) from None
    _walk_json(data, "", errors)


def _walk_json(value: Any, path: str, errors: dict[str, str]) -> None:
    if len(errors) >= MAX_REPORTED:
        return
    name = path or "body"
    if isinstance(value, str):
        _check_text(errors, name, value, MAX_TEXT_CHARS)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -INT64 <= value < INT64:
            errors[name] = "This number is too large."
    elif isinstance(value, float):
        if not math.isfinite(value):
            errors[name] = "Give a finite number."
    elif isinstance(value, list):
        if len(value) > MAX_JSON_ITEMS:
            errors[name] = f"Too many items: at most {MAX_JSON_ITEMS:,}."
            return
        for index, item in enumerate(value):
            _walk_json(item, f"{path}[{index}]", errors)
    elif isinstance(value, dict):
        if len(value) > MAX_JSON_ITEMS:
            errors[name] = f"Too many keys: at most {MAX_JSON_ITEMS:,}."
            return
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if text_problem(str(key), multiline=False) or len(str(key)) > 200:
                errors[_field_label(key_path)] = "This key contains characters that cannot be stored."
                continue
            _walk_json(item, key_path, errors)
