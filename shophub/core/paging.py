"""Page arithmetic of the paged lists: which page to show, where it starts, and its neighbours.

Pure code. A list counts its matching rows, asks `page_at` which page to show (a page past the
end shows the last one), reads that page with `offset` and `limit`, and hands a `Page` (or a
subclass carrying the rows) to the template, whose pager reads `pages`, `has_previous` and
`has_next`.
"""

from dataclasses import dataclass
from typing import Self

from shophub.core.numbers import parse_whole

# Page numbers in URLs have at most six digits; a longer one is not a page number.
MAX_PAGE = 999_999


def page_number(raw: object, *, high: int = MAX_PAGE) -> int:
    """A page number (1 to `high`) from a query string; anything missing or odd is page 1."""
    return parse_whole(raw, low=1, high=high) or 1


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill, at least 1 (an empty list still shows one page)."""
    return max((total + per_page - 1) // per_page, 1)


@dataclass(frozen=True, kw_only=True)
class Page:
    """Where one page of a list sits: its number (1 to `pages`), its size and the list's total."""

    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, window: "Page", **rest) -> Self:
        """This kind of page at `window`'s place, with `rest` (its rows and the like)."""
        return cls(page=window.page, per_page=window.per_page, total=window.total, **rest)

    @property
    def pages(self) -> int:
        """How many pages the list has (at least 1)."""
        return page_count(self.total, self.per_page)

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        """How many rows this page holds at most."""
        return self.per_page

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page < self.pages


def page_at(requested: int, total: int, per_page: int) -> Page:
    """The page to show when `requested` is asked for: page 1 at the least, the last at most."""
    return Page(page=min(max(requested, 1), page_count(total, per_page)), per_page=per_page,
                total=total)
