"""Money formatting and parsing in minor units."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shophub.core.money import AmountError, exponent, format_amount, format_money, parse_amount


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (1250, "USD", "$12.50"),
        (123456789, "USD", "$1,234,567.89"),
        (-1999, "EUR", "-€19.99"),
        (1200, "JPY", "¥1,200"),
        (1, "KRW", "₩1"),
        (12345, "KWD", "12.345 KWD"),
        (1000, "SEK", "10.00 SEK"),
    ],
)
def test_format_money(cents, currency, expected):
    assert format_money(cents, currency) == expected


def test_zero_decimal_currency_has_exponent_zero():
    assert exponent("JPY") == 0
    assert exponent("jpy") == 0
    assert format_amount(1234, "JPY") == "1,234"


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="unknown currency"):
        exponent("XXX")


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12", "USD", 1200),
        (" 1,234.56 ", "USD", 123456),
        ("$7", "USD", 700),
        ("0", "USD", 0),
        ("1200", "JPY", 1200),
        ("1,200", "JPY", 1200),
        ("1.005", "KWD", 1005),
    ],
)
def test_parse_amount(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "USD", "Enter an amount"),
        ("abc", "USD", "is not an amount"),
        ("nan", "USD", "is not an amount"),
        ("inf", "USD", "is not an amount"),
        ("-5", "USD", "cannot be negative"),
        ("1.234", "USD", "at most 2 decimals"),
        ("12.5", "JPY", "JPY amounts have no decimals"),
        ("1e30", "USD", "too large"),
    ],
)
def test_parse_amount_refuses_bad_input(text, currency, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


@given(st.integers(min_value=0, max_value=10**8), st.sampled_from(["USD", "JPY", "KWD"]))
def test_format_then_parse_round_trips(cents, currency):
    assert parse_amount(format_amount(cents, currency), currency) == cents
