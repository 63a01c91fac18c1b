"""CSV files that open in Excel, and the response that carries one.

UTF-8 (most exports start with a byte-order mark, so Excel reads the accents), CRLF lines,
quoting by the csv module. A cell that a spreadsheet would read as a formula (= + - @, or a
leading tab or carriage return) gets a leading apostrophe, so a name typed as
"=HYPERLINK(...)" is shown as text, never run (`defuse`). Amounts we write ourselves
(booking.money.plain_amount, "-12.50") are numbers and are left alone by the callers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from litestar import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> str:
    """A cell as text a spreadsheet shows and never runs; None is an empty cell."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """The cells as given (the caller defuses what needs it), CRLF lines; `bom` puts the byte-order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()


def to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """Every cell defused (numbers included: "-3" becomes "'-3"), with the byte-order mark."""
    return csv_text([defuse(cell) for cell in header], ([defuse(cell) for cell in row] for row in rows), bom=True)


def csv_response(filename: str, content: str | bytes, *, cache_control: str = "no-store") -> Response[bytes]:
    """A CSV download (text is sent as UTF-8 as it is: a BOM only if the text has one).

    Litestar adds "; charset=utf-8" to a text/ media type: the header reads "text/csv; charset=utf-8"."""
    body = content.encode("utf-8") if isinstance(content, str) else content
    return Response(
        content=body,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": cache_control},
    )


class CsvFile(NamedTuple):
    """An export: its file name and its text (send it with `csv_response(*file)`)."""

    filename: str
    text: str
