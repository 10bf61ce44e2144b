"""Who gets which recovery mail: the one home of the conditions, and their once-only claims.

Every mail is claimed by one conditional UPDATE that repeats the conditions (the column is
still NULL, the order still where it must be), so two schedulers running at once cannot both
send it; the mail is queued in the claim's transaction (pending_job), so it is never lost.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import CursorResult, Select, exists, select, update
from sqlalchemy.orm import aliased

from shophub.core.time import as_utc, utcnow
from shophub.extensions import db
from shophub.models import BackInStockRequest, Order, OrderItem, Product, Variant
from shophub.platform import store_settings

UNPAID = ("requires_payment", "failed")
# A later order of the same address counts as buying again once it is paid (or further on).
PAID_STATUSES = ("paid", "shipped", "delivered", "partially_refunded")
# How far back the periodic scans look, so that they stay small.
REMINDER_LOOKBACK = timedelta(days=1)


def setting_on(name: str) -> bool:
    """Whether the current store sends this kind of recovery mail (a StoreSettings column)."""
    value = getattr(store_settings.current(), name)
    return True if value is None else bool(value)  # None: no settings row yet, so the default


def _reminder_conditions(now: datetime) -> list:
    config = current_app.config
    after = timedelta(minutes=config["RECOVERY_REMINDER_AFTER_MINUTES"])
    hold = timedelta(minutes=config["RECOVERY_MIN_HOLD_MINUTES"])
    return [Order.status == "pending", Order.payment_status.in_(UNPAID),
            Order.stock_state == "reserved", Order.reminder_sent_at.is_(None),
            Order.placed_at <= now - after, Order.reserved_until > now + hold]


def reminder_due(order: Order, now: datetime | None = None) -> bool:
    """Whether the order is still one to remind: unpaid, holding its stock long enough."""
    now = now or utcnow()
    hold = timedelta(minutes=current_app.config["RECOVERY_MIN_HOLD_MINUTES"])
    return (order.status == "pending" and order.payment_status in UNPAID
            and order.stock_state == "reserved" and as_utc(order.reserved_until) > now + hold)


def reminder_candidates(now: datetime, limit: int = 200) -> Select:
    """Orders of every store due a reminder (the statement; the caller runs it across stores)."""
    return (select(Order.id, Order.store_id)
            .where(*_reminder_conditions(now), Order.placed_at > now - REMINDER_LOOKBACK)
            .order_by(Order.id).limit(limit))


def claim_reminder(order_id: int, now: datetime) -> bool:
    """Mark the order reminded, if it still is due (not committed); True when this call did."""
    return _claimed(update(Order).where(Order.id == order_id, *_reminder_conditions(now))
                    .values(reminder_sent_at=now))


def _lapsed_conditions(now: datetime) -> list:
    within = timedelta(hours=current_app.config["RECOVERY_RESTORE_WITHIN_HOURS"])
    # Lapsed: cancelled unpaid at or after its hold ran out (expiry), not by staff before.
    return [Order.status == "cancelled", Order.payment_status.in_(UNPAID),
            Order.cancelled_at >= Order.reserved_until, Order.cancelled_at > now - within]


def _bought_again():
    """The rule: the buyer has bought again when a later order of the same address, in the
    same store, is paid and holds at least one of the lapsed order's variants."""
    later, later_item, item = aliased(Order), aliased(OrderItem), aliased(OrderItem)
    return exists(
        select(later.id).join(later_item, later_item.order_id == later.id)
        .join(item, (item.order_id == Order.id) & (item.variant_id == later_item.variant_id))
        .where(later.store_id == Order.store_id, later.email == Order.email,
               later.id != Order.id, later.placed_at >= Order.placed_at,
               later.status.in_(PAID_STATUSES)))


def restore_candidates(now: datetime, limit: int = 200) -> Select:
    """Lapsed orders of every store due a "restore my cart" mail (the statement)."""
    return (select(Order.id, Order.store_id)
            .where(*_lapsed_conditions(now), Order.restore_sent_at.is_(None), ~_bought_again())
            .order_by(Order.id).limit(limit))


def claim_restore_mail(order_id: int, now: datetime) -> bool:
    """Mark the lapsed order's restore mail sent, if it is still due (not committed)."""
    return _claimed(update(Order).where(Order.id == order_id, *_lapsed_conditions(now),
                                        Order.restore_sent_at.is_(None), ~_bought_again())
                    .values(restore_sent_at=now))


def restorable(order: Order | None) -> bool:
    """Whether a lapsed order's lines may be put back in a cart (it was never paid)."""
    return (order is not None and order.status == "cancelled"
            and order.payment_status in UNPAID and order.cancelled_at is not None)


def claim_cart_restore(order_id: int, now: datetime) -> bool:
    """Spend the order's restore link, unless it was spent (not committed)."""
    return _claimed(update(Order).where(Order.id == order_id, Order.cart_restored_at.is_(None),
                                        Order.status == "cancelled",
                                        Order.payment_status.in_(UNPAID))
                    .values(cart_restored_at=now))


def back_in_stock_candidates(limit: int = 500) -> Select:
    """Waiting requests, in every store, whose variant can be bought again (the statement)."""
    return (select(BackInStockRequest.id, BackInStockRequest.store_id)
            .join(Variant, Variant.id == BackInStockRequest.variant_id)
            .join(Product, Product.id == Variant.product_id)
            .where(BackInStockRequest.notified_at.is_(None), Variant.stock > 0,
                   Product.archived.is_(False))
            .order_by(BackInStockRequest.id).limit(limit))


def claim_back_in_stock(request_id: int, now: datetime) -> bool:
    """Mark one request notified, unless it was (not committed)."""
    return _claimed(update(BackInStockRequest)
                    .where(BackInStockRequest.id == request_id,
                           BackInStockRequest.notified_at.is_(None))
                    .values(notified_at=now))


def _claimed(statement) -> bool:
    result: CursorResult = db.session.execute(  # type: ignore[assignment]
        statement.execution_options(synchronize_session=False))
    return result.rowcount == 1
