"""Page arithmetic of a catalog result page."""

import pytest

from shophub.catalog.queries import CatalogPage


def page(number: int, total: int, per_page: int = 10) -> CatalogPage:
    """A result page with `total` matches and no cards (only the arithmetic matters)."""
    return CatalogPage(cards=[], total=total, page=number, per_page=per_page)


@pytest.mark.parametrize(
    ("number", "total", "expected"),
    [
        (1, 0, [1]),
        (1, 10, [1]),
        (1, 11, [1, 2]),
        (1, 100, [1, 2, 3, None, 10]),
        (5, 100, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (10, 100, [1, None, 8, 9, 10]),
        (500, 10_000, [1, None, 498, 499, 500, 501, 502, None, 1000]),
    ],
)
def test_page_numbers_show_ends_and_neighbours(number, total, expected):
    assert page(number, total).page_numbers == expected


def test_pages_and_positions():
    result = page(3, 25)
    assert result.pages == 3
    assert page(1, 0).pages == 1
    assert page(1, 0).first_index == 0
