"""The date filters templates use: UTC, fixed formats, English month names, None as ''."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shophub.web.filters import format_date, format_datetime

MOMENT = datetime(2026, 12, 1, 14, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(("style", "text"), [
    ("minutes", "2026-12-01 14:30"),
    ("seconds", "2026-12-01 14:30:05"),
    ("day", "2026-12-01"),
    ("time", "14:30"),
])
def test_datetime_styles(style, text):
    assert format_datetime(MOMENT, style) == text


def test_datetime_defaults_to_minutes():
    assert format_datetime(MOMENT) == "2026-12-01 14:30"


def test_a_naive_moment_is_taken_as_utc():
    assert format_datetime(MOMENT.replace(tzinfo=None)) == "2026-12-01 14:30"
    assert format_date(datetime(2026, 12, 1, 0, 30)) == "1 December 2026"


def test_an_aware_moment_is_shown_in_utc():
    new_york = MOMENT.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(new_york) == "2026-12-01 14:30"
    assert format_date(datetime(2026, 11, 30, 20, 0, tzinfo=timezone(timedelta(hours=-5)))) \
        == "1 December 2026"


def test_the_long_date_has_no_leading_zero():
    assert format_date(MOMENT) == "1 December 2026"
    assert format_date(MOMENT, with_time=True) == "1 December 2026, 14:30"
    assert format_date(datetime(2026, 3, 9, 7, 5, tzinfo=UTC), with_time=True) \
        == "9 March 2026, 07:05"


def test_none_is_shown_as_nothing():
    assert format_datetime(None) == ""
    assert format_datetime(None, "time") == ""
    assert format_date(None) == ""


def test_an_unknown_style_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown datetime style"):
        format_datetime(MOMENT, "long")
