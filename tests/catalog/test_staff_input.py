"""What staff type: dollars to exact cents, Pacific date/times to UTC, wall-clock shifts across DST."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.catalog.validation import local_to_utc, parse_local_datetime, shift_local_days
from booking.errors import InvalidInput
from booking.money import parse_price

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("0", 0),
        ("45", 4500),
        ("45.5", 4550),
        ("45.50", 4550),
        ("$45.05", 4505),
        ("0.10", 10),
        ("1,200", 120000),
        ("$ 12,345.67", 1234567),
        ("19.99", 1999),
        ("100000", 10_000_000),
        ("  7 ", 700),
    ],
)
def test_dollars_become_exact_cents(typed, cents):
    assert parse_price(typed, "price") == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "two decimal places"),
        ("-5", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("abc", "in dollars"),
        ("12.", "in dollars"),
        (".5", "in dollars"),
        ("1,20", "in dollars"),
        ("1e3", "in dollars"),
        ("NaN", "in dollars"),
        ("100000.01", "from $0 to $100,000"),
        ("12,34.5", "in dollars"),
        ("٣", "in dollars"),
    ],
)
def test_bad_prices_are_refused_with_a_reason(typed, message):
    with pytest.raises(InvalidInput) as raised:
        parse_price(typed, "price")
    assert message in raised.value.field_errors["price"]


def test_blank_price_is_the_given_default():
    assert parse_price("", "nonmember_price") is None
    assert parse_price("  ", "price", blank=0) == 0


def test_local_times_become_utc_and_the_skipped_hour_is_refused():
    assert parse_local_datetime("2027-03-01T09:00", "x") == dt.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    assert parse_local_datetime("2027-07-01T09:00", "x") == dt.datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert parse_local_datetime("", "x") is None
    # 1:30 AM happens twice on Nov 7, 2027: the first one (PDT) is meant.
    assert local_to_utc(dt.datetime(2027, 11, 7, 1, 30), "x") == dt.datetime(2027, 11, 7, 8, 30, tzinfo=UTC)
    for bad in ("2027-03-14T02:30", "tomorrow", "2027-03-01T09:00+02:00"):
        with pytest.raises(InvalidInput):
            parse_local_datetime(bad, "x")


def test_shifting_by_days_keeps_the_wall_clock():
    nine_pst = dt.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    assert shift_local_days(nine_pst, 14) == dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC)
    assert shift_local_days(nine_pst, 0) == nine_pst
    assert shift_local_days(dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC), -14) == nine_pst
