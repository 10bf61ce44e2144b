"""Orders aggregate: orders with their item snapshots, payments, refunds and the audit trail."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned

ORDER_STATUSES = ("pending", "paid", "partially_refunded", "shipped", "delivered",
                  "cancelled", "refunded")
PAYMENT_STATUSES = ("requires_payment", "processing", "failed", "succeeded",
                    "partially_refunded", "refunded")
# Where the order's stock is: taken from the variants and held, kept for good, or given back.
STOCK_STATES = ("reserved", "committed", "released")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Order(StoreOwned, db.Model):
    """A placed order: what was bought, for how much, where it goes and where it stands."""

    __tablename__ = "shop_order"
    lone_store_index = False
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint(_in("payment_status", PAYMENT_STATUSES), name="payment_status_known"),
        CheckConstraint(_in("stock_state", STOCK_STATES), name="stock_state_known"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        Index("ix_shop_order_expiry", "status", "reserved_until"),
        UniqueConstraint("store_id", "number", name="uq_shop_order_store_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("cart.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    # A keyed hash of the address the order was placed from (never the address itself), so
    # that the unpaid orders one client holds at once can be counted.
    placed_from: Mapped[str | None] = mapped_column(String(64))

    ship_name: Mapped[str] = mapped_column(String(120))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(120))
    ship_region: Mapped[str] = mapped_column(String(120), default="")
    ship_postcode: Mapped[str] = mapped_column(String(20), default="")
    ship_country: Mapped[str] = mapped_column(String(2))
    ship_phone: Mapped[str] = mapped_column(String(40), default="")

    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)
    shipping_cents: Mapped[int] = mapped_column(default=0)
    tax_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int]
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupon.id", ondelete="SET NULL"))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    shipping_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipping_method.id", ondelete="SET NULL")
    )
    shipping_method_name: Mapped[str] = mapped_column(String(120), default="")

    status: Mapped[str] = mapped_column(String(20), default="pending")
    payment_status: Mapped[str] = mapped_column(String(20), default="requires_payment")
    stock_state: Mapped[str] = mapped_column(String(10), default="reserved")
    reserved_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    payment_provider: Mapped[str | None] = mapped_column(String(20))
    payment_intent_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    payment_attempt: Mapped[int] = mapped_column(default=0)
    intent_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_message: Mapped[str | None] = mapped_column(Text)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    # Set when a person must look at the order before it ships (amount mismatch, dispute).
    review_reason: Mapped[str | None] = mapped_column(Text)
    dispute_status: Mapped[str | None] = mapped_column(String(40))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    carrier: Mapped[str | None] = mapped_column(String(80))
    tracking_number: Mapped[str | None] = mapped_column(String(120))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Recovery mails (shophub.recovery), each claimed once by a conditional UPDATE: the
    # reminder while the hold lasts, the "restore my cart" mail after it lapsed, and the
    # one use of that mail's link.
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restore_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cart_restored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="order", order_by="Payment.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list["Refund"]] = relationship(
        back_populates="order", order_by="Refund.id", cascade="all, delete-orphan"
    )

    @property
    def is_payable(self) -> bool:
        """Whether the buyer may still pay: pending and not paid or paying."""
        return self.status == "pending" and self.payment_status in ("requires_payment", "failed")

    @property
    def on_hold(self) -> bool:
        """Whether fulfilment must wait for a person (flagged for review or an open dispute)."""
        return bool(self.review_reason) or self.dispute_status not in (None, "won")

    @property
    def refundable_cents(self) -> int:
        """What is left to refund of the amount paid."""
        paid = sum(payment.amount_cents for payment in self.payments)
        return max(paid - self.refunded_cents, 0)

    @property
    def item_count(self) -> int:
        """Units in the order."""
        return sum(item.quantity for item in self.items)


class OrderItem(db.Model):
    """One line of an order, with the name and price it had when the order was placed."""

    __tablename__ = "order_item"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"), index=True
    )
    product_name: Mapped[str] = mapped_column(String(200))
    options: Mapped[str] = mapped_column(String(200), default="")
    sku: Mapped[str] = mapped_column(String(64))
    unit_price_cents: Mapped[int]
    quantity: Mapped[int]
    subtotal_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)
    tax_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")


class Payment(db.Model):
    """Money received for an order: one row per succeeded payment intent."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    intent_id: Mapped[str] = mapped_column(String(120), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(120), index=True)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class Refund(db.Model):
    """Money given back: from the admin, an automatic refund, or the provider's dashboard."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_order.id", ondelete="CASCADE"), index=True
    )
    provider_refund_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20))  # admin | automatic | provider
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")


class AuditEntry(StoreOwned, db.Model):
    """An append-only record of a change: who, when, what, before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


class ProcessedEvent(StoreOwned, db.Model):
    """A provider event already handled; its unique id makes a repeated delivery a no-op."""

    __tablename__ = "processed_event"
    lone_store_index = False
    # Per store: one store's events can never make another's look repeated.
    __table_args__ = (
        UniqueConstraint("store_id", "event_id", name="uq_processed_event_store_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
