"""What shapes an order's price besides the products: coupons, shipping methods, store settings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.coupons import COUPON_KINDS
from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned


class Coupon(StoreOwned, db.Model):
    """A discount code; `code` is stored upper-case, so codes are case-insensitive."""

    __tablename__ = "coupon"
    lone_store_index = False
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in COUPON_KINDS)})",
                        name="kind_known"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("kind <> 'percent' OR value BETWEEN 1 AND 100", name="percent_range"),
        UniqueConstraint("store_id", "code", name="uq_coupon_store_code"),
        CheckConstraint("times_used >= 0", name="times_used_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(default=0)  # whole percent, or minor units
    min_subtotal_cents: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    usage_limit: Mapped[int | None]
    per_customer_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CouponRedemption(db.Model):
    """One paid order's use of a coupon; counts against the per-customer limit."""

    __tablename__ = "coupon_redemption"
    __table_args__ = (Index("ix_coupon_redemption_customer", "coupon_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupon.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_order.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShippingMethod(StoreOwned, db.Model):
    """A way to send an order, with its price and an optional free-over threshold."""

    __tablename__ = "shipping_method"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(200), default="")
    price_cents: Mapped[int]
    free_over_cents: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class StoreSettings(db.Model):
    """A store's own settings that staff change at run time; one row per store, with its id."""

    __tablename__ = "store_settings"
    __table_args__ = (
        CheckConstraint("tax_rate_bp BETWEEN 0 AND 10000", name="tax_rate_range"),
        CheckConstraint("reservation_minutes > 0", name="reservation_positive"),
        CheckConstraint("max_units_per_variant > 0", name="max_units_positive"),
        CheckConstraint("max_pending_orders > 0", name="max_pending_positive"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"), primary_key=True)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)  # basis points: 825 = 8.25 %
    reservation_minutes: Mapped[int] = mapped_column(default=30)
    # None means "as configured" (STORE_NAME, STORE_CURRENCY in the environment).
    store_name: Mapped[str | None] = mapped_column(String(120))
    currency: Mapped[str | None] = mapped_column(String(3))
    low_stock_threshold: Mapped[int] = mapped_column(default=5, server_default="5")
    # How much one shopper may hold: units of one variant in a cart, unpaid orders at once.
    max_units_per_variant: Mapped[int] = mapped_column(default=10, server_default="10")
    max_pending_orders: Mapped[int] = mapped_column(default=3, server_default="3")
    # Recovery mails (shophub.recovery), each on unless staff switch it off.
    recovery_reminders: Mapped[bool] = mapped_column(default=True, server_default="1")
    recovery_restore_cart: Mapped[bool] = mapped_column(default=True, server_default="1")
    recovery_back_in_stock: Mapped[bool] = mapped_column(default=True, server_default="1")
    # The media storage name of the store's icon, kept as PNGs at shophub.seo.favicon's sizes.
    favicon: Mapped[str | None] = mapped_column(String(200))


class DemoIntent(db.Model):
    """A payment intent of the offline demo provider, kept in the store's own database."""

    __tablename__ = "demo_intent"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_order.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(40))
    client_secret: Mapped[str] = mapped_column(String(120))
    charge_id: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    amount_refunded: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
