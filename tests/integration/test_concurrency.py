"""Races on PostgreSQL: many buyers for the last units, and the same payment reported at once
by many webhook deliveries. Each thread has its own app context, session and connection."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from shophub.cart.service import load_view
from shophub.checkout.placement import CheckoutDraft, PlacementError, place
from shophub.extensions import db
from shophub.models import AuditEntry, Cart, CartItem, Order, Payment, ProcessedEvent, SentMail
from shophub.payments import flow as payment_flow
from shophub.payments import provider
from tests.checkout_data import ADDRESS, make_method, outbox, place_from_cart, stock_of
from tests.integration.test_webhooks import event_body, intent_object
from tests.localstripe import sign_payload
from tests.shop_data import make_variant

WEBHOOK_SECRET = "whsec_shophub_concurrency_tests"
BUYERS = 50
STOCK = 5
DELIVERIES = 10


@pytest.fixture
def app_config():
    """The demo provider takes the payments; the webhook checks this secret."""
    return {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}


# SQLite serialises every writer, so it has no races to show: these run on PostgreSQL only
# (skipped locally without TEST_DATABASE_URL, a failure under CI).
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_app(app):
    """`app`, on PostgreSQL."""
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    return app


def run_together(count: int, work) -> list:
    """Call `work(index)` from `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)

    def start(index):
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_fifty_buyers_for_five_units_give_five_paid_orders_and_45_clear_refusals(pg_app):
    app = pg_app
    with app.app_context():
        variant_id = make_variant("Festival Pass", price=9900, stock=STOCK)
        method_id = make_method("Standard", price=0)
        carts = []
        for n in range(BUYERS):
            cart = Cart(token=f"race-cart-{n}")
            db.session.add(cart)
            db.session.flush()
            db.session.add(CartItem(cart_id=cart.id, variant_id=variant_id, quantity=1))
            carts.append(cart)
        db.session.commit()
        # Every buyer saw the pass in stock when they pressed "pay".
        views = [(load_view(None, cart.token), cart.id) for cart in carts]
        assert all(view.lines[0].stock == STOCK for view, _ in views)

    lowest_seen = [STOCK]
    done = threading.Event()

    def watch_stock():
        with app.app_context():
            while not done.is_set():
                lowest_seen[0] = min(lowest_seen[0], stock_of(variant_id))
                db.session.rollback()
                done.wait(0.005)

    def buy(index):
        view, cart_id = views[index]
        draft = CheckoutDraft(email=f"buyer{index}@example.com", address=dict(ADDRESS),
                              shipping_method_id=method_id)
        with app.app_context():
            try:
                order = place(view, draft, None, cart_id)
            except PlacementError as error:
                return ("refused", str(error), error.step)
            intent = payment_flow.ensure_intent(order)
            intent = provider().confirm(intent.id, "4242424242424242")
            db.session.commit()
            return ("paid", payment_flow.apply_intent(order, intent, "race test"), order.id)

    watcher = threading.Thread(target=watch_stock, daemon=True)
    watcher.start()
    try:
        results = run_together(BUYERS, buy)
    finally:
        done.set()
        watcher.join(timeout=10)

    paid = [result for result in results if result[0] == "paid"]
    refused = [result for result in results if result[0] == "refused"]
    assert len(paid) == STOCK and len(refused) == BUYERS - STOCK
    assert {result[1] for result in paid} == {"paid"}
    for _, message, step in refused:
        assert "Festival Pass" in message and "sold out" in message, message
        assert step == "cart"
    assert lowest_seen[0] >= 0
    with app.app_context():
        assert stock_of(variant_id) == 0
        orders = db.session.scalars(select(Order).order_by(Order.id)).all()
        assert len(orders) == STOCK  # a refused placement leaves no order behind
        assert {(o.status, o.payment_status, o.stock_state) for o in orders} == {
            ("paid", "succeeded", "committed")}
        assert sorted(o.id for o in orders) == sorted(result[2] for result in paid)
        assert db.session.scalar(select(func.count()).select_from(Payment)) == STOCK
        # The buyers who got a pass have empty carts; the others still have theirs.
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == BUYERS - STOCK
    assert len(outbox(app)) == STOCK


def _paid_order_and_event_bodies(app, same_event: bool) -> tuple[int, int, list[bytes]]:
    with app.app_context():
        variant_id = make_variant("Mug", price=1250, stock=5)
        order = place_from_cart([(variant_id, 2)], make_method("Standard", price=500))
        intent_id = f"pi_{uuid.uuid4().hex[:20]}"
        order.payment_intent_id, order.payment_provider = intent_id, "stripe"
        db.session.commit()
        order_id = order.id
    payload = intent_object(intent_id, order_id)
    if same_event:
        bodies = [event_body("payment_intent.succeeded", payload, "evt_race")] * DELIVERIES
    else:
        bodies = [event_body("payment_intent.succeeded", payload, f"evt_race_{n}")
                  for n in range(DELIVERIES)]
    return order_id, variant_id, bodies


def _deliver_all_at_once(app, bodies: list[bytes]) -> list[tuple[int, str]]:
    signatures = [sign_payload(body, WEBHOOK_SECRET) for body in bodies]

    def deliver(index):
        response = app.test_client().post(
            "/webhooks/stripe", data=bodies[index],
            headers={"Stripe-Signature": signatures[index], "Content-Type": "application/json"})
        return response.status_code, (response.get_json() or {}).get("outcome")

    return run_together(len(bodies), deliver)


@pytest.mark.parametrize("same_event", [True, False], ids=["same-event-id", "new-event-ids"])
def test_a_payment_reported_ten_times_at_once_is_fulfilled_once(pg_app, same_event):
    app = pg_app
    order_id, variant_id, bodies = _paid_order_and_event_bodies(app, same_event)

    answers = _deliver_all_at_once(app, bodies)

    assert {status for status, _ in answers} == {200}
    outcomes = sorted(outcome for _, outcome in answers)
    if same_event:
        assert outcomes == ["duplicate"] * (DELIVERIES - 1) + ["handled"]
    else:
        assert outcomes == ["handled"] * DELIVERIES
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == (
            1 if same_event else DELIVERIES)
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "order.paid")) == 1
        assert db.session.scalars(select(SentMail.key)).all() == [
            f"order-confirmation:{order_id}"]
        assert stock_of(variant_id) == 3  # reserved once when placed, never taken again
    (mail,) = outbox(app)
    assert mail["Subject"].endswith("confirmed")
