"""RFC 9457 problem details for /api."""

from __future__ import annotations

import json

from litestar import Response
from litestar.types import Send

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(
    status: int, code: str, title: str, detail: str, *, headers: dict | None = None, extra: dict | None = None
) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, "code": code, **(extra or {})}
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_problem(send: Send, status: int, code: str, title: str, detail: str, *, headers: dict | None = None) -> None:
    """The same body as `problem_response`, sent from middleware that runs before routing."""
    body = json.dumps({"type": "about:blank", "status": status, "title": title, "detail": detail, "code": code}).encode()
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
