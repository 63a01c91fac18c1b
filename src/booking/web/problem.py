"""RFC 9457 problem details for /api."""

from __future__ import annotations

import json

import msgspec
from litestar import Response
from litestar.openapi import ResponseSpec
from litestar.types import Send

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct):
    """The body of every /api error (RFC 9457), as the OpenAPI document describes it."""

    type: str
    status: int
    title: str
    detail: str
    code: str  # stable: invalid_input, malformed_input, unauthenticated, forbidden, not_found, conflict, ...
    errors: dict[str, str] | msgspec.UnsetType = msgspec.UNSET  # bad input: field -> what is wrong with it


_PROBLEM_DESCRIPTIONS = {
    400: "The request could not be read: not JSON, nested too deeply, or of the wrong shape (`errors` names the fields)",
    401: "No valid API token: missing where one is needed, or unknown, revoked or its owner deactivated",
    403: "The token's owner may not do this",
    404: "No such item, or not one the token's owner may see",
    409: "The item's state does not allow this (already cancelled, already registered, full ...)",
    413: "The request body is too large",
    422: "Bad input: `errors` maps each field to what is wrong with it; nothing was changed",
    429: "Too many attempts; try again later",
    503: "The database is busy; nothing was changed, try again",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for an /api operation's errors, each application/problem+json."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            description=_PROBLEM_DESCRIPTIONS[status],
        )
        for status in statuses
    }


def problem_response(
    status: int, code: str, title: str, detail: str, *, headers: dict | None = None, extra: dict | None = None
) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, "code": code, **(extra or {})}
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_problem(
    send: Send, status: int, code: str, title: str, detail: str, *, headers: dict | None = None
) -> None:
    """The same body as `problem_response`, sent from middleware that runs before routing."""
    body = json.dumps(
        {"type": "about:blank", "status": status, "title": title, "detail": detail, "code": code}
    ).encode()
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
