"""POST /webhooks/stripe through the test client: signature checks, recording each event id once,
and every event type the shop acts on, with events signed by the tests themselves."""

import json
import time
import uuid

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import CartItem, Order, Payment, ProcessedEvent, Refund
from tests.checkout_data import (
    audit_actions,
    count_rows,
    make_method,
    outbox,
    place_from_cart,
    stock_of,
)
from tests.localstripe import LOCALSTRIPE_URL, sign_payload
from tests.shop_data import make_variant

WEBHOOK_SECRET = "whsec_shophub_webhook_tests"
STRIPE_CONFIG = {
    "STRIPE_SECRET_KEY": "sk_test_shophub",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_shophub",
    "STRIPE_API_BASE": LOCALSTRIPE_URL,
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
TOTAL = 2 * 1250 + 500  # two mugs and standard shipping


@pytest.fixture
def app_config():
    """The store takes payments through Stripe (nothing here calls its API)."""
    return dict(STRIPE_CONFIG)


# --- building and sending events ----------------------------------------------------------------

def placed_order(stock: int = 5, quantity: int = 2, intent_id: str | None = None,
                 with_intent: bool = True) -> tuple[int, int, str]:
    """A pending order paid through a Stripe intent: (order id, variant id, intent id)."""
    variant_id = make_variant("Mug", price=1250, stock=stock)
    order = place_from_cart([(variant_id, quantity)], make_method("Standard", price=500))
    intent_id = intent_id or f"pi_{uuid.uuid4().hex[:20]}"
    if with_intent:
        order.payment_intent_id = intent_id
        order.payment_provider = "stripe"
        order.payment_attempt = 1
        order.intent_created_at = order.placed_at
        db.session.commit()
    return order.id, variant_id, intent_id


def charge_of(intent_id: str) -> str:
    """The charge id these tests give an intent's payment."""
    return "ch_" + intent_id[3:]


def intent_object(intent_id: str, order_id: int, status: str = "succeeded",
                  amount: int = TOTAL, **extra) -> dict:
    """A PaymentIntent as Stripe puts it in an event."""
    paid = status == "succeeded"
    return {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": "usd",
            "status": status, "client_secret": f"{intent_id}_secret_x",
            "latest_charge": charge_of(intent_id) if paid else None,
            "last_payment_error": None, "created": int(time.time()),
            "metadata": {"order_id": str(order_id), "order_number": f"SH-{order_id + 10000}"},
            **extra}


def event_body(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    """A Stripe event envelope as JSON bytes."""
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex[:20]}", "object": "event",
        "api_version": "2026-10-28.endive", "created": int(time.time()), "livemode": False,
        "pending_webhooks": 1, "type": event_type, "data": {"object": obj},
    }).encode()


def post_event(client, body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
               signature: str | None = "sign"):
    """POST a body to the webhook, signed with `secret` unless a signature header is given."""
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = sign_payload(body, secret, timestamp)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=body, headers=headers)


def send(client, event_type: str, obj: dict, event_id: str | None = None) -> dict:
    """Send a correctly signed event; asserts a 200 and returns the JSON answer."""
    response = post_event(client, event_body(event_type, obj, event_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def order_row(order_id: int) -> Order:
    """The order as the database has it now."""
    db.session.expire_all()
    return db.session.get(Order, order_id)


def state(order_id: int) -> tuple:
    """The parts of an order that events change."""
    order = order_row(order_id)
    return (order.status, order.payment_status, order.stock_state, order.refunded_cents,
            order.failure_message, order.dispute_status, order.review_reason)


def confirmation_mails(app) -> list:
    """The confirmation mails in the outbox."""
    return [mail for mail in outbox(app) if mail["Subject"].endswith("confirmed")]


def pay_by_webhook(client, order_id: int, intent_id: str) -> None:
    """Deliver a succeeded event and check the order got paid."""
    assert send(client, "payment_intent.succeeded", intent_object(intent_id, order_id)) == {
        "received": True, "outcome": "handled"}
    assert order_row(order_id).status == "paid"


# --- refused deliveries -------------------------------------------------------------------------

def _garbage(body: bytes) -> tuple[bytes, str]:
    garbage = b"{this is not json"
    return garbage, sign_payload(garbage, WEBHOOK_SECRET)


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda body: (body, None), id="missing-signature"),
    pytest.param(lambda body: (body, ""), id="empty-signature"),
    pytest.param(lambda body: (body, sign_payload(body, "whsec_someone_else")),
                 id="wrong-secret"),
    pytest.param(lambda body: (body, sign_payload(body, WEBHOOK_SECRET,
                                                  int(time.time()) - 301)),
                 id="stale-timestamp"),
    pytest.param(lambda body: (body.replace(b'"amount": 3000', b'"amount": 1'),
                               sign_payload(body, WEBHOOK_SECRET)), id="tampered-body"),
    pytest.param(_garbage, id="signed-garbage"),
    pytest.param(lambda body: (b"", sign_payload(b"", WEBHOOK_SECRET)), id="signed-empty"),
    pytest.param(lambda body: (b'{"object": "event", "type": "payment_intent.succeeded"}',
                               sign_payload(b'{"object": "event", "type": '
                                            b'"payment_intent.succeeded"}', WEBHOOK_SECRET)),
                 id="signed-event-without-id"),
])
def test_a_bad_delivery_gets_400_and_changes_nothing(app, client, tamper):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
        before = state(order_id)
        body = event_body("payment_intent.succeeded", intent_object(intent_id, order_id),
                          "evt_refused_once")
        sent_body, signature = tamper(body)

        response = post_event(client, sent_body, signature=signature)

        assert response.status_code == 400
        assert "error" in response.get_json()
        assert count_rows(ProcessedEvent) == 0
        assert state(order_id) == before
        assert count_rows(Payment) == 0 and stock_of(variant_id) == 3
        assert audit_actions(order_id) == []
        # Nothing was recorded, so the genuine delivery of that event id is handled afresh.
        assert send(client, "payment_intent.succeeded", intent_object(intent_id, order_id),
                    "evt_refused_once")["outcome"] == "handled"
        assert order_row(order_id).status == "paid"
    assert len(confirmation_mails(app)) == 1


@pytest.mark.parametrize("app_config", [{key: value for key, value in STRIPE_CONFIG.items()
                                         if key != "STRIPE_WEBHOOK_SECRET"}])
def test_without_a_webhook_secret_every_event_is_refused(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        response = post_event(client, event_body("payment_intent.succeeded",
                                                 intent_object(intent_id, order_id)))
        assert response.status_code == 400
        assert count_rows(ProcessedEvent) == 0 and order_row(order_id).status == "pending"


@pytest.mark.parametrize("app_config", [{**STRIPE_CONFIG, "WTF_CSRF_ENABLED": True}])
def test_the_webhook_needs_no_csrf_token_when_every_other_post_does(app, client):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
    # CSRF is really on: an ordinary form post without the token is refused.
    assert client.post("/cart/items", data={"variant_id": variant_id,
                                            "quantity": 1}).status_code == 400

    assert send(client, "payment_intent.succeeded",
                intent_object(intent_id, order_id))["outcome"] == "handled"
    with app.app_context():
        assert order_row(order_id).status == "paid"


# --- payment_intent.* ---------------------------------------------------------------------------

def test_succeeded_pays_the_order_once_however_often_it_is_delivered(app, client):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order(stock=5, quantity=2)
        cart_id = order_row(order_id).cart_id
        assert count_rows(CartItem, CartItem.cart_id == cart_id) == 1
        body = event_body("payment_intent.succeeded", intent_object(intent_id, order_id),
                          "evt_paid_1")

        first = post_event(client, body)

        assert first.status_code == 200
        assert first.get_json() == {"received": True, "outcome": "handled"}
        order = order_row(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert order.paid_at is not None and not order.on_hold
        assert stock_of(variant_id) == 3  # reserved at placing, committed now: not taken twice
        (payment,) = db.session.scalars(select(Payment)).all()
        assert (payment.order_id, payment.provider, payment.intent_id, payment.charge_id,
                payment.amount_cents, payment.currency) == (
            order_id, "stripe", intent_id, charge_of(intent_id), TOTAL, "USD")
        (event,) = db.session.scalars(select(ProcessedEvent)).all()
        assert (event.event_id, event.event_type) == ("evt_paid_1", "payment_intent.succeeded")
        assert audit_actions(order_id).count("order.paid") == 1
        assert count_rows(CartItem, CartItem.cart_id == cart_id) == 0  # the bought lines left
        paid_state = state(order_id)

        # Stripe delivers the same event again: acknowledged, nothing happens.
        again = post_event(client, body)
        assert again.status_code == 200
        assert again.get_json() == {"received": True, "outcome": "duplicate"}
        # A different event about the same payment (e.g. re-sent from the dashboard).
        assert send(client, "payment_intent.succeeded", intent_object(intent_id, order_id),
                    "evt_paid_2")["outcome"] == "handled"

        assert state(order_id) == paid_state
        assert count_rows(Payment) == 1 and stock_of(variant_id) == 3
        assert sorted(db.session.scalars(select(ProcessedEvent.event_id))) == [
            "evt_paid_1", "evt_paid_2"]
        assert audit_actions(order_id).count("order.paid") == 1
    (mail,) = outbox(app)
    assert mail["To"] == "ann@example.com"
    assert mail["Subject"] == f"Order SH-{order_id + 10000} confirmed"


def test_the_order_is_found_by_the_intents_metadata_when_it_has_no_intent_yet(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order(with_intent=False)
        assert send(client, "payment_intent.succeeded",
                    intent_object(intent_id, order_id))["outcome"] == "handled"
        order = order_row(order_id)
        assert (order.status, order.payment_intent_id) == ("paid", intent_id)


def test_an_intent_of_another_order_cannot_pay_an_order_through_its_metadata(app, client):
    with app.app_context():
        order_id, variant_id, _ = placed_order()
        before = state(order_id)
        stranger = intent_object("pi_somebody_else", order_id)

        assert send(client, "payment_intent.succeeded", stranger)["outcome"] == "unknown_order"

        assert state(order_id) == before and count_rows(Payment) == 0
        assert count_rows(ProcessedEvent) == 1  # recorded, so a retry is a duplicate
    assert outbox(app) == []


@pytest.mark.parametrize("late", [
    pytest.param(("payment_intent.payment_failed", "requires_payment_method",
                  {"last_payment_error": {"message": "Your card was declined."}}), id="failed"),
    pytest.param(("payment_intent.processing", "processing", {}), id="processing"),
    pytest.param(("payment_intent.canceled", "canceled", {}), id="canceled"),
])
def test_a_late_event_never_moves_a_paid_order_back(app, client, late):
    event_type, status, extra = late
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        paid_state = state(order_id)

        assert send(client, event_type, intent_object(intent_id, order_id, status,
                                                      **extra))["outcome"] == "handled"

        assert state(order_id) == paid_state
        assert order_row(order_id).failure_message is None
        assert stock_of(variant_id) == 3 and count_rows(Payment) == 1
        assert count_rows(ProcessedEvent) == 2  # the late one is recorded too
        assert audit_actions(order_id) == ["order.paid"]
    assert len(outbox(app)) == 1


def test_a_failed_payment_keeps_the_order_payable_until_a_retry_succeeds(app, client):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
        failed = intent_object(intent_id, order_id, "requires_payment_method",
                               last_payment_error={"message": "Your card has insufficient "
                                                              "funds.",
                                                   "code": "card_declined"},
                               latest_charge="ch_failed_1")

        assert send(client, "payment_intent.payment_failed", failed)["outcome"] == "handled"

        order = order_row(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "pending", "failed", "reserved")
        assert order.failure_message == "Your card has insufficient funds."
        assert order.is_payable and order.paid_at is None
        assert stock_of(variant_id) == 3 and count_rows(Payment) == 0
        assert "order.payment_failed" in audit_actions(order_id)
        assert outbox(app) == []

        # The buyer tries another card: processing, then succeeded.
        send(client, "payment_intent.processing", intent_object(intent_id, order_id,
                                                                "processing"))
        order = order_row(order_id)
        assert (order.payment_status, order.failure_message) == ("processing", None)
        assert not order.is_payable
        pay_by_webhook(client, order_id, intent_id)
        order = order_row(order_id)
        assert (order.status, order.payment_status, order.failure_message) == (
            "paid", "succeeded", None)
        assert stock_of(variant_id) == 3 and count_rows(Payment) == 1
    assert len(confirmation_mails(app)) == 1


def test_a_canceled_intent_cancels_the_order_and_gives_its_stock_back_once(app, client):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order(stock=5, quantity=2)
        assert stock_of(variant_id) == 3
        canceled = intent_object(intent_id, order_id, "canceled",
                                 cancellation_reason="abandoned")

        assert send(client, "payment_intent.canceled", canceled)["outcome"] == "handled"
        order = order_row(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "cancelled", "requires_payment", "released")
        assert order.cancel_reason == "The payment was cancelled."
        assert stock_of(variant_id) == 5

        # Another event saying the same thing gives nothing back a second time.
        send(client, "payment_intent.canceled", canceled)
        assert stock_of(variant_id) == 5
        assert audit_actions(order_id).count("order.cancelled") == 1
    assert outbox(app) == []


def test_an_event_for_an_intent_the_shop_does_not_know_is_ignored_and_recorded(app, client):
    with app.app_context():
        order_id, _, _ = placed_order()
        before = state(order_id)
        unknown = intent_object("pi_unknown", 0)
        unknown["metadata"] = {}

        assert send(client, "payment_intent.succeeded", unknown, "evt_unknown")[
            "outcome"] == "unknown_order"
        assert state(order_id) == before
        assert list(db.session.scalars(select(ProcessedEvent.event_id))) == ["evt_unknown"]


def test_a_payment_for_the_wrong_amount_is_flagged_not_fulfilled(app, client):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()

        assert send(client, "payment_intent.succeeded",
                    intent_object(intent_id, order_id, amount=TOTAL - 100))["outcome"] == (
            "handled")

        order = order_row(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "pending", "succeeded", "reserved")
        assert order.on_hold
        assert "Paid $29.00 but the order total is $30.00" in order.review_reason
        assert count_rows(Payment) == 1  # the money arrived and is on record
        assert "order.payment_mismatch" in audit_actions(order_id)
        assert "order.paid" not in audit_actions(order_id)
        assert stock_of(variant_id) == 3
        # A second event does not record the money twice or fulfil it.
        send(client, "payment_intent.succeeded",
             intent_object(intent_id, order_id, amount=TOTAL - 100))
        assert count_rows(Payment) == 1 and order_row(order_id).status == "pending"
    assert outbox(app) == []


def test_a_payment_in_another_currency_is_flagged(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        send(client, "payment_intent.succeeded",
             intent_object(intent_id, order_id, currency="eur"))
        order = order_row(order_id)
        assert order.status == "pending" and order.on_hold
        assert "Paid €30.00 but the order total is $30.00" in order.review_reason
        assert order.payment_status == "succeeded" and order.stock_state == "reserved"
    assert outbox(app) == []


# --- charge.* -----------------------------------------------------------------------------------

def charge_object(intent_id: str, refunds: list[tuple[str, int, str]], amount: int = TOTAL,
                  with_intent: bool = True) -> dict:
    """A refunded Charge as Stripe puts it in charge.refunded (refund list expanded)."""
    data = [{"id": refund_id, "object": "refund", "amount": value, "currency": "usd",
             "status": status, "charge": charge_of(intent_id)}
            for refund_id, value, status in refunds]
    return {"id": charge_of(intent_id), "object": "charge", "amount": amount, "currency": "usd",
            "payment_intent": intent_id if with_intent else None, "paid": True,
            "refunded": sum(value for _, value, status in refunds if status == "succeeded")
            >= amount,
            "amount_refunded": sum(value for _, value, status in refunds
                                   if status in ("succeeded", "pending")),
            "refunds": {"object": "list", "data": data, "has_more": False}}


@pytest.mark.parametrize("with_intent", [True, False], ids=["by-intent", "by-charge-id"])
def test_refunds_at_stripe_are_recorded_once_partial_then_full(app, client, with_intent):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        partial = charge_object(intent_id, [("re_1", 1000, "succeeded")],
                                with_intent=with_intent)

        assert send(client, "charge.refunded", partial, "evt_refund_1")["outcome"] == "handled"
        order = order_row(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "partially_refunded", "partially_refunded", 1000)
        assert order.refundable_cents == TOTAL - 1000

        # The same event again, and the same charge state in a new event: nothing more.
        assert send(client, "charge.refunded", partial, "evt_refund_1")["outcome"] == (
            "duplicate")
        send(client, "charge.refunded", partial, "evt_refund_1b")
        assert order_row(order_id).refunded_cents == 1000 and count_rows(Refund) == 1

        full = charge_object(intent_id, [("re_2", TOTAL - 1000, "succeeded"),
                                         ("re_1", 1000, "succeeded"),
                                         ("re_failed", 700, "failed")], with_intent=with_intent)
        send(client, "charge.refunded", full, "evt_refund_2")
        send(client, "charge.refunded", full, "evt_refund_2b")

        order = order_row(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "refunded", "refunded", TOTAL)
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.provider_refund_id, r.amount_cents, r.source) for r in refunds] == [
            ("re_1", 1000, "provider"), ("re_2", TOTAL - 1000, "provider")]
        assert audit_actions(order_id).count("order.refunded") == 2
        assert stock_of(variant_id) == 3  # a refund at Stripe says nothing about the goods


def test_a_refund_event_without_its_refund_list_uses_the_charges_total(app, client):
    # From API version 2022-11-15 on, a Charge in an event no longer lists its refunds.
    with app.app_context():
        order_id, _, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        charge = charge_object(intent_id, [])
        del charge["refunds"]
        charge["amount_refunded"] = 1200

        send(client, "charge.refunded", charge)
        send(client, "charge.refunded", charge)

        order = order_row(order_id)
        assert (order.payment_status, order.refunded_cents) == ("partially_refunded", 1200)
        assert count_rows(Refund) == 1


def test_a_refund_of_a_charge_the_shop_does_not_know_is_ignored(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        stranger = charge_object("pi_stranger", [("re_x", 500, "succeeded")],
                                 with_intent=False)
        assert send(client, "charge.refunded", stranger)["outcome"] == "unknown_order"
        assert order_row(order_id).refunded_cents == 0 and count_rows(Refund) == 0


def dispute_object(intent_id: str, status: str, reason: str = "fraudulent") -> dict:
    """A Dispute as Stripe puts it in charge.dispute.* events."""
    return {"id": "dp_" + intent_id[3:], "object": "dispute", "amount": TOTAL, "currency": "usd",
            "charge": charge_of(intent_id), "payment_intent": intent_id, "status": status,
            "reason": reason}


@pytest.mark.parametrize("closed, still_on_hold", [("won", False), ("lost", True)])
def test_a_dispute_holds_the_order_until_it_is_closed(app, client, closed, still_on_hold):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        assert not order_row(order_id).on_hold

        assert send(client, "charge.dispute.created",
                    dispute_object(intent_id, "needs_response"))["outcome"] == "handled"
        order = order_row(order_id)
        assert order.dispute_status == "needs_response" and order.on_hold
        assert order.status == "paid"

        send(client, "charge.dispute.closed", dispute_object(intent_id, closed))
        order = order_row(order_id)
        assert order.dispute_status == closed and order.on_hold is still_on_hold

        # A late, re-sent "created" does not reopen the closed dispute.
        send(client, "charge.dispute.created", dispute_object(intent_id, "needs_response"))
        assert order_row(order_id).dispute_status == closed
        assert audit_actions(order_id).count("order.dispute") == 2
        assert count_rows(ProcessedEvent) == 4


def test_a_dispute_found_by_its_charge_alone(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        dispute = dispute_object(intent_id, "warning_needs_response")
        dispute["payment_intent"] = None
        send(client, "charge.dispute.created", dispute)
        assert order_row(order_id).dispute_status == "warning_needs_response"
        assert order_row(order_id).on_hold


# --- anything else ------------------------------------------------------------------------------

def test_an_unknown_event_type_is_acknowledged_recorded_and_ignored(app, client):
    with app.app_context():
        order_id, _, intent_id = placed_order()
        before = state(order_id)
        body = event_body("customer.created", {"id": "cus_1", "object": "customer"},
                          "evt_customer")

        response = post_event(client, body)

        assert response.status_code == 200
        assert response.get_json() == {"received": True, "outcome": "ignored"}
        (event,) = db.session.scalars(select(ProcessedEvent)).all()
        assert (event.event_id, event.event_type) == ("evt_customer", "customer.created")
        assert state(order_id) == before
        assert post_event(client, body).get_json()["outcome"] == "duplicate"
        assert count_rows(ProcessedEvent) == 1


def _envelope(created=None, event_id=None):
    def tamper(obj: dict) -> bytes:
        envelope = json.loads(event_body("payment_intent.succeeded", obj))
        if created is not None:
            envelope["created"] = created
        if event_id is not None:
            envelope["id"] = event_id
        return json.dumps(envelope).encode()
    return tamper


@pytest.mark.parametrize("make_body", [
    pytest.param(_envelope(created="abc"), id="created-abc"),
    pytest.param(_envelope(event_id="evt_" + "x" * 130), id="id-over-120"),
])
def test_a_signed_envelope_that_names_no_event_gets_400(app, client, make_body):
    with app.app_context():
        order_id, _variant_id, intent_id = placed_order()
        before = state(order_id)
        response = post_event(client, make_body(intent_object(intent_id, order_id)))
        assert response.status_code == 400
        assert count_rows(ProcessedEvent) == 0 and state(order_id) == before


def _without(key):
    return lambda obj: {k: v for k, v in obj.items() if k != key}


@pytest.mark.parametrize(("event_type", "change"), [
    pytest.param("payment_intent.succeeded", _without("id"), id="object-without-id"),
    pytest.param("payment_intent.succeeded", lambda obj: {**obj, "amount": "abc"},
                 id="amount-abc"),
    pytest.param("payment_intent.succeeded", lambda obj: {**obj, "metadata": "x"},
                 id="metadata-x"),
    pytest.param("charge.refunded", lambda obj: {"id": charge_of(obj["id"]),
                                                 "payment_intent": obj["id"],
                                                 "amount_refunded": "lots"},
                 id="amount-refunded-lots"),
    pytest.param("charge.refunded", lambda obj: {"id": charge_of(obj["id"]),
                                                 "payment_intent": obj["id"],
                                                 "amount_refunded": 100,
                                                 "refunds": {"data": "x"}},
                 id="refunds-data-x"),
])
def test_a_signed_event_whose_object_does_not_parse_is_acknowledged_and_changes_nothing(
        app, client, caplog, event_type, change):
    with app.app_context():
        order_id, variant_id, intent_id = placed_order()
        pay_by_webhook(client, order_id, intent_id)
        before = state(order_id)
        events_before = count_rows(ProcessedEvent)
        obj = change(intent_object(intent_id, order_id))
        response = post_event(client, event_body(event_type, obj, "evt_malformed_1"))
        assert response.status_code == 200
        assert response.get_json()["outcome"] == "malformed"
        assert count_rows(ProcessedEvent) == events_before  # not even the id is recorded
        assert state(order_id) == before
    assert caplog.text.count("evt_malformed_1 (" + event_type + ") is malformed") == 1
