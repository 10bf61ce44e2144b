"""StripeProvider against a running localstripe, and its webhook verification."""

import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from stripe._api_version import _ApiVersion

from shophub.payments.base import (
    CANCELED,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    PaymentError,
    WebhookError,
)
from shophub.payments.stripe import STRIPE_API_VERSION, UNREACHABLE_MESSAGE, StripeProvider
from tests.localstripe import (
    CARD_DECLINED,
    CARD_REQUIRES_ACTION,
    LOCALSTRIPE_URL,
    authenticate_intent,
    make_provider,
    pay_intent,
    register_webhook,
    require_localstripe,
    sign_payload,
    unregister_webhook,
)

SECRET = "whsec_test"


@pytest.fixture
def provider():
    """A StripeProvider on localstripe; the test is skipped when localstripe is down."""
    require_localstripe()
    return make_provider(SECRET)


@pytest.fixture
def webhook_inbox(provider):
    """A loopback endpoint registered with localstripe; yields the (body, signature) it got."""
    received: list[tuple[bytes, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.rfile.read(int(self.headers["Content-Length"])),
                             self.headers.get("Stripe-Signature")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    webhook_id = f"test-{uuid.uuid4().hex[:12]}"
    register_webhook(f"http://127.0.0.1:{server.server_port}/webhooks/stripe", SECRET, webhook_id)
    try:
        yield received
    finally:
        unregister_webhook(webhook_id)
        server.shutdown()
        server.server_close()


def _wait_for_event(provider, received, intent_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body, signature in list(received):
            event = provider.parse_webhook(body, signature)
            if event.object.get("id") == intent_id:
                return event
        time.sleep(0.1)
    raise AssertionError(f"no webhook for {intent_id} within {timeout} s")


def _create(provider, amount=2599, currency="EUR", order_id=7, order_number="SH-0007"):
    return provider.create_intent(amount=amount, currency=currency, order_id=order_id,
                                  order_number=order_number,
                                  idempotency_key=f"test-{uuid.uuid4()}")


def _event_payload(event_type="payment_intent.succeeded", intent_id="pi_123") -> bytes:
    return json.dumps({
        "id": "evt_test_1",
        "object": "event",
        "type": event_type,
        "created": 1700000000,
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": "succeeded",
                            "amount": 2599, "metadata": {"order_id": "7"}}},
    }).encode()


def test_api_version_is_the_sdk_release_version():
    assert STRIPE_API_VERSION == _ApiVersion.CURRENT


def test_create_intent_for_real_stripe_sends_automatic_payment_methods(monkeypatch):
    sent = []
    answer = {"id": "pi_real", "object": "payment_intent", "status": "requires_payment_method",
              "amount": 2599, "currency": "eur", "client_secret": "pi_real_secret_x",
              "latest_charge": "ch_real", "created": 1700000000,
              "last_payment_error": {"message": "Your card has insufficient funds."},
              "metadata": {"order_id": "7", "order_number": "SH-0007"}}

    def fake_request(self, method, url, headers, post_data=None):
        sent.append((method, url, headers, post_data))
        return json.dumps(answer), 200, {}

    monkeypatch.setattr(stripe.RequestsClient, "request", fake_request)

    intent = StripeProvider("sk_test_real", SECRET).create_intent(
        amount=2599, currency="EUR", order_id=7, order_number="SH-0007", idempotency_key="o7-a1")

    method, url, headers, post_data = sent[0]
    params = dict(urllib.parse.parse_qsl(post_data))
    assert (method, url) == ("post", "https://api.stripe.com/v1/payment_intents")
    assert headers["Idempotency-Key"] == "o7-a1"
    assert headers["Stripe-Version"] == STRIPE_API_VERSION
    assert params == {"amount": "2599", "currency": "eur", "description": "Order SH-0007",
                      "metadata[order_id]": "7", "metadata[order_number]": "SH-0007",
                      "automatic_payment_methods[enabled]": "true"}
    assert intent.currency == "EUR"
    assert intent.latest_charge == "ch_real"
    assert intent.failure_message == "Your card has insufficient funds."


def test_create_intent(provider):
    intent = _create(provider)

    assert intent.id.startswith("pi_")
    assert intent.status == REQUIRES_PAYMENT_METHOD
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount, intent.currency) == (2599, "EUR")
    assert intent.metadata == {"order_id": "7", "order_number": "SH-0007"}
    assert intent.latest_charge is None and intent.failure_message is None
    assert intent.created > 0


def test_update_amount(provider):
    intent = _create(provider)

    updated = provider.update_amount(intent.id, 3100)

    assert updated.amount == 3100
    assert provider.retrieve_intent(intent.id).amount == 3100


def test_paid_intent_succeeds_with_a_charge(provider):
    intent = _create(provider)
    provider.update_amount(intent.id, 1500)

    assert pay_intent(intent.id) == SUCCEEDED

    paid = provider.retrieve_intent(intent.id)
    assert paid.status == SUCCEEDED
    assert paid.amount == 1500
    assert paid.latest_charge.startswith("ch_")
    assert paid.failure_message is None


def test_declined_card_needs_another_payment_method(provider):
    intent = _create(provider)

    assert pay_intent(intent.id, CARD_DECLINED) == REQUIRES_PAYMENT_METHOD

    failed = provider.retrieve_intent(intent.id)
    assert failed.status == REQUIRES_PAYMENT_METHOD
    assert failed.failure_message == "Your card was declined."
    assert failed.latest_charge.startswith("ch_")


def test_three_d_secure_card_requires_action_then_succeeds(provider):
    intent = _create(provider)

    assert pay_intent(intent.id, CARD_REQUIRES_ACTION) == REQUIRES_ACTION
    assert provider.retrieve_intent(intent.id).latest_charge is None

    assert authenticate_intent(intent.id) == SUCCEEDED
    paid = provider.retrieve_intent(intent.id)
    assert paid.status == SUCCEEDED
    assert paid.latest_charge.startswith("ch_")


def test_failed_three_d_secure_needs_another_payment_method(provider):
    intent = _create(provider)
    pay_intent(intent.id, CARD_REQUIRES_ACTION)

    assert authenticate_intent(intent.id, success=False) == REQUIRES_PAYMENT_METHOD
    failed = provider.retrieve_intent(intent.id)
    assert failed.failure_message == "The provided PaymentMethod has failed authentication."


def test_localstripe_sends_signed_succeeded_webhook(provider, webhook_inbox):
    intent = _create(provider)

    pay_intent(intent.id)

    event = _wait_for_event(provider, webhook_inbox, intent.id)
    assert event.type == "payment_intent.succeeded"
    assert event.object["status"] == SUCCEEDED
    assert event.object["metadata"] == {"order_id": "7", "order_number": "SH-0007"}


def test_localstripe_sends_signed_payment_failed_webhook(provider, webhook_inbox):
    intent = _create(provider)

    pay_intent(intent.id, CARD_DECLINED)

    event = _wait_for_event(provider, webhook_inbox, intent.id)
    assert event.type == "payment_intent.payment_failed"
    assert event.object["status"] == REQUIRES_PAYMENT_METHOD
    assert event.object["last_payment_error"]["message"] == "Your card was declined."


def test_cancel_intent(provider):
    intent = _create(provider)

    canceled = provider.cancel_intent(intent.id)

    assert canceled.status == CANCELED
    assert provider.retrieve_intent(intent.id).status == CANCELED


def test_cancel_of_paid_intent_is_refused(provider):
    intent = _create(provider)
    pay_intent(intent.id)

    with pytest.raises(PaymentError):
        provider.cancel_intent(intent.id)


def test_full_and_partial_refunds(provider):
    first, second = _create(provider, amount=5000), _create(provider, amount=4000)
    pay_intent(first.id)
    pay_intent(second.id)

    full = provider.refund(intent_id=first.id, amount=5000, idempotency_key=f"r-{uuid.uuid4()}")
    partial = provider.refund(intent_id=second.id, amount=1250,
                              idempotency_key=f"r-{uuid.uuid4()}")

    assert full.id.startswith("re_") and (full.amount, full.status) == (5000, "succeeded")
    assert partial.id.startswith("re_") and (partial.amount, partial.status) == (1250, "succeeded")


def test_refund_of_unpaid_intent_is_a_payment_error(provider):
    intent = _create(provider)

    with pytest.raises(PaymentError):
        provider.refund(intent_id=intent.id, amount=100, idempotency_key=f"r-{uuid.uuid4()}")


def test_unknown_intent_is_a_payment_error(provider):
    with pytest.raises(PaymentError):
        provider.retrieve_intent("pi_doesnotexist")


def test_bad_key_is_a_payment_error_with_a_safe_message():
    require_localstripe()
    bad = StripeProvider("not-a-secret-key", SECRET, api_base=LOCALSTRIPE_URL)

    with pytest.raises(PaymentError) as caught:
        _create(bad)

    assert str(caught.value) == UNREACHABLE_MESSAGE
    assert isinstance(caught.value.__cause__, stripe.AuthenticationError)


def test_unreachable_server_is_a_payment_error():
    closed = StripeProvider("sk_test_shophub", SECRET, api_base="http://127.0.0.1:9")

    with pytest.raises(PaymentError) as caught:
        closed.retrieve_intent("pi_123")

    assert str(caught.value) == UNREACHABLE_MESSAGE
    assert isinstance(caught.value.__cause__, stripe.APIConnectionError)


def test_parse_webhook_returns_the_verified_event():
    payload = _event_payload()

    event = make_provider(SECRET).parse_webhook(payload, sign_payload(payload, SECRET))

    assert (event.id, event.type, event.created) == (
        "evt_test_1", "payment_intent.succeeded", 1700000000)
    assert type(event.object) is dict
    assert event.object["id"] == "pi_123"
    assert type(event.object["metadata"]) is dict and event.object["metadata"]["order_id"] == "7"


def test_sign_payload_header_shape():
    header = sign_payload(b"{}", SECRET, timestamp=1700000000)

    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64


@pytest.mark.parametrize("make_header", [
    pytest.param(lambda payload: sign_payload(payload, "whsec_other"), id="wrong-secret"),
    pytest.param(lambda payload: sign_payload(payload, SECRET, int(time.time()) - 301),
                 id="stale-timestamp"),
    pytest.param(lambda payload: sign_payload(payload + b" ", SECRET), id="tampered-body"),
    pytest.param(lambda payload: "t=abc,v1=def", id="garbled-header"),
    pytest.param(lambda payload: None, id="missing-header"),
    pytest.param(lambda payload: "", id="empty-header"),
])
def test_parse_webhook_rejects_bad_signatures(make_header):
    payload = _event_payload()

    with pytest.raises(WebhookError):
        make_provider(SECRET).parse_webhook(payload, make_header(payload))


def test_parse_webhook_accepts_a_timestamp_within_tolerance():
    payload = _event_payload()
    header = sign_payload(payload, SECRET, int(time.time()) - 240)

    assert make_provider(SECRET).parse_webhook(payload, header).id == "evt_test_1"


@pytest.mark.parametrize("payload", [
    b"{not json", b"[1, 2]", b'"event"', b'{"id": "evt_1", "object": "event", "data": 5}',
    b'{"object": "event", "type": "x"}', "\u00e9t\u00e9".encode("latin-1"),
], ids=["garbage", "list", "string", "bad-data", "no-id", "not-utf8"])
def test_parse_webhook_rejects_signed_garbage(payload):
    try:
        header = sign_payload(payload, SECRET)
    except UnicodeDecodeError:
        header = "t=1,v1=00"

    with pytest.raises(WebhookError):
        make_provider(SECRET).parse_webhook(payload, header)


def test_parse_webhook_without_a_secret_is_refused():
    payload = _event_payload()

    with pytest.raises(WebhookError):
        make_provider(None).parse_webhook(payload, sign_payload(payload, SECRET))
