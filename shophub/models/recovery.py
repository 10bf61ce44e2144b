"""Back-in-stock requests: who asked to be told when a sold-out variant can be bought again."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned


class BackInStockRequest(StoreOwned, db.Model):
    """One address waiting for one variant; `notified_at` is claimed once, when it is mailed."""

    __tablename__ = "back_in_stock_request"
    lone_store_index = False
    __table_args__ = (
        UniqueConstraint("store_id", "variant_id", "email",
                         name="uq_back_in_stock_request_store_variant_email"),
        # The periodic scan reads the requests still waiting, in every store.
        Index("ix_back_in_stock_request_waiting", "notified_at", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"),
                                            index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
