"""Stores: the tenants of one installation, the host names they answer to, and what they own."""

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from shophub.core.time import utcnow
from shophub.extensions import db


class Store(db.Model):
    """One shop of the installation: its own catalog, orders, staff, settings and payments.

    Its name, currency and tax settings are its StoreSettings row (whose id is the store's).
    """

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # The store an unknown host gets; exactly one store has it.
    is_default: Mapped[bool] = mapped_column(default=False)
    order_prefix: Mapped[str] = mapped_column(String(8), default="SH")
    # The number the store's next order gets; taken under a row lock (placement).
    next_order_number: Mapped[int] = mapped_column(default=10001)
    # The store's own Stripe account; without a secret key it takes demo payments (the
    # default store falls back to the keys in the environment).
    stripe_secret_key: Mapped[str | None] = mapped_column(String(255))
    stripe_publishable_key: Mapped[str | None] = mapped_column(String(255))
    stripe_webhook_secret: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    domains: Mapped[list["StoreDomain"]] = relationship(
        back_populates="store", order_by="StoreDomain.id", cascade="all, delete-orphan")


class StoreDomain(db.Model):
    """A host name a store answers to (`shop.example.com`); each host belongs to one store."""

    __tablename__ = "store_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"),
                                          index=True)
    host: Mapped[str] = mapped_column(String(253), unique=True)

    store: Mapped[Store] = relationship(back_populates="domains")


_current_store_id: Callable[[], int] | None = None


def use_current_store_from(provider: Callable[[], int]) -> None:
    """Name the function that tells the current store (shophub.platform.tenancy's)."""
    global _current_store_id
    _current_store_id = provider


def current_store_id() -> int:
    """The store the running request or job works for."""
    if _current_store_id is None:
        raise RuntimeError("shophub.platform.tenancy is not loaded")
    return _current_store_id()


class StoreOwned:
    """A row of one store's: every ORM read sees only the current store's rows, and a new row
    takes the current store (shophub.platform.tenancy)."""

    # False where another index of the table begins with store_id: a lone store_id index
    # beside it draws SQLite's planner (which keeps no statistics) away from the better one.
    lone_store_index: ClassVar[bool] = True

    @declared_attr
    def store_id(cls) -> Mapped[int]:
        """The store the row belongs to."""
        return mapped_column(ForeignKey("store.id", ondelete="CASCADE"),
                             index=cls.lone_store_index)


class StoreMembership(StoreOwned, db.Model):
    """A user's role on one store's staff (shophub.core.roles); without one, the user is a
    customer there."""

    __tablename__ = "store_membership"
    lone_store_index = False
    __table_args__ = (
        UniqueConstraint("store_id", "user_id", name="uq_store_membership_store_user"),
        CheckConstraint("role IN ('staff', 'admin', 'owner')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
