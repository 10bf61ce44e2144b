"""Refunds through localstripe: partial, full, too much refused, and the later webhook ignored."""

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Order, Refund
from shophub.orders import service as orders
from shophub.payments import PaymentError
from shophub.payments import events as webhook_events
from shophub.payments.base import WebhookEvent
from shophub.payments.flow import refresh_from_provider
from tests.checkout_data import add_to_cart, make_method, to_payment
from tests.localstripe import LOCALSTRIPE_URL, pay_intent, require_localstripe
from tests.shop_data import make_variant


@pytest.fixture
def app_config():
    """A store taking payments through localstripe."""
    require_localstripe()
    return {"STRIPE_SECRET_KEY": "sk_test_shophub", "STRIPE_PUBLISHABLE_KEY": "pk_test_shophub",
            "STRIPE_API_BASE": LOCALSTRIPE_URL, "STRIPE_WEBHOOK_SECRET": "whsec_refunds"}


def paid_order(app, client) -> int:
    """A $30.00 order paid at localstripe and applied through the return-page path."""
    with app.app_context():
        variant_id = make_variant("Lamp", price=2500, stock=3)
        method_id = make_method("Standard", price=500)
    add_to_cart(client, variant_id, 1)
    to_payment(client, method_id)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert pay_intent(order.payment_intent_id) == "succeeded"
        refresh_from_provider(order, "test")
        assert (order.status, order.total_cents) == ("paid", 3000)
        return order.id


def test_partial_then_full_refund_and_too_much_refused(app, client):
    order_id = paid_order(app, client)
    with app.app_context():
        first = orders.refund(order_id, 1000, "Scratched")
        assert first.provider_refund_id.startswith("re_")
        order = db.session.get(Order, order_id)
        assert (order.refunded_cents, order.status, order.payment_status) == (
            1000, "partially_refunded", "partially_refunded")

        with pytest.raises(PaymentError, match=r"Refund at most \$20\.00"):
            orders.refund(order_id, 2001, "Too much")
        assert db.session.scalar(select(db.func.count()).select_from(Refund)) == 1

        orders.refund(order_id, 2000, "Returned")
        order = db.session.get(Order, order_id)
        assert (order.refunded_cents, order.status, order.payment_status) == (
            3000, "refunded", "refunded")
        with pytest.raises(PaymentError):
            orders.refund(order_id, 1, "Nothing left")


def test_the_refund_webhook_after_our_own_refund_records_nothing_more(app, client):
    order_id = paid_order(app, client)
    with app.app_context():
        refund = orders.refund(order_id, 1200, "Late delivery")
        order = db.session.get(Order, order_id)
        charge = {"id": order.payments[0].charge_id or "ch_unknown",
                  "payment_intent": order.payment_intent_id, "amount_refunded": 1200,
                  "refunds": {"data": [{"id": refund.provider_refund_id, "amount": 1200,
                                        "status": "succeeded"}]}}
        webhook_events.handle(WebhookEvent(id="evt_refund_1", type="charge.refunded",
                                           object=charge))
        order = db.session.get(Order, order_id)
        assert order.refunded_cents == 1200
        assert [r.amount_cents for r in order.refunds] == [1200]
