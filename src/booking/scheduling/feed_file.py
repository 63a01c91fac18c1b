"""GET /calendar/{token}.ics: a private calendar feed, answering conditional requests with 304."""

from __future__ import annotations

import re

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from booking.errors import NotFound
from booking.scheduling.feeds import answer_feed

_FILE_NAME = re.compile(r"^([A-Za-z0-9_-]{43})\.ics$")


class CalendarFeedController(Controller):
    path = "/calendar"
    include_in_schema = False

    @get("/{file_name:str}", cache_control=None, name="scheduling.calendar_feed")
    async def feed(self, request: Request, file_name: FromPath[str]) -> Response:
        match = _FILE_NAME.match(file_name)
        if match is None:
            raise NotFound("No such calendar.")
        answer = await answer_feed(
            match.group(1),
            if_none_match=request.headers.get("if-none-match"),
            if_modified_since=request.headers.get("if-modified-since"),
        )
        headers = {
            "ETag": answer.etag,
            "Last-Modified": answer.last_modified_header,
            # Calendar apps poll; every poll revalidates, and shared caches never keep a private feed.
            "Cache-Control": "private, no-cache",
            "X-Robots-Tag": "noindex, nofollow",
            "Referrer-Policy": "no-referrer",
        }
        if answer.not_modified:
            return Response(content=b"", status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
        return Response(content=answer.body, media_type="text/calendar; charset=utf-8", headers=headers)
