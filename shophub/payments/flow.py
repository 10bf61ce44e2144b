"""Between orders and the payment provider: one intent per order, and applying its status."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from shophub.extensions import db
from shophub.models import Order
from shophub.orders import service as orders
from shophub.orders.transitions import UNPAID
from shophub.payments import demo_provider, provider
from shophub.payments.base import (
    CANCELED,
    PROCESSING,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    IntentView,
    PaymentError,
)
from shophub.platform import logs, tenancy

log = logging.getLogger(__name__)
CHANGEABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def idempotency_key(order: Order, attempt: int) -> str:
    """The key that makes creating an order's intent safe to repeat.

    It names the amount too: a create that failed leaves the attempt number unclaimed, and
    Stripe refuses a key sent again with other parameters (the order revised since) for a day.
    """
    return f"shophub-order-{order.id}-intent-{attempt}-{order.total_cents}"


@contextmanager
def _rolled_back_on_failure() -> Iterator[None]:
    """A PaymentError leaves the session as it was before: rolled back, then raised."""
    try:
        yield
    except PaymentError:
        db.session.rollback()
        raise


def ensure_intent(order: Order) -> IntentView:
    """The order's one payment intent: created on first use, its amount kept up to date."""
    with logs.about_order(order.number), _rolled_back_on_failure():
        return _ensure_intent(order)


def _ensure_intent(order: Order) -> IntentView:
    payments = provider()
    if order.payment_intent_id:
        intent = payments.retrieve_intent(order.payment_intent_id)
        if intent.status in CHANGEABLE and intent.amount != order.total_cents:
            intent = payments.update_amount(intent.id, order.total_cents)
            db.session.commit()
        return intent
    attempt = order.payment_attempt + 1
    # Claim the attempt number first: of two parallel requests only one stores an intent,
    # and both used the same idempotency key, so the provider gave both the same intent.
    db.session.execute(
        update(Order).where(Order.id == order.id, Order.payment_intent_id.is_(None))
        .values(payment_attempt=attempt).execution_options(synchronize_session=False)
    )
    intent = payments.create_intent(
        amount=order.total_cents, currency=order.currency, order_id=order.id,
        order_number=str(order.number), idempotency_key=idempotency_key(order, attempt),
    )
    order = orders.locked_known(order.id)
    if order.payment_intent_id is None:
        order.payment_intent_id = intent.id
        order.payment_provider = payments.name
        order.payment_attempt = attempt
        order.intent_created_at = orders.now()
    stored = order.payment_intent_id
    db.session.commit()
    if stored != intent.id:
        # A parallel request stored another intent (the provider did not honour the key):
        # the buyer must see and pay the stored one, which is the one the webhook matches.
        log.warning("Order %s: intent %s was created beside the stored %s", order.number,
                    intent.id, stored)
        return payments.retrieve_intent(stored)
    return intent


def apply_intent(order: Order, intent: IntentView, source: str) -> str:
    """Bring an order in line with its intent's status, through the order service."""
    with logs.about_order(order.number):
        if intent.status == SUCCEEDED:
            return orders.mark_paid(order.id, intent, source)
        if intent.status == PROCESSING:
            orders.mark_processing(order.id, source)
        elif intent.status == REQUIRES_PAYMENT_METHOD and intent.failure_message:
            orders.mark_failed(order.id, intent.failure_message, source)
        elif intent.status == CANCELED:
            orders.cancel_unpaid(order.id, "The payment was cancelled.", source)
        return intent.status


def refresh_from_provider(order: Order, source: str) -> IntentView | None:
    """Read the order's intent from the provider and apply it; None if it has none."""
    if not order.payment_intent_id:
        return None
    with logs.about_order(order.number):
        with _rolled_back_on_failure():
            intent = provider().retrieve_intent(order.payment_intent_id)
        apply_intent(order, intent, source)
        db.session.refresh(order)
        return intent


def pay_with_demo_card(order: Order, card_number: str) -> IntentView:
    """Confirm the order's demo intent with a test card; PaymentError says why it was refused."""
    with logs.about_order(order.number), _rolled_back_on_failure():
        intent = demo_provider().confirm(str(order.payment_intent_id), card_number)
        db.session.commit()
    return intent


def answer_demo_authentication(order: Order, approve: bool) -> IntentView:
    """The buyer's answer on the demo stand-in for a bank's confirmation step."""
    with logs.about_order(order.number), _rolled_back_on_failure():
        intent = demo_provider().authenticate(str(order.payment_intent_id), approve=approve)
        db.session.commit()
    return intent


def _cancel_or_read(intent_id: str) -> IntentView:
    """Cancel an intent; one that can no longer be cancelled is read and returned as it is.

    Stripe refuses to cancel an intent that succeeded, is processing or was cancelled already
    (the demo provider hands such an intent back): it then says what happened to the payment.
    """
    payments = provider()
    try:
        return payments.cancel_intent(intent_id)
    except PaymentError:
        intent = payments.retrieve_intent(intent_id)
        if intent.status in CHANGEABLE:  # it could have been cancelled: the failure was real
            raise
        return intent


def expire_stale_orders(limit: int = 200) -> int:
    """Release the stock of unpaid orders past `reserved_until` and cancel their intents.

    An intent that turns out to be paid is applied instead. Returns how many were cancelled.
    """
    stale = db.session.scalars(tenancy.across_stores(
        select(Order).where(Order.status == "pending", Order.stock_state == "reserved",
                            Order.payment_status.in_(("requires_payment", "failed")),
                            Order.reserved_until < orders.now())
        .order_by(Order.reserved_until).limit(limit)
    )).all()
    db.session.rollback()
    cancelled = 0
    for order in stale:
        with tenancy.use_store(order.store_id), logs.about_order(order.number):
            try:
                if order.payment_intent_id:
                    intent = _cancel_or_read(order.payment_intent_id)
                    db.session.commit()
                    if intent.status != CANCELED:
                        apply_intent(order, intent, "expiry")
                        continue
                if orders.cancel_unpaid(order.id, "Not paid in time; the items were released.",
                                        "expiry"):
                    cancelled += 1
            except PaymentError:
                db.session.rollback()
                log.warning("Could not cancel the intent of order %s; will try again",
                            order.number, exc_info=True)
    return cancelled


def reconcile_pending_orders(limit: int = 200) -> int:
    """Apply the provider's state to unpaid orders whose intent is a few minutes old.

    A webhook that never arrived still ends in a paid (or failed) order. Returns how many
    orders changed status.
    """
    age = timedelta(minutes=current_app.config.get("RECONCILE_AFTER_MINUTES", 5))
    candidates = db.session.scalars(tenancy.across_stores(
        select(Order).where(Order.payment_intent_id.is_not(None),
                            Order.payment_status.in_(UNPAID),
                            Order.status == "pending",
                            Order.intent_created_at < orders.now() - age,
                            Order.placed_at > orders.now() - timedelta(days=7))
        .order_by(Order.intent_created_at).limit(limit)
    )).all()
    db.session.rollback()
    changed = 0
    for order in candidates:
        before = (order.status, order.payment_status)
        with tenancy.use_store(order.store_id), logs.about_order(order.number):
            try:
                refresh_from_provider(order, "reconciliation")
            except PaymentError:
                db.session.rollback()
                log.warning("Could not reconcile order %s", order.number, exc_info=True)
                continue
        if (order.status, order.payment_status) != before:
            changed += 1
    return changed
