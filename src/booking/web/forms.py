"""Typed form input: one msgspec Struct per HTML form, decoded by `read_form`.

A package declares the fields a form sends as a Struct (in its `forms.py`, or in `schemas.py` when
the JSON API takes the same input), and its handler reads the request with

    entry = await read_form(request, OfferingForm)

Every field is checked, and every wrong field is reported at once in one `InvalidInput`, which the
pages render beside the fields (422). The Struct checks the *shape* of the input: text and its
length, ticked boxes, ids picked from a list, repeated fields, uploads. What the values mean (a
date in the season, a price that is not negative) stays with the use cases and `booking.fields`.

Field types and what a form sends for them:

* `str` (optionally `Annotated[str, Meta(max_length=N)]`, see `Text`): the field's text, "" when
  absent; more than N characters (2,000 by default) is "Use at most N characters.";
* `bool`: a ticked checkbox ("on", "true", "1" or "yes"), False when absent;
* `int | None` (see `OptionalId`): an id picked from a list, None when empty;
* `list[str]`: every value of a repeated field (checkbox groups, grids), text-checked one by one;
* `UploadFile | None`: the uploaded file, None when no file was sent;
* anything else msgspec can convert from text (`int`, `Decimal`, `datetime.date`, ...).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from booking.errors import InvalidInput
from booking.web.input_boundary import MAX_TEXT_CHARS

DEFAULT_MAX_LENGTH = 2000

S = TypeVar("S", bound=msgspec.Struct)


def text_field(max_length: int = DEFAULT_MAX_LENGTH) -> Any:
    """The annotation of a text field of at most `max_length` characters."""
    return Annotated[str, msgspec.Meta(max_length=max_length)]


Text = Annotated[str, msgspec.Meta(max_length=DEFAULT_MAX_LENGTH)]
# Bounded only by the input boundary: for fields whose use case says "too long" in its own words, or whose
# page shows the text again beside the use case's message.
AnyText = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
OptionalId = int | None


class Form(msgspec.Struct, kw_only=True):
    """Base of page forms: fields the form does not declare (the CSRF token, buttons) are ignored."""


async def read_form(request: Request, schema: type[S]) -> S:
    return decode_form(await request.form(), schema)


def decode_form(form: Any, schema: type[S]) -> S:
    """`form` is anything with `get` (and `getall` for repeated fields): a form body or query parameters."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    hints = typing.get_type_hints(schema, include_extras=True)
    for field in msgspec.structs.fields(schema):
        name = field.encode_name
        try:
            value = _field_value(form, name, hints[field.name])
        except InvalidInput as error:
            errors.update(error.field_errors)
            continue
        if value is _ABSENT:
            if field.required:
                errors[name] = "This field is required."
            continue
        values[field.name] = value
    if errors:
        raise InvalidInput(errors)
    return schema(**values)


_ABSENT = object()
_TRUE_WORDS = ("on", "true", "1", "yes")


def _unwrap(annotation: Any) -> tuple[Any, int | None]:
    """The bare type and the max_length of an `Annotated[..., Meta(max_length=N)]` annotation."""
    max_length = None
    if typing.get_origin(annotation) is Annotated:
        annotation, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, msgspec.Meta) and extra.max_length is not None:
                max_length = extra.max_length
    return annotation, max_length


def _optional_of(annotation: Any) -> Any | None:
    """T for `T | None`, else None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        if len(members) == 1 and len(typing.get_args(annotation)) == 2:
            return members[0]
    return None


def _text(name: str, raw: Any, max_length: int | None) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput({name: "Expected text."})
    limit = max_length if max_length is not None else DEFAULT_MAX_LENGTH
    if len(raw) > limit:
        raise InvalidInput({name: f"Use at most {limit} characters."})
    return raw


def _field_value(form: Any, name: str, annotation: Any) -> Any:
    bare, max_length = _unwrap(annotation)
    if bare is str:
        return _text(name, form.get(name), max_length)
    if bare is bool:
        return form.get(name) in _TRUE_WORDS
    if typing.get_origin(bare) is list:
        (item_type,) = typing.get_args(bare)
        item_bare, item_max = _unwrap(item_type)
        raws = form.getall(name) if hasattr(form, "getall") and name in form else []
        if item_bare is str:
            return [_text(name, raw, item_max) for raw in raws]
        return [_converted(name, raw, item_bare) for raw in raws]
    inner = _optional_of(bare)
    if inner is UploadFile:
        raw = form.get(name)
        return raw if isinstance(raw, UploadFile) else None
    if inner is int:
        return optional_id(form, name)
    raw = form.get(name)
    if inner is not None:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        return _converted(name, raw, inner)
    if raw is None:
        return _ABSENT
    return _converted(name, raw, bare)


_TYPE_MESSAGES = {
    int: "Enter a whole number.",
    Decimal: "Enter a number.",
    dt.date: "Enter a date as YYYY-MM-DD.",
    dt.datetime: "Enter a date and time.",
}


def _converted(name: str, raw: Any, target: Any) -> Any:
    if not isinstance(raw, str):
        raise InvalidInput({name: "Expected text."})
    try:
        return msgspec.convert(raw.strip(), target, strict=False)
    except msgspec.ValidationError:
        raise InvalidInput({name: _TYPE_MESSAGES.get(target, "Check this value.")}) from None


# --- Read one field by hand: an id picked from a list, outside a Struct (a grid, a query string). ---


def optional_id(form: Any, name: str) -> int | None:
    value = (form.get(name) or "").strip() if isinstance(form.get(name), str) else ""
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InvalidInput({name: "Choose an option from the list."})
    return int(value)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
