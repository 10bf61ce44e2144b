"""The shared input rules: text cleaning, whole numbers and UTC times."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shophub.core.numbers import MAX_ROW_ID, parse_row_id, parse_whole
from shophub.core.text import clean_text, single_line
from shophub.core.time import as_utc


def test_cleaning_removes_nul_and_invisible_characters_and_trims():
    assert clean_text(" Linen\x00 shirt\u200b\u202e ", 100) == "Linen shirt"


def test_single_line_text_loses_its_line_breaks_and_extra_spaces():
    assert single_line("  Ship\r\n  with   DHL\t", 100) == "Ship with DHL"


def test_multiline_text_keeps_its_line_breaks_with_crlf_made_lf():
    assert clean_text("First\r\nSecond\x07", 100, multiline=True) == "First\nSecond"


def test_cleaned_text_is_cut_to_its_limit():
    assert clean_text("abcdef", 3) == "abc" and single_line("ab   cd", 4) == "ab c"


def test_non_text_values_are_cleaned_as_their_text_and_none_is_empty():
    assert clean_text(None, 10) == "" and clean_text(42, 10) == "42"


@pytest.mark.parametrize("raw", ["²", "١٢", "1.5", "-3", "", " ", "1e3", "0x10", None, "abc"])
def test_only_ascii_digits_make_a_whole_number(raw):
    assert parse_whole(raw) is None


def test_whole_numbers_must_fit_their_range():
    assert parse_whole(" 42 ") == 42
    assert parse_whole("0", low=1) is None
    assert parse_whole("101", high=100) is None
    assert parse_whole("9" * 5000) is None


def test_row_ids_fit_the_database_column():
    assert parse_row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    assert parse_row_id(str(MAX_ROW_ID + 1)) is None and parse_row_id("0") is None


def test_naive_times_are_taken_as_utc_and_aware_ones_converted():
    naive = datetime(2026, 12, 1, 10, 0)
    assert as_utc(naive) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    paris = datetime(2026, 12, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(paris) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert as_utc(paris).tzinfo is UTC
