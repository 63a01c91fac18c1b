"""booking.money: typed dollars to cents and cents back to text, exactly (never through a float)."""

from __future__ import annotations

import pytest

from booking.errors import InvalidInput
from booking.money import MAX_AMOUNT_CENTS, format_cents, parse_amount, plain_amount


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1200", 120_000),
        ("1,200.50", 120_050),
        ("$45", 4_500),
        (" $ 45.5 ", 4_550),
        ("0.01", 1),
        ("0.1", 10),
        ("1,000,000", MAX_AMOUNT_CENTS),
        ("999999.99", 99_999_999),
        # Amounts a float gets wrong: 0.29 * 100 == 28.999999999999996, 1.15 * 100 == 114.99999999999999.
        ("0.29", 29),
        ("1.15", 115),
        ("4.35", 435),
        ("19.99", 1_999),
        ("234,567.89", 23_456_789),
    ],
)
def test_typed_dollars_become_exact_cents(typed, cents):
    assert parse_amount(typed, "amount") == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount in dollars, like 1200 or 1,200.50."),
        (None, "Enter an amount in dollars, like 1200 or 1,200.50."),
        ("  $ ", "Enter an amount in dollars, like 1200 or 1,200.50."),
        ("-5", "Enter a positive amount."),
        ("$-5.00", "Enter a positive amount."),
        ("1.234", "Enter an amount in dollars and cents, like 1200 or 1,200.50."),
        ("12,00", "Enter an amount in dollars and cents, like 1200 or 1,200.50."),
        ("1e3", "Enter an amount in dollars and cents, like 1200 or 1,200.50."),
        ("NaN", "Enter an amount in dollars and cents, like 1200 or 1,200.50."),
        ("١٢", "Enter an amount in dollars and cents, like 1200 or 1,200.50."),  # Arabic-Indic digits are not dollars
        ("0", "Enter an amount above $0."),
        ("0.00", "Enter an amount above $0."),
        ("1,000,000.01", "That is more than $1,000,000. Check the amount."),
        ("99999999999999999999", "That is more than $1,000,000. Check the amount."),
    ],
)
def test_what_is_not_an_amount_is_refused_with_the_forms_words(typed, message):
    with pytest.raises(InvalidInput) as refused:
        parse_amount(typed, "amount")
    assert refused.value.field_errors == {"amount": message}


def test_zero_when_the_form_allows_it():
    assert parse_amount("0", "budget", allow_zero=True) == 0
    assert parse_amount("$0.00", "budget", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("cents", "shown", "plain"),
    [
        (0, "$0.00", "0.00"),
        (5, "$0.05", "0.05"),
        (99, "$0.99", "0.99"),
        (100, "$1.00", "1.00"),
        (123_450, "$1,234.50", "1234.50"),
        (-123_450, "-$1,234.50", "-1234.50"),
        (-5, "-$0.05", "-0.05"),
        (MAX_AMOUNT_CENTS, "$1,000,000.00", "1000000.00"),
        (123_456_789_012_345_678, "$1,234,567,890,123,456.78", "1234567890123456.78"),  # past a float's 2**53
    ],
)
def test_cents_written_for_people_and_for_fields(cents, shown, plain):
    assert format_cents(cents) == shown
    assert plain_amount(cents) == plain
    assert format_cents(cents, symbol="") == shown.replace("$", "")
    if 0 <= cents <= MAX_AMOUNT_CENTS:  # what a field shows, parse_amount reads back
        assert parse_amount(plain, "amount", allow_zero=True) == cents


def test_nothing_to_show_is_empty():
    assert format_cents(None) == "" and plain_amount(None) == ""


def test_the_money_filter_of_the_templates_is_format_cents():
    from booking.templating import environment

    template = environment().from_string("{{ a|money }} {{ b|money }} [{{ c|money }}]")
    assert template.render(a=120_050, b=-99, c=None) == "$1,200.50 -$0.99 []"


def test_a_price_is_read_with_the_catalogs_words():
    from booking.money import MAX_PRICE_CENTS, parse_price

    assert parse_price("45.5", "price") == 4_550 and parse_price("$1,200.00", "price") == 120_000
    assert (
        parse_price("0", "price") == 0 and parse_price("", "price") is None and parse_price(" ", "price", blank=0) == 0
    )
    assert parse_price("100,000", "price") == MAX_PRICE_CENTS and parse_price("0.29", "price") == 29
    for typed, message in (
        ("-1", "A price cannot be negative. Enter 0 for a free workshop."),
        ("4.999", "Use at most two decimal places (dollars and cents, like 45.50)."),
        ("4,5", "Enter an amount in dollars, like 45 or 45.50."),
        ("100,000.01", "Enter a price from $0 to $100,000."),
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_price(typed, "price")
        assert refused.value.field_errors == {"price": message}
