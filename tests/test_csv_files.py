"""booking.csv_files: what Excel opens (BOM, CRLF, quoting) and what a spreadsheet must never run."""

from __future__ import annotations

import csv
import io

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from booking.csv_files import BOM, CsvFile, csv_response, csv_text, defuse, to_csv
from booking.money import plain_amount


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("Ana = Lopez", "Ana = Lopez"),
        (" =1", " =1"),
        ("", ""),
        ("PO 12", "PO 12"),
        ("Nguyễn Thị Hồng", "Nguyễn Thị Hồng"),
        (3, "3"),
        (-3, "'-3"),
        (1.5, "1.5"),
        (None, ""),
        (True, "True"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(value, cell):
    assert defuse(value) == cell


def test_to_csv_defuses_every_cell_and_starts_with_the_bom():
    text = to_csv(["Name", "=Header"], [["=cmd|' /C calc'!A0", None, 7, -2], ['Said "hi", left', "a\nb"]])
    assert text == (BOM + 'Name,\'=Header\r\n\'=cmd|\' /C calc\'!A0,,7,\'-2\r\n"Said ""hi"", left","a\nb"\r\n')
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert rows[2] == ['Said "hi", left', "a\nb"]


def test_csv_text_writes_cells_as_given_so_amounts_stay_numbers():
    rows = [[defuse("-credit"), plain_amount(-12_345), plain_amount(100_000_000_00)]]
    assert csv_text(("note", "amount", "big"), rows) == "note,amount,big\r\n'-credit,-123.45,100000000.00\r\n"
    assert csv_text(["a"], [], bom=True) == BOM + "a\r\n"
    assert csv_text(["a", None], [[1, None]]) == "a,\r\n1,\r\n"


def test_the_response_is_an_attachment_in_utf8_and_keeps_the_bytes():
    file = CsvFile("roster.csv", to_csv(["Name"], [["Zoë"]]))

    @get("/plain", sync_to_thread=False)
    def plain() -> object:
        return csv_response(*file)

    @get("/private", sync_to_thread=False)
    def private() -> object:
        return csv_response("aging.csv", csv_text(["a"], [["1"]]).encode("utf-8"), cache_control="private, no-store")

    with TestClient(Litestar([plain, private])) as client:
        response = client.get("/plain")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == 'attachment; filename="roster.csv"'
        assert response.headers["cache-control"] == "no-store"
        assert response.content == "\ufeffName\r\nZoë\r\n".encode("utf-8")
        other = client.get("/private")
        assert other.headers["cache-control"] == "private, no-store" and other.content == b"a\r\n1\r\n"
        assert other.headers["content-type"] == "text/csv; charset=utf-8"
