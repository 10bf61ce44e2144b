"""The admin's review desk: the table filtered by status and rating and paged, and one review
with its product and order. The moderation moves themselves are shophub.reviews.service's."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from shophub.core.numbers import parse_whole
from shophub.core.paging import Page, page_at
from shophub.extensions import db
from shophub.models import Order, Product, Review
from shophub.models.reviews import REVIEW_STATUSES
from shophub.reviews.service import STARS, ReviewNotFound

PAGE_SIZE = 25


@dataclass(frozen=True)
class ReviewFilters:
    """What the table shows: a status (empty: any) and a rating (None: any)."""

    status: str = ""
    rating: int | None = None

    def query(self) -> dict:
        """The filters as query-string values, empty ones left out."""
        return {key: value for key, value in (("status", self.status),
                                              ("rating", self.rating)) if value}


def parse_filters(args: Mapping[str, str]) -> ReviewFilters:
    """The table's filters from the query string; unknown values mean "any"."""
    status = args.get("status", "")
    return ReviewFilters(status=status if status in REVIEW_STATUSES else "",
                         rating=parse_whole(args.get("rating"), low=min(STARS), high=max(STARS)))


@dataclass(frozen=True)
class ReviewRow:
    """One review as the table and the review's page show it."""

    review: Review
    product_name: str
    product_slug: str
    order_id: int
    order_number: str | None


@dataclass(frozen=True, kw_only=True)
class ReviewListing(Page):
    """One page of the table."""

    rows: list[ReviewRow]


def _rows(query) -> list[ReviewRow]:
    return [ReviewRow(*row) for row in db.session.execute(query)]


def _joined():
    return (select(Review, Product.name, Product.slug, Order.id, Order.number)
            .join(Product, Product.id == Review.product_id)
            .join(Order, Order.id == Review.order_id))


def list_reviews(filters: ReviewFilters, page: int) -> ReviewListing:
    """A page of reviews matching `filters`, newest first; past the end is the last page."""
    conditions = []
    if filters.status:
        conditions.append(Review.status == filters.status)
    if filters.rating:
        conditions.append(Review.rating == filters.rating)
    total = db.session.scalar(select(func.count(Review.id)).where(*conditions)) or 0
    window = page_at(page, total, PAGE_SIZE)
    rows = _rows(_joined().where(*conditions)
                 .order_by(Review.created_at.desc(), Review.id.desc())
                 .offset(window.offset).limit(window.limit)) if total else []
    return ReviewListing.of(window, rows=rows)


def review_row(review_id: int) -> ReviewRow:
    """One review with its product and order; ReviewNotFound when this store has none such."""
    rows = _rows(_joined().where(Review.id == review_id))
    if not rows:
        raise ReviewNotFound(review_id)
    return rows[0]
