"""Small helpers to read HTML form values; validation itself lives in the use cases."""

from __future__ import annotations

from booking.errors import InvalidInput


def text(form, name: str, max_length: int = 2000) -> str:
    value = form.get(name) or ""
    if not isinstance(value, str):
        raise InvalidInput({name: "Expected text."})
    if len(value) > max_length:
        raise InvalidInput({name: f"Use at most {max_length} characters."})
    return value


def optional_id(form, name: str) -> int | None:
    value = (form.get(name) or "").strip() if isinstance(form.get(name), str) else ""
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InvalidInput({name: "Choose an option from the list."})
    return int(value)


def checkbox(form, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def client_address(request) -> str:
    return request.client.host if request.client else "unknown"
