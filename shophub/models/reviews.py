"""Reviews aggregate: a verified buyer's rating and words about one line of a delivered order."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned

REVIEW_STATUSES = ("pending", "published", "hidden")
TITLE_MAX = 120
BODY_MAX = 2000
AUTHOR_MAX = 60
REPLY_MAX = 2000


class Review(StoreOwned, db.Model):
    """One order line's review: shown on the product page once staff publish it."""

    __tablename__ = "review"
    lone_store_index = False
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),
        CheckConstraint("status IN ('pending', 'published', 'hidden')", name="status_known"),
        # The product page: its published reviews, newest first.
        Index("ix_review_product_status", "store_id", "product_id", "status", "created_at"),
        # The moderation table: by status, newest first.
        Index("ix_review_store_status", "store_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One review per order line.
    order_item_id: Mapped[int] = mapped_column(
        ForeignKey("order_item.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    rating: Mapped[int]
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(AUTHOR_MAX))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
