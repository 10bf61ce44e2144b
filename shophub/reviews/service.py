"""Reviews from verified buyers: who may review which order line, the moderation moves, and the
ratings the shop shows.

Only the buyer of a delivered order reviews, once per line, and only while the line's product
exists. A new review waits as "pending" until staff publish it: the buyer is verified, the text
is not (insults, someone's address, an advert). Only published reviews are shown or counted;
`Product.rating_count` and `rating_sum` add them up and change in the transaction that publishes
or hides one, so listings show the average without reading reviews.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError

from shophub.catalog import cache as catalog_cache
from shophub.core.paging import Page, page_at
from shophub.core.ratings import average_rating
from shophub.core.text import clean_text, single_line
from shophub.extensions import db
from shophub.models import Order, OrderItem, Product, Review, Variant
from shophub.models.reviews import AUTHOR_MAX, BODY_MAX, REPLY_MAX, TITLE_MAX
from shophub.platform import audit

PENDING, PUBLISHED, HIDDEN = "pending", "published", "hidden"
REVIEWABLE_STATUS = "delivered"
STARS = (5, 4, 3, 2, 1)
PAGE_SIZE = 5


class ReviewRefused(ValueError):
    """A review or moderation move that did not happen; the message says why, fit to show.

    `status` is the HTTP status a page answers with.
    """

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class ReviewNotFound(LookupError):
    """No such review, order line or order here."""


# --- who may review ------------------------------------------------------------------------------

def may_review(order: Order) -> bool:
    """Whether the order's buyer may review its lines now: only once it is delivered."""
    return order.status == REVIEWABLE_STATUS


@dataclass(frozen=True)
class OrderLine:
    """One line of an order as the review pages show it."""

    item: OrderItem
    product_id: int | None
    product_slug: str | None
    review: Review | None

    @property
    def open_for_review(self) -> bool:
        """Whether this line can still get its review: its product exists and it has none."""
        return self.product_id is not None and self.review is None


def order_lines(order: Order) -> list[OrderLine]:
    """The order's lines with their products (None when gone) and reviews, in two statements."""
    products = dict(db.session.execute(
        select(OrderItem.id, Variant.product_id)
        .join(Variant, Variant.id == OrderItem.variant_id)
        .where(OrderItem.order_id == order.id)).all())
    slugs = dict(db.session.execute(
        select(Product.id, Product.slug).where(Product.id.in_(set(products.values())))
    ).all()) if products else {}
    reviews = {review.order_item_id: review for review in db.session.scalars(
        select(Review).where(Review.order_id == order.id))}
    lines = []
    for item in order.items:
        product_id = products.get(item.id)
        if product_id not in slugs:
            product_id = None
        lines.append(OrderLine(item, product_id, slugs.get(product_id) if product_id else None,
                               reviews.get(item.id)))
    return lines


def order_line(order: Order, line_id: int) -> OrderLine:
    """One line of the order; ReviewNotFound when the order has no such line."""
    for line in order_lines(order):
        if line.item.id == line_id:
            return line
    raise ReviewNotFound(line_id)


def account_order(user_id: int, order_id: int) -> Order:
    """The account's own order in this store; ReviewNotFound for anyone else's."""
    order = db.session.scalar(select(Order).where(Order.id == order_id,
                                                  Order.user_id == user_id))
    if order is None:
        raise ReviewNotFound(order_id)
    return order


def default_author(order: Order) -> str:
    """The name a review is signed with unless the buyer types another: "Ann B." for Ann Baker."""
    words = single_line(order.ship_name, 120).split()
    if not words:
        return "A buyer"
    name = words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."
    return name[:AUTHOR_MAX]


@dataclass(frozen=True)
class ReviewInput:
    """What the buyer typed, cleaned."""

    rating: int | None
    title: str
    body: str
    author_name: str


def input_problem(data: ReviewInput) -> str | None:
    """Why `data` cannot be saved, or None."""
    if data.rating not in STARS:
        return "Choose a rating from 1 to 5 stars."
    if not data.title:
        return "Give the review a title."
    if len(data.title) > TITLE_MAX:
        return f"The title can have at most {TITLE_MAX} characters."
    if len(data.body) > BODY_MAX:
        return f"The review can have at most {BODY_MAX} characters."
    if not data.author_name or len(data.author_name) > AUTHOR_MAX:
        return f"Sign the review with a name of 1 to {AUTHOR_MAX} characters."
    return None


def submit(order: Order, line_id: int, data: ReviewInput) -> Review:
    """Save the buyer's review of one line of their delivered order, waiting for moderation."""
    line = order_line(order, line_id)
    if not may_review(order):
        raise ReviewRefused("You can review what you bought once the order has been delivered.",
                            403)
    if line.product_id is None:
        raise ReviewRefused("This product is no longer sold, so it cannot be reviewed.", 403)
    if line.review is not None:
        raise ReviewRefused("You have already reviewed this item.", 409)
    problem = input_problem(data)
    if problem:
        raise ReviewRefused(problem)
    review = Review(order_item_id=line.item.id, order_id=order.id, product_id=line.product_id,
                    rating=data.rating, title=clean_text(data.title, TITLE_MAX),
                    body=clean_text(data.body, BODY_MAX, multiline=True),
                    author_name=single_line(data.author_name, AUTHOR_MAX), status=PENDING)
    db.session.add(review)
    try:
        db.session.commit()
    except IntegrityError:
        # The same line reviewed at once from two tabs: the other request's review stands.
        db.session.rollback()
        raise ReviewRefused("You have already reviewed this item.", 409) from None
    return review


# --- what the shop shows -------------------------------------------------------------------------

@dataclass(frozen=True)
class RatingSummary:
    """A product's published reviews in numbers: average (None without any), count, and how
    many gave each star (5 to 1)."""

    average: float | None
    count: int
    distribution: dict[int, int]

    def share(self, stars: int) -> int:
        """The percentage of reviews that gave `stars`, rounded (for the bars)."""
        return round(100 * self.distribution.get(stars, 0) / self.count) if self.count else 0


def rating_summary(product_id: int) -> RatingSummary:
    """The average, count and distribution of the product's published reviews (one statement)."""
    counts = dict(db.session.execute(
        select(Review.rating, func.count()).where(Review.product_id == product_id,
                                                  Review.status == PUBLISHED)
        .group_by(Review.rating)).all())
    distribution = {stars: counts.get(stars, 0) for stars in STARS}
    count = sum(distribution.values())
    total = sum(stars * n for stars, n in distribution.items())
    return RatingSummary(average=average_rating(count, total), count=count,
                         distribution=distribution)


@dataclass(frozen=True, kw_only=True)
class ProductReviews(Page):
    """A product's rating summary and one page of its published reviews, newest first."""

    summary: RatingSummary
    reviews: list[Review]


def product_reviews(product_id: int, page: int) -> ProductReviews:
    """The summary and the asked page (past the end: the last) of the product's reviews."""
    summary = rating_summary(product_id)
    window = page_at(page, summary.count, PAGE_SIZE)
    reviews = list(db.session.scalars(
        select(Review).where(Review.product_id == product_id, Review.status == PUBLISHED)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset(window.offset).limit(window.limit))) if summary.count else []
    return ProductReviews.of(window, summary=summary, reviews=reviews)


# --- moderation ----------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _review(review_id: int) -> Review:
    # A SELECT, not session.get(): the identity map would skip the store's criterion.
    review = db.session.scalar(select(Review).where(Review.id == review_id))
    if review is None:
        raise ReviewNotFound(review_id)
    return review


def _move(review_id: int, target: str) -> Review:
    review = _review(review_id)
    old = review.status
    if old == target:
        raise ReviewRefused(f"The review is {target} already.")
    # The status in the WHERE keeps two moderators apart: the loser matches no row, so a
    # review is never counted twice.
    result: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(Review).where(Review.id == review_id, Review.status == old)
        .values(status=target).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise ReviewRefused("The review changed meanwhile; reload it and try again.")
    step = 1 if target == PUBLISHED else -1 if old == PUBLISHED else 0
    if step:
        db.session.execute(
            update(Product).where(Product.id == review.product_id)
            .values(rating_count=Product.rating_count + step,
                    rating_sum=Product.rating_sum + step * review.rating)
            .execution_options(synchronize_session=False))
    summary = f"{target.capitalize()} the {review.rating}-star review \u201c{review.title}\u201d"
    audit.record(f"review.{target}", "review", review.id, summary,
                 before={"status": old}, after={"status": target})
    db.session.commit()
    # The product cards' averages change: listings must not wait for the cache to lapse.
    catalog_cache.invalidate()
    db.session.refresh(review)
    return review


def publish(review_id: int) -> Review:
    """Show the review on its product page and count it in the product's rating."""
    return _move(review_id, PUBLISHED)


def hide(review_id: int) -> Review:
    """Take the review off its product page (or keep a pending one off it) and out of the rating."""
    return _move(review_id, HIDDEN)


def reply(review_id: int, text: str) -> Review:
    """Set, change or (with empty text) remove the shop's reply shown under the review."""
    review = _review(review_id)
    cleaned = clean_text(text, REPLY_MAX + 1, multiline=True)
    if len(cleaned) > REPLY_MAX:
        raise ReviewRefused(f"The reply can have at most {REPLY_MAX} characters.")
    before = {"reply": review.reply}
    new = cleaned or None
    if new == review.reply:
        raise ReviewRefused("The reply is unchanged.")
    review.reply, review.replied_at = new, _now() if new else None
    audit.record("review.replied" if new else "review.reply_removed", "review", review.id,
                 "Replied to the review" if new else "Removed the reply to the review",
                 before=before, after={"reply": new})
    db.session.commit()
    return review
