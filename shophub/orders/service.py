"""The order service: `mark_paid`, the one finaliser, and every other change of an order's status.

Each public function works in the current database session and commits its own transaction.
Statuses only move forward: a late or repeated event finds the order past it and does nothing.
"""

import logging
from datetime import UTC, datetime

from sqlalchemy import CursorResult, delete, select, update

from shophub.checkout import coupons
from shophub.core.money import format_money
from shophub.core.numbers import parse_row_id
from shophub.extensions import db
from shophub.models import CartItem, Order, Payment, Refund
from shophub.orders import inventory
from shophub.orders.jobs import order_mail_job
from shophub.orders.transitions import (
    CANCELLABLE,
    DELIVERABLE,
    PAID,
    PAID_NOT_REFUNDED,
    SHIPPABLE,
    UNPAID,
    can_move,
    may_cancel_paid,
    ship_refusal,
)
from shophub.payments.base import IntentView, PaymentError
from shophub.platform import audit, logs, metrics, queue

log = logging.getLogger(__name__)

# What mark_paid did.
PAID_NOW = "paid"
ALREADY_PAID = "already_paid"
FLAGGED = "flagged"
REFUNDED_LATE = "refunded_late"
NOT_FOUND = "not_found"


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def locked(order_id: int) -> Order | None:
    """The order, read again and locked for the rest of the transaction; None if it is gone."""
    # FOR UPDATE holds the row on PostgreSQL until commit; SQLite ignores it, and the
    # conditional UPDATEs below are what keep two writers apart there.
    return db.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def locked_known(order_id: int) -> Order:
    """An order this transaction has read already, locked; orders are never deleted."""
    order = locked(order_id)
    if order is None:
        raise LookupError(f"order {order_id} is gone")
    return order


def find_by_intent(intent_id: str) -> Order | None:
    """The order paid by this intent."""
    return db.session.scalar(select(Order).where(Order.payment_intent_id == intent_id))


def find_by_token(token: str) -> Order | None:
    """The order behind a buyer's order-page token."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Order).where(Order.token == token))


def order_for_intent(intent: IntentView) -> Order | None:
    """The order an intent belongs to: by its stored id, or the order id in its metadata."""
    order = find_by_intent(intent.id)
    if order is None:
        order_id = parse_row_id(intent.metadata.get("order_id"))
        if order_id is not None:
            candidate = db.session.get(Order, order_id)
            # Both id and number must match: an intent of another shop on the same account
            # (or a test server) must not pay one of ours.
            if (candidate is not None and candidate.payment_intent_id in (None, intent.id)
                    and intent.metadata.get("order_number") == candidate.number):
                order = candidate
    return order


def snapshot(order: Order) -> dict:
    """The fields of an order that audit entries compare."""
    return {"status": order.status, "payment_status": order.payment_status,
            "stock_state": order.stock_state, "refunded_cents": order.refunded_cents}


def stock_lines(order: Order) -> list[tuple[int, int]]:
    """The (variant_id, quantity) pairs the order holds; deleted variants are left out."""
    return [(item.variant_id, item.quantity) for item in order.items
            if item.variant_id is not None]


def _claim(order_id: int, payment_from: tuple[str, ...], status_from: tuple[str, ...] | None,
           **values) -> Order | None:
    """Move an order with one conditional UPDATE; None if it is no longer where it must be.

    The UPDATE is what keeps two writers apart on every database (SQLite has no FOR UPDATE):
    the loser matches no row. The winner gets the order reloaded as its transaction sees it.
    """
    conditions = [Order.id == order_id, Order.payment_status.in_(payment_from)]
    if status_from is not None:
        conditions.append(Order.status.in_(status_from))
    result: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(Order).where(*conditions).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    return locked(order_id)


def _clear_cart_lines(order: Order) -> None:
    variant_ids = [item.variant_id for item in order.items if item.variant_id is not None]
    if order.cart_id is not None and variant_ids:
        db.session.execute(
            delete(CartItem).where(CartItem.cart_id == order.cart_id,
                                   CartItem.variant_id.in_(variant_ids))
        )


def _queue_order_mail(order: Order, kind: str) -> None:
    queue.enqueue_after_commit(order_mail_job, order.id, kind)


def mark_paid(order_id: int, intent: IntentView, source: str) -> str:
    """Record a succeeded payment and fulfil the order, once; every caller comes through here.

    Returns PAID_NOW, ALREADY_PAID, FLAGGED (amount or currency do not match), REFUNDED_LATE
    (paid after the reservation lapsed and the stock was gone) or NOT_FOUND.
    """
    if intent.status != "succeeded":
        raise ValueError(f"intent {intent.id} has not succeeded ({intent.status})")
    order = locked(order_id)
    if order is None:
        db.session.rollback()
        return NOT_FOUND
    with logs.about_order(order.number):
        before = snapshot(order)
        order = _claim(order_id, UNPAID, None, payment_status="succeeded")
        if order is None:
            return ALREADY_PAID
        order.payment_intent_id = order.payment_intent_id or intent.id
        order.failure_message = None
        order.paid_at = now()
        order.payments.append(Payment(provider=order.payment_provider or "stripe",
                                      intent_id=intent.id, charge_id=intent.latest_charge,
                                      amount_cents=intent.amount, currency=intent.currency.upper()))
        if intent.amount != order.total_cents or intent.currency.upper() != order.currency:
            order.review_reason = (
                f"Paid {format_money(intent.amount, intent.currency.upper())} but the order "
                f"total is {format_money(order.total_cents, order.currency)}. "
                "Check the payment before fulfilling."
            )
            audit.record("order.payment_mismatch", "order", order.id, order.review_reason,
                         before=before, after=snapshot(order), actor_label=source)
            db.session.commit()
            log.error("Order %s: %s", order.number, order.review_reason)
            return FLAGGED
        if order.stock_state == "released":
            try:
                inventory.reserve(stock_lines(order))
            except inventory.OutOfStock:
                return _refund_late_payment(order, intent, before, source)
        order.stock_state = "committed"
        order.status = "paid"
        order.cancelled_at = order.cancel_reason = None
        if order.coupon_id is not None:
            coupons.count_use(order.coupon_id, order.id, order.email, order.user_id)
        _clear_cart_lines(order)
        audit.record("order.paid", "order", order.id,
                     f"Paid {format_money(intent.amount, order.currency)} ({intent.id})",
                     before=before, after=snapshot(order), actor_label=source)
        _queue_order_mail(order, "confirmation")
        provider = order.payment_provider or "stripe"
        db.session.commit()
        metrics.order_paid(provider)
        return PAID_NOW


def _refund_late_payment(order: Order, intent: IntentView, before: dict, source: str) -> str:
    from shophub.payments import provider

    order.status = "cancelled"
    order.cancelled_at = now()
    order.cancel_reason = ("Your payment arrived after the items were released and they have "
                           "sold out since, so the full amount was refunded.")
    try:
        refund = provider().refund(intent_id=intent.id, amount=intent.amount,
                                   idempotency_key=f"order-{order.id}-late-refund")
    except PaymentError as error:
        order.review_reason = (f"Paid after the reservation lapsed, the stock is gone and the "
                               f"automatic refund failed ({error}). Refund it by hand.")
        log.error("Order %s: %s", order.number, order.review_reason)
    else:
        _add_refund(order, refund.id, refund.amount, "automatic",
                    "Paid after the reservation lapsed; out of stock")
        _queue_order_mail(order, "refunded_late")
    audit.record("order.late_payment", "order", order.id, order.cancel_reason,
                 before=before, after=snapshot(order), actor_label=source)
    db.session.commit()
    return REFUNDED_LATE


def mark_processing(order_id: int, source: str) -> bool:
    """The payment is on its way (e.g. a bank debit); returns whether anything changed."""
    order = _claim(order_id, ("requires_payment", "failed"), None, payment_status="processing",
                   failure_message=None)
    if order is None:
        return False
    audit.record("order.payment_processing", "order", order.id, "Payment processing",
                 after=snapshot(order), actor_label=source)
    db.session.commit()
    return True


def mark_failed(order_id: int, message: str | None, source: str) -> bool:
    """A payment attempt failed; the order stays payable until its reservation lapses."""
    text = (message or "The payment failed.")[:500]
    order = _claim(order_id, UNPAID, None, payment_status="failed", failure_message=text)
    if order is None:
        return False
    audit.record("order.payment_failed", "order", order.id, text, after=snapshot(order),
                 actor_label=source)
    provider = order.payment_provider or "stripe"
    db.session.commit()
    metrics.payment_failed(provider)
    return True


def cancel_unpaid(order_id: int, reason: str, source: str) -> bool:
    """Cancel a pending, unpaid order and give its stock back; returns whether it did."""
    current = locked(order_id)
    if current is None:
        db.session.rollback()
        return False
    with logs.about_order(current.number):
        before = snapshot(current)
        order = _claim(order_id, UNPAID, ("pending",), status="cancelled", cancelled_at=now(),
                       cancel_reason=reason)
        if order is None:
            return False
        if order.stock_state == "reserved":
            inventory.release(stock_lines(order))
        order.stock_state = "released"
        audit.record("order.cancelled", "order", order.id, reason, before=before,
                     after=snapshot(order), actor_label=source)
        db.session.commit()
        return True


def _add_refund(order: Order, provider_refund_id: str | None, amount: int, source: str,
                reason: str) -> bool:
    if provider_refund_id is not None and db.session.scalar(
        select(Refund.id).where(Refund.provider_refund_id == provider_refund_id)
    ) is not None:
        return False
    order.refunds.append(Refund(provider_refund_id=provider_refund_id, amount_cents=amount,
                                source=source, reason=reason[:200]))
    order.refunded_cents += amount
    _apply_refund_status(order)
    return True


def _apply_refund_status(order: Order) -> None:
    paid = sum(payment.amount_cents for payment in order.payments)
    if order.refunded_cents <= 0 or paid <= 0:
        return
    full = order.refunded_cents >= paid
    order.payment_status = "refunded" if full else "partially_refunded"
    if full and can_move(order.status, "refunded"):
        order.status = "refunded"
    elif not full and order.status == "paid":
        order.status = "partially_refunded"


def record_provider_refunds(intent_id: str, refunds: list[tuple[str, int]],
                            amount_refunded: int, source: str) -> int:
    """Record refunds made at the provider (its dashboard, or ours before the webhook came).

    `refunds` are (refund id, amount) pairs; ones already recorded are skipped, and
    `amount_refunded` (the provider's running total) is the authority for the order's total.
    Returns how many new refunds were recorded.
    """
    order = find_by_intent(intent_id)
    if order is None:
        return 0
    with logs.about_order(order.number):
        order = locked_known(order.id)
        before = snapshot(order)
        added = 0
        for refund_id, amount in refunds:
            if amount > 0 and _add_refund(order, refund_id, amount, "provider",
                                          "Refunded at the payment provider"):
                added += 1
        if amount_refunded > order.refunded_cents:
            # The provider knows of more than its refund list showed us: record the difference.
            _add_refund(order, None, amount_refunded - order.refunded_cents, "provider",
                        "Refunded at the payment provider")
            added += 1
        if added:
            audit.record("order.refunded", "order", order.id,
                         f"Refunded {format_money(order.refunded_cents, order.currency)} in all",
                         before=before, after=snapshot(order), actor_label=source)
        db.session.commit()
        return added


def record_dispute(intent_id: str, dispute_status: str, reason: str, source: str) -> bool:
    """A buyer disputed the charge, or a dispute closed; fulfilment waits while it is open."""
    order = find_by_intent(intent_id)
    if order is None:
        return False
    with logs.about_order(order.number):
        order = locked_known(order.id)
        closed = dispute_status in ("won", "lost", "warning_closed")
        if order.dispute_status in ("won", "lost", "warning_closed") and not closed:
            db.session.rollback()  # a late "created" after the dispute closed changes nothing
            return False
        before = {"dispute_status": order.dispute_status}
        order.dispute_status = dispute_status
        summary = f"Dispute {dispute_status}" + (f": {reason}" if reason else "")
        audit.record("order.dispute", "order", order.id, summary, before=before,
                     after={"dispute_status": dispute_status}, actor_label=source)
        db.session.commit()
        return True


def refund(order_id: int, amount: int, reason: str, source: str = "admin") -> Refund:
    """Refund part or all of a paid order through its provider and record it at once."""
    from shophub.payments import provider

    order = locked(order_id)
    if (order is None or order.payment_status not in PAID_NOT_REFUNDED
            or order.payment_intent_id is None):
        db.session.rollback()
        raise PaymentError("Only a paid order can be refunded.")
    with logs.about_order(order.number):
        if amount <= 0 or amount > order.refundable_cents:
            db.session.rollback()
            raise PaymentError(
                f"Refund at most {format_money(order.refundable_cents, order.currency)}."
            )
        before = snapshot(order)
        count = len(order.refunds)
        result = provider().refund(intent_id=order.payment_intent_id, amount=amount,
                                   idempotency_key=f"order-{order.id}-refund-{count + 1}-{amount}")
        _add_refund(order, result.id, result.amount, source, reason or "Refunded")
        audit.record("order.refunded", "order", order.id,
                     f"Refunded {format_money(result.amount, order.currency)}",
                     before=before, after=snapshot(order))
        db.session.commit()
        return order.refunds[-1]


# --- fulfilment and cancellation by the shop's staff --------------------------------------------

class TransitionRefused(ValueError):
    """A change the order's status does not allow; the message says why, fit for staff."""


def _open_for_change(order_id: int) -> Order:
    order = locked(order_id)
    if order is None:
        db.session.rollback()
        raise TransitionRefused("There is no such order.")
    return order


def _refuse(message: str) -> None:
    db.session.rollback()
    raise TransitionRefused(message)


def ship(order_id: int, carrier: str, tracking_number: str, source: str | None = None) -> Order:
    """Mark a paid order shipped with its carrier and tracking number; the buyer gets a mail."""
    order = _open_for_change(order_id)
    with logs.about_order(order.number):
        refusal = ship_refusal(order)
        if refusal:
            _refuse(refusal)
        before = {**snapshot(order), "carrier": order.carrier,
                  "tracking_number": order.tracking_number}
        # The conditions repeat in the UPDATE, so a dispute or refund that lands meanwhile wins.
        result: CursorResult = db.session.execute(  # type: ignore[assignment]
            update(Order)
            .where(Order.id == order_id, Order.status.in_(SHIPPABLE),
                   Order.payment_status.in_(PAID_NOT_REFUNDED), Order.review_reason.is_(None),
                   Order.dispute_status.is_(None) | (Order.dispute_status == "won"))
            .values(status="shipped", shipped_at=now(), carrier=carrier,
                    tracking_number=tracking_number)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            _refuse("The order changed meanwhile; reload it and try again.")
        order = locked_known(order_id)
        audit.record("order.shipped", "order", order.id,
                     f"Shipped with {carrier}, tracking number {tracking_number}", before=before,
                     after={**snapshot(order), "carrier": carrier,
                            "tracking_number": tracking_number},
                     actor_label=source)
        _queue_order_mail(order, "shipped")
        db.session.commit()
        return order


def deliver(order_id: int, source: str | None = None) -> Order:
    """Mark a shipped order delivered; the buyer gets a mail inviting their reviews."""
    current = _open_for_change(order_id)
    with logs.about_order(current.number):
        if current.status not in DELIVERABLE:
            _refuse(f"Order {current.number} is {current.status.replace('_', ' ')}: only a shipped "
                    "order can be marked delivered.")
        before = snapshot(current)
        order = _claim(order_id, PAID, DELIVERABLE, status="delivered", delivered_at=now())
        if order is None:
            raise TransitionRefused("The order changed meanwhile; reload it and try again.")
        audit.record("order.delivered", "order", order.id, "Delivered", before=before,
                     after=snapshot(order), actor_label=source)
        _queue_order_mail(order, "delivered")
        db.session.commit()
        return order


def cancel_paid(order_id: int, reason: str, source: str | None = None) -> Order:
    """Cancel a paid, unshipped order, give its stock back and refund what is left, all at once."""
    # The cancellation, the stock and the refund commit together: a refund the provider refuses
    # (PaymentError) leaves the order as it was.
    current = _open_for_change(order_id)
    with logs.about_order(current.number):
        if not may_cancel_paid(current):
            _refuse(f"Order {current.number} is {current.status.replace('_', ' ')}: only a paid "
                    "order that has not shipped can be cancelled with a refund.")
        before = snapshot(current)
        order = _claim(order_id, PAID_NOT_REFUNDED, CANCELLABLE, status="cancelled",
                       cancelled_at=now(), cancel_reason=reason)
        if order is None:
            raise TransitionRefused("The order changed meanwhile; reload it and try again.")
        try:
            if order.stock_state in ("reserved", "committed"):
                inventory.release(stock_lines(order))
            order.stock_state = "released"
            audit.record("order.cancelled", "order", order.id, reason, before=before,
                         after=snapshot(order), actor_label=source)
            left = order.refundable_cents
            if left > 0:
                refund(order.id, left, reason, "admin")  # commits the cancellation with the refund
            else:
                db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return order
