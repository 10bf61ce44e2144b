"""The checkout paid through localstripe: its intents, its signed webhooks to a live server,
and the reconciliation and expiry jobs when a webhook never comes."""

import re
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from shophub import payments
from shophub.extensions import db
from shophub.models import Order, Payment, Variant
from shophub.orders import service as orders
from shophub.payments import PaymentError, provider
from shophub.payments import events as webhook_events
from shophub.payments.flow import expire_stale_orders, reconcile_pending_orders
from shophub.payments.stripe import UNREACHABLE_MESSAGE
from tests.checkout_data import (
    add_to_cart,
    count_rows,
    make_method,
    outbox,
    page,
    send_contact,
    send_shipping,
    to_payment,
)
from tests.localstripe import (
    CARD_DECLINED,
    CARD_REQUIRES_ACTION,
    LOCALSTRIPE_URL,
    WEBHOOK_DELAY_SECONDS,
    authenticate_intent,
    make_provider,
    pay_intent,
    require_localstripe,
    unregister_webhook,
)
from tests.shop_data import make_variant
from tests.stripe_server import live_server, registered_webhook, wait_for

WEBHOOK_SECRET = "whsec_shophub_checkout_tests"
INTENT_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed",
                 "payment_intent.processing", "payment_intent.canceled"]
PRICE, SHIPPING = 1250, 500


@pytest.fixture
def app_config():
    """A store taking payments through localstripe."""
    require_localstripe()
    return {
        "STRIPE_SECRET_KEY": "sk_test_shophub",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_shophub",
        "STRIPE_API_BASE": LOCALSTRIPE_URL,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@pytest.fixture
def shop(app, monkeypatch):
    """`app` served live with its webhook registered at localstripe, and what it was sent.

    `events` lists (type, intent id, outcome) of every event the webhook handled; `created`
    lists the intents the app asked the provider to create.
    """
    handled: list[tuple[str, str, str]] = []
    created: list[str] = []
    real_handle = webhook_events.handle

    def spy_handle(event):
        outcome = real_handle(event)
        handled.append((event.type, str(event.object.get("id")), outcome))
        return outcome

    monkeypatch.setattr(webhook_events, "handle", spy_handle)
    with app.app_context():
        payments = provider()
    real_create = payments.create_intent

    def spy_create(**kwargs):
        intent = real_create(**kwargs)
        created.append(intent.id)
        return intent

    monkeypatch.setattr(payments, "create_intent", spy_create)
    with live_server(app) as url, registered_webhook(url, WEBHOOK_SECRET,
                                                     INTENT_EVENTS) as webhook_id:
        yield SimpleNamespace(url=url, webhook_id=webhook_id, events=handled, created=created)


def read_order(app, order_id: int) -> Order:
    """The order as the database has it now (read in a context and session of its own)."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


def stock(app, variant_id: int) -> int:
    """A variant's stock now."""
    with app.app_context():
        return db.session.scalar(select(Variant.stock).where(Variant.id == variant_id))


def wait_for_status(app, order_id: int, status: str, payment_status: str) -> Order:
    """Poll the database until the order has these statuses (a webhook is on its way)."""
    def reached():
        order = read_order(app, order_id)
        return order if (order.status, order.payment_status) == (status, payment_status) else None

    return wait_for(reached, timeout=10, interval=0.05,
                    what=f"order {order_id} becoming {status}/{payment_status}")


def check_out(app, client, quantity: int = 2, stock_level: int = 5):
    """A guest puts mugs in the cart and goes to the payment step; the order is placed."""
    with app.app_context():
        variant_id = make_variant("Mug", price=PRICE, stock=stock_level)
        method_id = make_method("Standard", price=SHIPPING)
    add_to_cart(client, variant_id, quantity)
    response = to_payment(client, method_id)
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        order_id, intent_id = order.id, order.payment_intent_id
    return SimpleNamespace(order_id=order_id, variant_id=variant_id, method_id=method_id,
                           intent_id=intent_id, page=page(response))


def client_secret_in(text: str) -> str:
    """The client secret the payment page hands to the Payment Element."""
    return re.search(r'data-client-secret="([^"]+)"', text).group(1)


def complete_page(client, intent_id: str, secret: str | None):
    """GET the return page the way Stripe's redirect calls it."""
    query = {"payment_intent": intent_id, "redirect_status": "succeeded"}
    if secret is not None:
        query["payment_intent_client_secret"] = secret
    return client.get("/checkout/complete", query_string=query)


def intent_events(shop, intent_id: str) -> list[tuple[str, str]]:
    """(type, outcome) of the handled webhook events about one intent."""
    return [(kind, outcome) for kind, about, outcome in shop.events if about == intent_id]


def test_checkout_makes_one_intent_and_its_webhook_pays_the_order(app, client, shop):
    bought = check_out(app, client, quantity=2)
    stripe = make_provider()
    order = read_order(app, bought.order_id)
    assert order.total_cents == 2 * PRICE + SHIPPING
    assert (order.payment_provider, order.payment_attempt) == ("stripe", 1)
    intent = stripe.retrieve_intent(bought.intent_id)
    assert shop.created == [bought.intent_id]
    assert (intent.status, intent.amount, intent.currency) == (
        "requires_payment_method", order.total_cents, "USD")
    assert intent.metadata == {"order_id": str(order.id), "order_number": order.number}
    assert client_secret_in(bought.page) == intent.client_secret
    assert 'data-publishable-key="pk_test_shophub"' in bought.page
    assert "/checkout/complete" in bought.page

    # Coming back to the payment step reuses the intent.
    again = client.get("/checkout/payment")
    assert again.status_code == 200 and client_secret_in(page(again)) == intent.client_secret
    assert shop.created == [bought.intent_id]

    # One more mug: the order is revised and the same intent asks for the new total.
    add_to_cart(client, bought.variant_id, 1)
    assert send_shipping(client, bought.method_id, place_order=True).status_code == 303
    revised = client.get("/checkout/payment")
    assert revised.status_code == 200 and "Pay $42.50" in page(revised)
    order = read_order(app, bought.order_id)
    assert (order.total_cents, order.payment_intent_id) == (3 * PRICE + SHIPPING,
                                                            bought.intent_id)
    assert stripe.retrieve_intent(bought.intent_id).amount == 3 * PRICE + SHIPPING
    assert shop.created == [bought.intent_id]
    assert stock(app, bought.variant_id) == 2

    assert pay_intent(bought.intent_id) == "succeeded"

    order = wait_for_status(app, bought.order_id, "paid", "succeeded")
    assert order.stock_state == "committed" and not order.on_hold
    wait_for(lambda: intent_events(shop, bought.intent_id), what="the webhook's answer")
    assert intent_events(shop, bought.intent_id) == [("payment_intent.succeeded", "handled")]
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment)).all()
        assert (payment.intent_id, payment.amount_cents, payment.currency) == (
            bought.intent_id, 3 * PRICE + SHIPPING, "USD")
        assert payment.charge_id == stripe.retrieve_intent(bought.intent_id).latest_charge
        assert payment.charge_id.startswith("ch_")
    assert stock(app, bought.variant_id) == 2

    # Stripe's redirect back: another browser needs the client secret to see it.
    stranger = app.test_client()
    assert complete_page(stranger, bought.intent_id, None).status_code == 404
    assert complete_page(stranger, bought.intent_id, "pi_x_secret_wrong").status_code == 404
    returned = complete_page(stranger, bought.intent_id, intent.client_secret)
    assert returned.status_code == 200 and "Your order is confirmed." in page(returned)
    assert "Your order is confirmed." in page(complete_page(client, bought.intent_id, None))
    with app.app_context():
        assert count_rows(Payment) == 1
    (mail,) = outbox(app)
    assert mail["Subject"] == f"Order {order.number} confirmed"


def test_a_declined_card_leaves_the_order_payable_with_the_same_intent(app, client, shop):
    # localstripe cannot confirm an intent again once a charge of it failed (it answers 400),
    # so paying this intent after the decline is left to the next test's failed 3-D Secure.
    bought = check_out(app, client)

    assert pay_intent(bought.intent_id, CARD_DECLINED) == "requires_payment_method"

    order = wait_for_status(app, bought.order_id, "pending", "failed")
    assert order.failure_message == "Your card was declined."
    assert order.is_payable and order.stock_state == "reserved"
    assert stock(app, bought.variant_id) == 3
    wait_for(lambda: intent_events(shop, bought.intent_id), what="the webhook's answer")
    assert intent_events(shop, bought.intent_id) == [
        ("payment_intent.payment_failed", "handled")]
    declined = complete_page(client, bought.intent_id, None)
    assert "Your payment did not go through" in page(declined)
    assert "Your card was declined." in page(declined)
    retry = client.get("/checkout/payment")
    assert retry.status_code == 200
    assert client_secret_in(page(retry)) == client_secret_in(bought.page)
    assert "Your last attempt did not go through: Your card was declined." in page(retry)
    assert shop.created == [bought.intent_id]
    with app.app_context():
        assert count_rows(Payment) == 0
    assert outbox(app) == []


def test_a_failed_3d_secure_step_is_shown_and_the_same_intent_is_paid_next(app, client, shop):
    bought = check_out(app, client)
    assert pay_intent(bought.intent_id, CARD_REQUIRES_ACTION) == "requires_action"
    assert authenticate_intent(bought.intent_id, success=False) == "requires_payment_method"

    # Stripe sends no event for this; the return page reads the intent and records it.
    returned = complete_page(client, bought.intent_id, None)
    assert "Your payment did not go through" in page(returned)
    assert "The provided PaymentMethod has failed authentication." in page(returned)
    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status) == ("pending", "failed")
    assert order.is_payable
    retry = client.get("/checkout/payment")
    assert client_secret_in(page(retry)) == client_secret_in(bought.page)

    assert pay_intent(bought.intent_id) == "succeeded"

    order = wait_for_status(app, bought.order_id, "paid", "succeeded")
    assert order.failure_message is None
    assert shop.created == [bought.intent_id]
    wait_for(lambda: intent_events(shop, bought.intent_id), what="the webhook's answer")
    assert intent_events(shop, bought.intent_id) == [("payment_intent.succeeded", "handled")]
    assert stock(app, bought.variant_id) == 3
    with app.app_context():
        assert count_rows(Payment) == 1
    assert len(outbox(app)) == 1


def test_a_card_asking_for_3d_secure_is_paid_once_authenticated(app, client, shop):
    bought = check_out(app, client)

    assert pay_intent(bought.intent_id, CARD_REQUIRES_ACTION) == "requires_action"
    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status) == ("pending", "requires_payment")
    assert client.get("/checkout/payment").status_code == 200  # still payable

    assert authenticate_intent(bought.intent_id) == "succeeded"

    wait_for_status(app, bought.order_id, "paid", "succeeded")
    wait_for(lambda: intent_events(shop, bought.intent_id), what="the webhook's answer")
    assert intent_events(shop, bought.intent_id) == [("payment_intent.succeeded", "handled")]
    assert "Your order is confirmed." in page(complete_page(client, bought.intent_id, None))
    assert len(outbox(app)) == 1


def test_the_return_page_pays_the_order_before_the_webhook_which_then_changes_nothing(
        app, client, shop):
    bought = check_out(app, client)

    assert pay_intent(bought.intent_id) == "succeeded"
    returned = complete_page(client, bought.intent_id, None)  # within localstripe's delay

    assert "Your order is confirmed." in page(returned)
    assert intent_events(shop, bought.intent_id) == []
    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status) == ("paid", "succeeded")
    wait_for(lambda: intent_events(shop, bought.intent_id), timeout=10, interval=0.05,
             what="the succeeded webhook")
    assert intent_events(shop, bought.intent_id) == [("payment_intent.succeeded", "handled")]
    with app.app_context():
        assert count_rows(Payment) == 1
    assert read_order(app, bought.order_id).paid_at == order.paid_at
    assert len(outbox(app)) == 1


def test_a_missed_webhook_is_made_good_by_reconciliation(app, client, shop):
    bought = check_out(app, client)
    unregister_webhook(shop.webhook_id)

    assert pay_intent(bought.intent_id) == "succeeded"
    time.sleep(WEBHOOK_DELAY_SECONDS + 0.5)
    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status) == ("pending", "requires_payment")
    assert intent_events(shop, bought.intent_id) == []

    with app.app_context():
        assert reconcile_pending_orders() == 0  # the intent is too young to chase yet
        db.session.execute(update(Order).where(Order.id == bought.order_id).values(
            intent_created_at=orders.now() - timedelta(minutes=10)))
        db.session.commit()
        assert reconcile_pending_orders() == 1
        assert reconcile_pending_orders() == 0

    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status, order.stock_state) == (
        "paid", "succeeded", "committed")
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment)).all()
        assert payment.charge_id.startswith("ch_")
    assert stock(app, bought.variant_id) == 3
    assert len(outbox(app)) == 1


def _lapse(app, order_id: int) -> None:
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id).values(
            reserved_until=orders.now() - timedelta(minutes=1)))
        db.session.commit()


def test_expiry_cancels_the_intent_at_stripe_and_releases_the_stock(app, client, shop):
    bought = check_out(app, client)
    assert stock(app, bought.variant_id) == 3
    _lapse(app, bought.order_id)

    with app.app_context():
        assert expire_stale_orders() == 1

    assert make_provider().retrieve_intent(bought.intent_id).status == "canceled"
    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status, order.stock_state) == (
        "cancelled", "requires_payment", "released")
    assert stock(app, bought.variant_id) == 5
    back = client.get("/checkout/payment")
    assert back.status_code == 302 and "step=shipping" in back.location
    with app.app_context():
        assert expire_stale_orders() == 0
    assert stock(app, bought.variant_id) == 5


def test_expiry_applies_an_intent_paid_at_stripe_whose_webhook_was_missed(app, client, shop):
    bought = check_out(app, client)
    unregister_webhook(shop.webhook_id)
    assert pay_intent(bought.intent_id) == "succeeded"
    _lapse(app, bought.order_id)

    with app.app_context():
        assert expire_stale_orders() == 0

    order = read_order(app, bought.order_id)
    assert (order.status, order.payment_status, order.stock_state) == (
        "paid", "succeeded", "committed")
    assert make_provider().retrieve_intent(bought.intent_id).status == "succeeded"
    assert stock(app, bought.variant_id) == 3


def test_expiry_cancels_an_order_whose_intent_was_cancelled_at_stripe_already(
        app, client, shop):
    bought = check_out(app, client)
    make_provider().cancel_intent(bought.intent_id)  # e.g. from the dashboard; no event comes
    _lapse(app, bought.order_id)

    with app.app_context():
        assert expire_stale_orders() == 1

    order = read_order(app, bought.order_id)
    assert (order.status, order.stock_state) == ("cancelled", "released")
    assert stock(app, bought.variant_id) == 5


def test_two_payment_pages_opened_at_once_show_the_one_stored_intent(app, client, shop,
                                                                      monkeypatch):
    # localstripe ignores idempotency keys, so both requests create an intent: the second
    # must still show the buyer the stored one, the only one the shop's webhook will match.
    unregister_webhook(shop.webhook_id)  # no other tester's event meets an order sans intent
    with app.app_context():
        variant_id = make_variant("Mug", price=PRICE, stock=5)
        method_id = make_method("Standard", price=SHIPPING)
    add_to_cart(client, variant_id, 2)
    send_contact(client)
    assert send_shipping(client, method_id, place_order=True).status_code == 303
    second = app.test_client()
    second.set_cookie("session", client.get_cookie("session").value)
    with app.app_context():
        payments = provider()
    creating = payments.create_intent

    def slow_create(**kwargs):
        time.sleep(0.3)  # both requests are in flight before either stores its intent
        return creating(**kwargs)

    monkeypatch.setattr(payments, "create_intent", slow_create)
    pages: dict[str, str] = {}

    def open_page(name, browser):
        pages[name] = page(browser.get("/checkout/payment"))

    threads = [threading.Thread(target=open_page, args=(name, browser))
               for name, browser in (("first", client), ("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        stored = make_provider().retrieve_intent(order.payment_intent_id)
    assert client_secret_in(pages["first"]) == stored.client_secret
    assert client_secret_in(pages["second"]) == stored.client_secret


class StripeKeys:
    """The provider as Stripe treats idempotency keys, with the first answer lost on the way.

    A key sent again with the same parameters gets the first intent back; with other
    parameters Stripe refuses it (for 24 hours).
    """

    def __init__(self, real):
        self.real = real
        self.seen: dict[str, tuple[dict, object]] = {}
        self.lose_next = True

    def __getattr__(self, name):
        return getattr(self.real, name)

    def create_intent(self, *, idempotency_key, **params):
        if idempotency_key in self.seen:
            first_params, intent = self.seen[idempotency_key]
            if first_params != params:
                raise PaymentError("The payment could not be processed.")
            return intent
        intent = self.real.create_intent(idempotency_key=idempotency_key, **params)
        self.seen[idempotency_key] = (params, intent)
        if self.lose_next:
            self.lose_next = False
            raise PaymentError(UNREACHABLE_MESSAGE)
        return intent


def test_a_create_whose_answer_was_lost_does_not_block_a_revised_order(app, client, shop):
    unregister_webhook(shop.webhook_id)  # no other tester's event meets an order sans intent
    with app.app_context():
        keys = StripeKeys(provider())
        # What provider() hands out for the default store's keys from now on.
        app.extensions["shophub_payment_providers"][payments.stripe_keys()] = keys
        variant_id = make_variant("Mug", price=PRICE, stock=5)
        method_id = make_method("Standard", price=SHIPPING)
    add_to_cart(client, variant_id, 2)
    send_contact(client)
    assert send_shipping(client, method_id, place_order=True).status_code == 303
    lost = client.get("/checkout/payment")
    assert lost.status_code == 503 and UNREACHABLE_MESSAGE in page(lost)

    # The buyer adds a mug and comes back to pay: the revised order gets its intent.
    add_to_cart(client, variant_id, 1)
    assert send_shipping(client, method_id, place_order=True).status_code == 303
    revised = client.get("/checkout/payment")

    assert revised.status_code == 200, page(revised)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.total_cents == 3 * PRICE + SHIPPING
        intent = make_provider().retrieve_intent(order.payment_intent_id)
    assert intent.amount == 3 * PRICE + SHIPPING
    assert client_secret_in(page(revised)) == intent.client_secret
