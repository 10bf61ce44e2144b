"""Races on PostgreSQL: many buyers for the last units (in one store, and in two at once), and
the same payment reported at once by many webhook deliveries. Each thread has its own app
context, session and connection."""

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr

import pytest
from sqlalchemy import func, select

from shophub.cart.service import CartView, load_view
from shophub.checkout.placement import CheckoutDraft, PlacementError, place
from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Cart,
    CartItem,
    Order,
    Payment,
    ProcessedEvent,
    SentMail,
    Store,
    Variant,
)
from shophub.payments import flow as payment_flow
from shophub.payments import provider
from shophub.platform import store_settings, tenancy
from shophub.stores.service import create_store
from tests.checkout_data import ADDRESS, make_method, outbox, place_from_cart, stock_of
from tests.integration.test_webhooks import event_body, intent_object
from tests.localstripe import sign_payload
from tests.shop_data import make_variant

WEBHOOK_SECRET = "whsec_shophub_concurrency_tests"
BUYERS = 50
STOCK = 5
# The stock of the two stores that race at once (different, so a leak between them shows).
TWO_STORE_STOCK = (10, 7)
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


@dataclass
class Shelf:
    """A store's one item with little stock, its free shipping, and its buyers' loaded carts."""

    store_id: int | None
    name: str
    stock: int
    variant_id: int
    method_id: int
    carts: list[tuple[CartView, int]]


def stock_shelf(name: str, stock: int, buyers: int, store_id: int | None = None,
                **variant) -> Shelf:
    """In `store_id` (None: the default store), an item and `buyers` carts of one unit each."""
    with tenancy.use_store(store_id):
        variant_id = make_variant(name, price=9900, stock=stock, **variant)
        method_id = make_method("Standard", price=0)
        carts = []
        for n in range(buyers):
            cart = Cart(token=f"race-cart-{store_id or 'default'}-{n}")
            db.session.add(cart)
            db.session.flush()
            db.session.add(CartItem(cart_id=cart.id, variant_id=variant_id, quantity=1))
            carts.append(cart)
        db.session.commit()
        # Every buyer saw the item in stock when they pressed "pay".
        views = [(load_view(None, cart.token), cart.id) for cart in carts]
    assert all(view.lines[0].stock == stock for view, _ in views)
    return Shelf(store_id, name, stock, variant_id, method_id, views)


def buy(app, shelf: Shelf, index: int) -> tuple:
    """Buyer `index` orders in the shelf's store and pays by card: ("paid" or "refused", ...)."""
    view, cart_id = shelf.carts[index]
    draft = CheckoutDraft(email=f"buyer{index}@example.com", address=dict(ADDRESS),
                          shipping_method_id=shelf.method_id)
    with app.app_context(), tenancy.use_store(shelf.store_id):
        try:
            order = place(view, draft, None, cart_id)
        except PlacementError as error:
            return ("refused", str(error), error.step)
        intent = payment_flow.ensure_intent(order)
        intent = provider().confirm(intent.id, "4242424242424242")
        db.session.commit()
        return ("paid", payment_flow.apply_intent(order, intent, "race test"), order.id)


@contextmanager
def lowest_stock_seen(app, shelves) -> Iterator[dict[int, int]]:
    """The lowest stock of each shelf's variant (by id), read over and over inside the block."""
    lowest = {shelf.variant_id: shelf.stock for shelf in shelves}
    done = threading.Event()

    def watch():
        with app.app_context():
            while not done.is_set():
                rows = db.session.execute(tenancy.across_stores(
                    select(Variant.id, Variant.stock).where(Variant.id.in_(lowest))))
                for variant_id, stock in rows:
                    lowest[variant_id] = min(lowest[variant_id], stock)
                db.session.rollback()
                done.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield lowest
    finally:
        done.set()
        watcher.join(timeout=10)


def paid_order_ids(results: list[tuple], shelf: Shelf, buyers: int) -> list[int]:
    """The paid buyers' orders; exactly the stock's worth paid, and every other was refused."""
    paid = [result for result in results if result[0] == "paid"]
    refused = [result for result in results if result[0] == "refused"]
    assert len(paid) == shelf.stock and len(refused) == buyers - shelf.stock
    assert {result[1] for result in paid} == {"paid"}
    for _, message, step in refused:
        assert shelf.name in message and "sold out" in message, message
        assert step == "cart"
    return [result[2] for result in paid]


def test_fifty_buyers_for_five_units_give_five_paid_orders_and_45_clear_refusals(pg_app):
    app = pg_app
    with app.app_context():
        shelf = stock_shelf("Festival Pass", STOCK, BUYERS)

    with lowest_stock_seen(app, [shelf]) as lowest:
        results = run_together(BUYERS, lambda index: buy(app, shelf, index))

    paid = paid_order_ids(results, shelf, BUYERS)
    assert lowest[shelf.variant_id] >= 0
    with app.app_context():
        assert stock_of(shelf.variant_id) == 0
        orders = db.session.scalars(select(Order).order_by(Order.id)).all()
        assert len(orders) == STOCK  # a refused placement leaves no order behind
        assert {(o.status, o.payment_status, o.stock_state) for o in orders} == {
            ("paid", "succeeded", "committed")}
        assert sorted(o.id for o in orders) == sorted(paid)
        assert db.session.scalar(select(func.count()).select_from(Payment)) == STOCK
        # The buyers who got a pass have empty carts; the others still have theirs.
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == BUYERS - STOCK
    assert len(outbox(app)) == STOCK


# Without Redis a paid order's mail job runs inside the buyer's commit, on a second pooled
# connection while the buyer still holds its first: with as many buyers paying at once as the
# default pool holds (5 + 10), every connection waits for another. The pool here has room.
@pytest.mark.parametrize("app_config", [{
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2 * sum(TWO_STORE_STOCK), "max_overflow": 5}}],
    ids=["roomy-pool"])
def test_fifty_buyers_in_each_of_two_stores_at_once_buy_only_their_own_stores_stock(pg_app):
    app = pg_app
    with app.app_context():
        home = tenancy.default_store().id
        corner = create_store("corner", "Corner Shop", ["corner.example.com"]).id
        # The same slug and SKU in both stores (each store's own), and different stock, so
        # that units or numbers taken from the wrong store show in the other's figures.
        shelves = [stock_shelf("Festival Pass", stock, BUYERS, store_id,
                               slug="festival-pass", sku="PASS-1")
                   for store_id, stock in ((home, TWO_STORE_STOCK[0]),
                                           (corner, TWO_STORE_STOCK[1]))]
        senders = {}
        for shelf in shelves:
            with tenancy.use_store(shelf.store_id):
                senders[shelf.store_id] = store_settings.display_name()
    buyers = [(shelf, index) for index in range(BUYERS) for shelf in shelves]

    with lowest_stock_seen(app, shelves) as lowest:
        results = run_together(len(buyers), lambda n: buy(app, *buyers[n]))

    mails = Counter((parseaddr(mail["From"])[0], mail["Subject"]) for mail in outbox(app))
    with app.app_context():
        assert db.session.scalar(tenancy.across_stores(select(func.count(Order.id)))) == sum(
            TWO_STORE_STOCK)
        expected_mails = Counter()
        for shelf in shelves:
            mine = [result for (buyer, _), result in zip(buyers, results, strict=True)
                    if buyer is shelf]
            paid = paid_order_ids(mine, shelf, BUYERS)
            assert lowest[shelf.variant_id] >= 0
            with tenancy.use_store(shelf.store_id):
                assert stock_of(shelf.variant_id) == 0
                orders = db.session.scalars(select(Order).order_by(Order.id)).all()
            assert sorted(order.id for order in orders) == sorted(paid)
            assert {order.store_id for order in orders} == {shelf.store_id}
            assert {(o.status, o.payment_status, o.stock_state) for o in orders} == {
                ("paid", "succeeded", "committed")}
            assert {(item.variant_id, item.sku, item.quantity)
                    for order in orders for item in order.items} == {
                (shelf.variant_id, "PASS-1", 1)}
            assert {order.shipping_method_id for order in orders} == {shelf.method_id}
            # Each store numbers its own orders: no gap, no number twice.
            numbers = [f"SH-{10001 + n}" for n in range(shelf.stock)]
            assert sorted(order.number for order in orders) == numbers
            assert db.session.get(Store, shelf.store_id).next_order_number == (
                10001 + shelf.stock)
            order_ids = [order.id for order in orders]
            assert db.session.scalar(select(func.count(Payment.id)).where(
                Payment.order_id.in_(order_ids))) == shelf.stock
            assert db.session.scalar(tenancy.across_stores(
                select(func.count(CartItem.id)).join(Cart).where(
                    Cart.store_id == shelf.store_id, CartItem.variant_id == shelf.variant_id))
            ) == BUYERS - shelf.stock
            assert set(db.session.scalars(tenancy.across_stores(
                select(AuditEntry.store_id).where(AuditEntry.entity_type == "order",
                                                  AuditEntry.entity_id.in_(order_ids))))) == {
                shelf.store_id}
            for number in numbers:
                expected_mails[(senders[shelf.store_id], f"Order {number} confirmed")] += 1
    assert mails == expected_mails


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
