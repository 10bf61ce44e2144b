"""`flask shophub expire` and `reconcile`, the demo shop's checkout rows and the cron schedule."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shophub.cart.service import load_view
from shophub.catalog.seed import seed_demo
from shophub.checkout.placement import CheckoutDraft, place
from shophub.extensions import db
from shophub.models import Cart, CartItem, Coupon, Order, ShippingMethod, StoreSettings, Variant
from shophub.orders.service import now
from shophub.payments import provider
from shophub.payments.flow import ensure_intent
from tests.shop_data import make_variant

ADDRESS = {"full_name": "Ann Buyer", "line1": "1 Main St", "city": "Springfield",
           "postal_code": "12345", "country": "US"}


def _placed_order(stock: int = 3) -> tuple[int, int]:
    variant_id = make_variant(stock=stock)
    method = ShippingMethod(name="Standard", price_cents=500)
    cart = Cart(token="t" * 40)
    db.session.add_all([method, cart])
    db.session.flush()
    db.session.add(CartItem(cart_id=cart.id, variant_id=variant_id, quantity=2))
    db.session.commit()
    draft = CheckoutDraft(email="ann@example.com", address=dict(ADDRESS),
                          shipping_method_id=method.id)
    order = place(load_view(None, cart.token), draft, None, cart.id)
    return order.id, variant_id


def test_expire_command_releases_lapsed_reservations(app):
    with app.app_context():
        order_id, variant_id = _placed_order()
        assert db.session.get(Variant, variant_id).stock == 1
        ensure_intent(db.session.get(Order, order_id))
        db.session.get(Order, order_id).reserved_until = now() - timedelta(minutes=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["shophub", "expire"])
    assert result.exit_code == 0
    assert "Cancelled 1 unpaid orders." in result.output
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.stock_state) == ("cancelled", "released")
        assert db.session.get(Variant, variant_id).stock == 3
        assert provider().retrieve_intent(order.payment_intent_id).status == "canceled"
    again = app.test_cli_runner().invoke(args=["shophub", "expire"])
    assert "Cancelled 0 unpaid orders." in again.output


def test_expire_leaves_orders_inside_their_reservation(app):
    with app.app_context():
        order_id, variant_id = _placed_order()
    result = app.test_cli_runner().invoke(args=["shophub", "expire"])
    assert "Cancelled 0 unpaid orders." in result.output
    with app.app_context():
        assert db.session.get(Order, order_id).status == "pending"
        assert db.session.get(Variant, variant_id).stock == 1


def test_reconcile_command_pays_an_order_whose_payment_nobody_reported(app):
    with app.app_context():
        order_id, variant_id = _placed_order()
        intent = ensure_intent(db.session.get(Order, order_id))
        provider().confirm(intent.id, "4242 4242 4242 4242")
        order = db.session.get(Order, order_id)
        order.intent_created_at = now() - timedelta(minutes=10)
        db.session.commit()
        assert order.status == "pending"
    result = app.test_cli_runner().invoke(args=["shophub", "reconcile"])
    assert result.exit_code == 0
    assert "Updated 1 orders." in result.output
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert db.session.get(Variant, variant_id).stock == 1


def test_seed_demo_sets_up_shipping_coupons_and_tax_once(app):
    with app.app_context():
        seed_demo()
        seed_demo()
        methods = db.session.scalars(select(ShippingMethod.name)).all()
        assert sorted(methods) == ["Express", "Standard"]
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 3
        assert db.session.get(StoreSettings, 1).tax_rate_bp == 800


@pytest.mark.parametrize("config", ["shophub.platform.cron", "shophub.cron"])
def test_cron_schedules_expiry_and_reconciliation_on_the_maintenance_queue(config):
    from redis import Redis
    from rq.cron import CronScheduler

    # Loading the configuration talks to no server; the connection is only stored.
    scheduler = CronScheduler(connection=Redis(host="127.0.0.1", port=1))
    scheduler.load_config_from_file(config)
    jobs = {job.func.__name__: job for job in scheduler.get_jobs()}
    assert jobs["expire_orders_job"].interval == 60
    assert jobs["reconcile_orders_job"].interval == 180
    assert jobs["dispatch_pending_jobs_job"].interval == 60
    assert {job.queue_name for job in jobs.values()} == {"shophub-maintenance"}
