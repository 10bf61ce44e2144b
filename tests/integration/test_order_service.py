"""The order service without HTTP: mark_paid, forward-only statuses, expiry, late payments,
reconciliation, provider refunds and disputes, admin refunds, stock reservations."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shophub.cart.service import load_view
from shophub.checkout.placement import CheckoutDraft, PlacementError, place
from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Cart,
    CartItem,
    Coupon,
    CouponRedemption,
    Order,
    Payment,
    Refund,
    Variant,
)
from shophub.orders import inventory
from shophub.orders import service as orders
from shophub.payments import PaymentError, provider
from shophub.payments.flow import (
    apply_intent,
    ensure_intent,
    expire_stale_orders,
    reconcile_pending_orders,
)
from tests.checkout_data import (
    ADDRESS,
    DECLINED,
    SUCCEEDS,
    all_orders,
    audit_actions,
    count_rows,
    demo_intent,
    make_coupon,
    make_method,
    outbox,
    place_from_cart,
    stock_of,
)
from tests.shop_data import make_variant, set_stock


def _order(order_id: int) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _placed(stock: int = 5, quantity: int = 2, price: int = 2000, coupon: str = "",
            **kwargs) -> tuple[int, int]:
    """A pending order with a demo intent waiting for a card: (order id, variant id)."""
    variant_id = make_variant("Teapot", price=price, stock=stock)
    method_id = make_method("Standard", price=500)
    order = place_from_cart([(variant_id, quantity)], method_id, coupon=coupon, **kwargs)
    ensure_intent(order)
    return order.id, variant_id


def _paid_intent(order_id: int, card: str = SUCCEEDS):
    """The order's intent after paying it with a test card (no order function is called)."""
    intent = provider().confirm(_order(order_id).payment_intent_id, card)
    db.session.commit()
    return intent


def _expire(order_id: int) -> None:
    db.session.execute(update(Order).where(Order.id == order_id)
                       .values(reserved_until=orders.now() - timedelta(minutes=1)))
    db.session.commit()


def _outbox_templates(app) -> list[str]:
    return sorted(path.name.split("-", 1)[1].rsplit("-", 1)[0]
                  for path in Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


# --- mark_paid -----------------------------------------------------------------------------------

def test_mark_paid_does_everything_once(app):
    with app.app_context():
        coupon_id = make_coupon("SAVE10", "percent", 10)
        order_id, variant_id = _placed(stock=5, quantity=2, coupon="SAVE10")
        assert stock_of(variant_id) == 3
        intent = _paid_intent(order_id)

        assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
        assert orders.mark_paid(order_id, intent, "return page") == orders.ALREADY_PAID
        assert apply_intent(_order(order_id), intent, "reconciliation") == orders.ALREADY_PAID

        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert order.paid_at is not None and order.total_cents == 4100
        (payment,) = db.session.scalars(select(Payment)).all()
        assert (payment.order_id, payment.intent_id, payment.amount_cents, payment.currency) == (
            order_id, intent.id, 4100, "USD")
        assert payment.charge_id == intent.latest_charge and payment.provider == "demo"
        (redemption,) = db.session.scalars(select(CouponRedemption)).all()
        assert (redemption.coupon_id, redemption.order_id, redemption.email) == (
            coupon_id, order_id, "ann@example.com")
        assert db.session.get(Coupon, coupon_id).times_used == 1
        assert audit_actions(order_id).count("order.paid") == 1
        assert stock_of(variant_id) == 3
    assert _outbox_templates(app) == ["order_confirmation"]


@pytest.mark.parametrize("change", [{"amount": 4000}, {"currency": "EUR"}])
def test_a_payment_that_does_not_match_the_order_is_flagged(app, change):
    with app.app_context():
        make_coupon("SAVE10", "percent", 10)
        order_id, variant_id = _placed(coupon="SAVE10")
        intent = replace(_paid_intent(order_id), **change)

        assert orders.mark_paid(order_id, intent, "webhook") == orders.FLAGGED
        order = _order(order_id)
        assert order.status == "pending" and order.payment_status == "succeeded"
        assert order.on_hold
        assert "but the order total is $41.00" in order.review_reason
        assert "Check the payment before fulfilling." in order.review_reason
        assert "order.payment_mismatch" in audit_actions(order_id)
        assert "order.paid" not in audit_actions(order_id)
        assert count_rows(CouponRedemption) == 0
        assert count_rows(Payment) == 1  # the money arrived; it is recorded, not fulfilled
        assert order.stock_state == "reserved" and stock_of(variant_id) == 3
        # A repeat of the same event does not flag or record it twice.
        assert orders.mark_paid(order_id, intent, "webhook") == orders.ALREADY_PAID
        assert count_rows(Payment) == 1
    assert outbox(app) == []


def test_mark_paid_refuses_an_intent_that_has_not_succeeded(app):
    with app.app_context():
        order_id, _ = _placed()
        intent = provider().retrieve_intent(_order(order_id).payment_intent_id)
        with pytest.raises(ValueError, match="has not succeeded"):
            orders.mark_paid(order_id, intent, "webhook")
        assert orders.mark_paid(999999, replace(intent, status="succeeded"),
                                "webhook") == orders.NOT_FOUND
        assert _order(order_id).status == "pending"


def test_statuses_only_move_forward_after_payment(app):
    with app.app_context():
        order_id, variant_id = _placed()
        orders.mark_paid(order_id, _paid_intent(order_id), "webhook")
        entries = count_rows(AuditEntry)

        assert orders.mark_failed(order_id, "Your card was declined.", "webhook") is False
        assert orders.mark_processing(order_id, "webhook") is False
        assert orders.cancel_unpaid(order_id, "Too late", "expiry") is False

        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert order.failure_message is None and order.cancel_reason is None
        assert order.cancelled_at is None
        assert stock_of(variant_id) == 3
        assert count_rows(AuditEntry) == entries


def test_unpaid_statuses_move_forward_and_cancel_gives_stock_back(app):
    with app.app_context():
        order_id, variant_id = _placed(stock=5, quantity=2)
        assert orders.mark_failed(order_id, "Your card was declined.", "webhook") is True
        assert _order(order_id).is_payable
        assert orders.mark_processing(order_id, "webhook") is True
        assert orders.mark_processing(order_id, "webhook") is False
        assert _order(order_id).failure_message is None
        assert orders.cancel_unpaid(order_id, "Changed my mind", "admin") is True
        assert orders.cancel_unpaid(order_id, "Again", "admin") is False
        order = _order(order_id)
        assert (order.status, order.stock_state, order.cancel_reason) == (
            "cancelled", "released", "Changed my mind")
        assert stock_of(variant_id) == 5  # given back once, not twice


# --- expiry and late payments --------------------------------------------------------------------

def test_expiry_releases_lapsed_reservations_and_cancels_their_intents(app):
    with app.app_context():
        order_id, variant_id = _placed(stock=5, quantity=2)
        fresh_id = place_from_cart([(variant_id, 1)], _order(order_id).shipping_method_id).id
        assert stock_of(variant_id) == 2
        _expire(order_id)

        assert expire_stale_orders() == 1
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "cancelled", "requires_payment", "released")
        assert order.cancel_reason == "Not paid in time; the items were released."
        assert demo_intent(order.payment_intent_id).status == "canceled"
        assert stock_of(variant_id) == 4
        assert _order(fresh_id).status == "pending"  # inside its reservation
        assert "order.cancelled" in audit_actions(order_id)
        assert expire_stale_orders() == 0
        assert stock_of(variant_id) == 4


def test_expiry_applies_an_intent_that_was_paid_meanwhile(app):
    with app.app_context():
        order_id, variant_id = _placed(stock=5, quantity=2)
        _paid_intent(order_id)  # paid, but nobody told the order yet
        _expire(order_id)

        assert expire_stale_orders() == 0
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert demo_intent(order.payment_intent_id).status == "succeeded"
        assert stock_of(variant_id) == 3


def test_a_payment_after_expiry_reserves_the_stock_again(app):
    with app.app_context():
        order_id, variant_id = _placed(stock=5, quantity=2)
        assert orders.cancel_unpaid(order_id, "Not paid in time; the items were released.",
                                    "expiry")
        assert stock_of(variant_id) == 5
        intent = _paid_intent(order_id)

        assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert order.cancelled_at is None and order.cancel_reason is None
        assert stock_of(variant_id) == 3
        assert count_rows(Refund) == 0
    assert _outbox_templates(app) == ["order_confirmation"]


def test_a_payment_after_expiry_with_the_stock_gone_is_refunded(app):
    with app.app_context():
        coupon_id = make_coupon("SAVE10", "percent", 10)
        order_id, variant_id = _placed(stock=5, quantity=2, coupon="SAVE10")
        orders.cancel_unpaid(order_id, "Not paid in time; the items were released.", "expiry")
        set_stock(variant_id, 1)  # sold to someone else meanwhile
        intent = _paid_intent(order_id)

        assert orders.mark_paid(order_id, intent, "webhook") == orders.REFUNDED_LATE
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "cancelled", "refunded", "released")
        assert "the full amount was refunded" in order.cancel_reason
        assert order.refunded_cents == order.total_cents == 4100
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.order_id, refund.amount_cents, refund.source) == (order_id, 4100,
                                                                          "automatic")
        assert refund.provider_refund_id.startswith("demo_re_")
        assert demo_intent(intent.id).amount_refunded == 4100
        assert count_rows(Payment) == 1
        assert stock_of(variant_id) == 1
        assert count_rows(CouponRedemption) == 0
        assert db.session.get(Coupon, coupon_id).times_used == 0
        assert "order.late_payment" in audit_actions(order_id)
        # The same event again refunds nothing more.
        assert orders.mark_paid(order_id, intent, "webhook") == orders.ALREADY_PAID
        assert count_rows(Refund) == 1
    (mail,) = outbox(app)
    assert mail["Subject"].endswith("refunded") and mail["To"] == "ann@example.com"
    assert _outbox_templates(app) == ["order_refunded_late"]


def test_reconciliation_pays_an_order_nobody_reported(app):
    with app.app_context():
        order_id, variant_id = _placed(stock=5, quantity=2)
        fresh_id = place_from_cart([(variant_id, 1)], _order(order_id).shipping_method_id).id
        ensure_intent(_order(fresh_id))
        _paid_intent(order_id)
        _paid_intent(fresh_id)
        db.session.execute(update(Order).where(Order.id == order_id)
                           .values(intent_created_at=orders.now() - timedelta(minutes=10)))
        db.session.commit()

        assert reconcile_pending_orders() == 1
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert count_rows(Payment, Payment.order_id == order_id) == 1
        assert _order(fresh_id).status == "pending"  # its intent is too young to chase
        assert reconcile_pending_orders() == 0
        assert stock_of(variant_id) == 2


@pytest.mark.parametrize("app_config", [{"RECONCILE_AFTER_MINUTES": 0}])
def test_reconciliation_records_a_declined_payment(app):
    with app.app_context():
        order_id, _ = _placed()
        _paid_intent(order_id, DECLINED)
        assert reconcile_pending_orders() == 1
        order = _order(order_id)
        assert (order.status, order.payment_status) == ("pending", "failed")
        assert order.failure_message == "Your card was declined."


# --- refunds and disputes ------------------------------------------------------------------------

def _paid_order(**kwargs) -> tuple[int, str]:
    order_id, _ = _placed(**kwargs)
    intent = _paid_intent(order_id)
    assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
    return order_id, intent.id


def test_provider_refunds_are_recorded_once_partial_then_full(app):
    with app.app_context():
        order_id, intent_id = _paid_order()  # 4500
        assert orders.record_provider_refunds(intent_id, [("re_1", 1000)], 1000, "webhook") == 1
        order = _order(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "partially_refunded", "partially_refunded", 1000)
        assert order.refundable_cents == 3500

        assert orders.record_provider_refunds(intent_id, [("re_1", 1000)], 1000, "webhook") == 0
        assert _order(order_id).refunded_cents == 1000 and count_rows(Refund) == 1

        assert orders.record_provider_refunds(
            intent_id, [("re_1", 1000), ("re_2", 3500)], 4500, "webhook") == 1
        order = _order(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "refunded", "refunded", 4500)
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.provider_refund_id, r.amount_cents, r.source) for r in refunds] == [
            ("re_1", 1000, "provider"), ("re_2", 3500, "provider")]
        assert orders.record_provider_refunds(
            intent_id, [("re_1", 1000), ("re_2", 3500)], 4500, "webhook") == 0
        assert _order(order_id).refunded_cents == 4500
        assert audit_actions(order_id).count("order.refunded") == 2
        assert orders.record_provider_refunds("pi_unknown", [("re_9", 100)], 100, "x") == 0


def test_provider_total_covers_refunds_missing_from_its_list(app):
    with app.app_context():
        order_id, intent_id = _paid_order()
        assert orders.record_provider_refunds(intent_id, [("re_1", 1000)], 1500, "webhook") == 2
        order = _order(order_id)
        assert order.refunded_cents == 1500 and order.payment_status == "partially_refunded"
        assert sorted(r.amount_cents for r in order.refunds) == [500, 1000]


def test_disputes_are_recorded_and_a_late_opening_after_closing_is_ignored(app):
    with app.app_context():
        order_id, intent_id = _paid_order()
        assert orders.record_dispute(intent_id, "needs_response", "fraudulent", "webhook")
        order = _order(order_id)
        assert order.dispute_status == "needs_response" and order.on_hold
        assert orders.record_dispute(intent_id, "won", "", "webhook")
        assert _order(order_id).dispute_status == "won" and not _order(order_id).on_hold
        assert orders.record_dispute(intent_id, "needs_response", "fraudulent",
                                     "webhook") is False
        order = _order(order_id)
        assert order.dispute_status == "won" and order.status == "paid"
        assert audit_actions(order_id).count("order.dispute") == 2
        assert orders.record_dispute("pi_unknown", "needs_response", "", "webhook") is False


def test_admin_refunds_stop_at_the_refundable_amount(app):
    with app.app_context():
        order_id, intent_id = _paid_order()  # 4500
        for amount in (4501, 0, -5):
            with pytest.raises(PaymentError, match=r"Refund at most \$45\.00"):
                orders.refund(order_id, amount, "too much")
        assert count_rows(Refund) == 0 and _order(order_id).refunded_cents == 0
        assert demo_intent(intent_id).amount_refunded == 0
        assert "order.refunded" not in audit_actions(order_id)

        refund = orders.refund(order_id, 4000, "Damaged")
        assert (refund.amount_cents, refund.source, refund.reason) == (4000, "admin", "Damaged")
        assert _order(order_id).payment_status == "partially_refunded"
        with pytest.raises(PaymentError, match=r"Refund at most \$5\.00"):
            orders.refund(order_id, 501, "more")
        orders.refund(order_id, 500, "Rest")
        order = _order(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "refunded", "refunded", 4500)
        assert demo_intent(intent_id).amount_refunded == 4500
        with pytest.raises(PaymentError, match="Only a paid order can be refunded."):
            orders.refund(order_id, 1, "again")
        assert count_rows(Refund) == 2


def test_an_unpaid_order_cannot_be_refunded(app):
    with app.app_context():
        order_id, _ = _placed()
        with pytest.raises(PaymentError, match="Only a paid order can be refunded."):
            orders.refund(order_id, 100, "nope")
        assert count_rows(Refund) == 0


# --- stock ---------------------------------------------------------------------------------------

def test_reserve_is_all_or_nothing_and_release_gives_back(app):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        lamp = make_variant("Lamp", stock=1)
        with pytest.raises(inventory.OutOfStock) as miss:
            inventory.reserve([(mug, 2), (lamp, 2)])
        assert miss.value.variant_id == lamp
        db.session.commit()
        assert (stock_of(mug), stock_of(lamp)) == (5, 1)

        inventory.reserve([(mug, 2), (lamp, 1), (mug, 1)])  # same variant twice: merged
        db.session.commit()
        assert (stock_of(mug), stock_of(lamp)) == (2, 0)
        with pytest.raises(inventory.OutOfStock):
            inventory.reserve([(mug, 3)])
        with pytest.raises(ValueError):
            inventory.reserve([(mug, 0)])

        inventory.release([(mug, 3), (lamp, 1), (999999, 4)])  # a deleted variant is skipped
        db.session.commit()
        assert (stock_of(mug), stock_of(lamp)) == (5, 1)


def test_placing_reserves_every_line_or_none(app):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        lamp = make_variant("Desk Lamp", stock=3)
        method_id = make_method()
        cart = Cart(token="placing")
        db.session.add(cart)
        db.session.flush()
        db.session.add_all([CartItem(cart_id=cart.id, variant_id=mug, quantity=2),
                            CartItem(cart_id=cart.id, variant_id=lamp, quantity=2)])
        db.session.commit()
        view = load_view(None, "placing")  # read before someone else buys two lamps
        db.session.execute(update(Variant).where(Variant.id == lamp).values(stock=1))
        db.session.commit()
        draft = CheckoutDraft(email="ann@example.com", address=dict(ADDRESS),
                              shipping_method_id=method_id)

        with pytest.raises(PlacementError, match="Sorry, Desk Lamp just sold out") as error:
            place(view, draft, None, cart.id)
        assert error.value.step == "cart"
        assert all_orders() == []
        assert (stock_of(mug), stock_of(lamp)) == (5, 1)


def test_a_revision_that_cannot_get_its_stock_leaves_the_order_as_it_was(app):
    with app.app_context():
        order_id, mug = _placed(stock=5, quantity=2)  # 3 left
        order = _order(order_id)
        cart_id, total = order.cart_id, order.total_cents
        db.session.execute(update(CartItem).where(CartItem.cart_id == cart_id)
                           .values(quantity=3))
        db.session.commit()
        token = db.session.get(Cart, cart_id).token
        view = load_view(None, token)  # 3 wanted: 3 free + 2 held would do
        set_stock(mug, 0)  # but the 3 free ones sell meanwhile
        draft = CheckoutDraft(email="ann@example.com", address=dict(ADDRESS),
                              shipping_method_id=order.shipping_method_id)

        with pytest.raises(PlacementError, match="Sorry, Teapot just sold out"):
            place(view, draft, None, cart_id, pending=_order(order_id))
        order = _order(order_id)
        assert [(i.variant_id, i.quantity) for i in order.items] == [(mug, 2)]
        assert (order.total_cents, order.stock_state, order.status) == (total, "reserved",
                                                                        "pending")
        assert stock_of(mug) == 0  # the 2 it held were not given away
        assert len(all_orders()) == 1


def test_reconciliation_is_not_starved_by_expired_orders(app):
    with app.app_context():
        expired = [_placed(stock=5, quantity=1)[0] for _ in range(2)]
        for order_id in expired:
            _expire(order_id)
        assert expire_stale_orders() == 2
        order_id, _ = _placed(stock=5, quantity=1)
        _paid_intent(order_id)
        db.session.execute(update(Order).values(
            intent_created_at=orders.now() - timedelta(minutes=10)))
        db.session.execute(update(Order).where(Order.id.in_(expired)).values(
            intent_created_at=orders.now() - timedelta(minutes=20)))
        db.session.commit()

        reconcile_pending_orders(limit=2)
        assert _order(order_id).status == "paid"
