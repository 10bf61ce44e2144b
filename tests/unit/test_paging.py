"""Page arithmetic of the admin lists (shophub.core.paging)."""

from dataclasses import dataclass

import pytest

from shophub.core.paging import MAX_PAGE, Page, page_at, page_count, page_number


@pytest.mark.parametrize(("total", "per_page", "pages"),
                         [(0, 25, 1), (1, 25, 1), (25, 25, 1), (26, 25, 2), (100, 25, 4)])
def test_an_empty_list_still_has_one_page(total, per_page, pages):
    assert page_count(total, per_page) == pages
    assert Page(page=1, per_page=per_page, total=total).pages == pages


@pytest.mark.parametrize(("requested", "shown"), [(-3, 1), (0, 1), (1, 1), (2, 2), (3, 3), (99, 3)])
def test_a_page_past_either_end_is_the_nearest_one(requested, shown):
    assert page_at(requested, total=60, per_page=25).page == shown


def test_offset_limit_and_neighbours():
    window = page_at(2, total=60, per_page=25)
    assert (window.offset, window.limit) == (25, 25)
    assert window.has_previous and window.has_next
    last = page_at(3, total=60, per_page=25)
    assert last.has_previous and not last.has_next
    only = page_at(1, total=0, per_page=25)
    assert not only.has_previous and not only.has_next and only.offset == 0


@pytest.mark.parametrize("raw", [None, "", "abc", "0", "-2", "1.5", "²", "9" * 50,
                                 str(MAX_PAGE + 1)])
def test_anything_odd_is_page_one(raw):
    assert page_number(raw) == 1


def test_page_numbers_up_to_the_limit():
    assert page_number(" 7 ") == 7
    assert page_number(str(MAX_PAGE)) == MAX_PAGE
    assert page_number("101", high=100) == 1


def test_a_subclass_page_carries_its_rows():
    @dataclass(frozen=True, kw_only=True)
    class Rows(Page):
        rows: list[int]

    rows = Rows.of(page_at(5, total=3, per_page=2), rows=[3])
    assert (rows.page, rows.pages, rows.total, rows.rows) == (2, 2, 3, [3])
