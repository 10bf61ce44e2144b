"""Helpers for tests that talk to localstripe, a local server speaking Stripe's API.

localstripe 1.15.10 decides a card's fate by its number (observed with the SDK against it):

- 4242424242424242 (CARD_SUCCEEDS): confirm charges it; the intent is `succeeded`
  with its charge in `latest_charge` (an embedded object) and in `charges.data`.
- 4000000000000341 (CARD_DECLINED): confirm answers 402 card_declined "Your card was
  declined."; the intent is then `requires_payment_method` with that message in
  `last_payment_error` and the failed charge in `latest_charge`.
- 4000002500003155 (CARD_REQUIRES_ACTION): confirm leaves the intent `requires_action`
  (3-D Secure, no charge yet); `authenticate_intent(success=True)` charges it
  (`succeeded`), `success=False` makes it `requires_payment_method` with
  "The provided PaymentMethod has failed authentication." and no webhook.
- 4000000000000002 only fails when attached to a customer; on an intent it succeeds.

Webhooks: `payment_intent.succeeded` and `payment_intent.payment_failed` are POSTed
to every registered URL about one second after the change (WEBHOOK_DELAY_SECONDS),
signed like Stripe's (`t=<created>,v1=<hmac>`), with `api_version` 2017-08-15.
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

import stripe

from shophub.payments.stripe import StripeProvider
from tests.services import require_service

LOCALSTRIPE_URL = os.environ.get("STRIPE_TEST_API_BASE", "http://127.0.0.1:8420").rstrip("/")
SECRET_KEY = "sk_test_shophub"
WEBHOOK_DELAY_SECONDS = 1.0

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_REQUIRES_ACTION = "4000002500003155"


class LocalstripeError(RuntimeError):
    """localstripe answered a helper's request with an HTTP error."""

    def __init__(self, status: int, body: str):
        super().__init__(f"localstripe answered {status}: {body}")
        self.status = status
        self.body = body


def _request(method: str, path: str, fields: dict | None = None, timeout: float = 5) -> dict:
    data = urllib.parse.urlencode(fields or {}).encode() if method != "GET" else None
    request = urllib.request.Request(
        LOCALSTRIPE_URL + path, data=data, method=method,
        headers={"Authorization": f"Bearer {SECRET_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise LocalstripeError(error.code, error.read().decode("utf-8", "replace")) from error
    return json.loads(body) if body.strip() else {}


def localstripe_reachable() -> str | None:
    """None when localstripe answers at LOCALSTRIPE_URL, else why not."""
    try:
        _request("GET", "/v1/customers?limit=1", timeout=2)
    except (OSError, LocalstripeError, ValueError) as error:
        return f"localstripe is not reachable at {LOCALSTRIPE_URL}: {error}"
    return None


def require_localstripe() -> None:
    """Skip the test (fail it under CI) unless localstripe answers at LOCALSTRIPE_URL."""
    reason = localstripe_reachable()
    if reason:
        require_service(reason)


def register_webhook(url: str, secret: str, webhook_id: str = "shophub",
                     events: list[str] | None = None) -> None:
    """Have localstripe POST its events (all, or only `events`) to `url`, signed with `secret`."""
    fields: list[tuple[str, str]] = [("url", url), ("secret", secret)]
    fields += [("events[]", event) for event in events or []]
    request = urllib.request.Request(
        f"{LOCALSTRIPE_URL}/_config/webhooks/{urllib.parse.quote(webhook_id)}",
        data=urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5):
            pass
    except urllib.error.HTTPError as error:
        raise LocalstripeError(error.code, error.read().decode("utf-8", "replace")) from error


def unregister_webhook(webhook_id: str = "shophub") -> None:
    """Stop localstripe sending events to the webhook registered as `webhook_id`."""
    # localstripe has no way to delete a webhook: keep the id but accept no real event type.
    register_webhook("http://127.0.0.1:9/unregistered", "whsec_unregistered", webhook_id,
                     events=["shophub.unregistered"])


def clear_data() -> None:
    """Delete every object in localstripe (webhooks stay); other tests on it lose theirs too."""
    _request("DELETE", "/_config/data")


def pay_intent(intent_id: str, card_number: str = CARD_SUCCEEDS) -> str:
    """Pay an intent with a new card PaymentMethod as a buyer would; return its status."""
    method = _request("POST", "/v1/payment_methods", {
        "type": "card", "card[number]": card_number, "card[exp_month]": "12",
        "card[exp_year]": "2040", "card[cvc]": "123"})
    # localstripe does not implement confirm with payment_method=..., so attach it first.
    _request("POST", f"/v1/payment_intents/{intent_id}", {"payment_method": method["id"]})
    try:
        return _request("POST", f"/v1/payment_intents/{intent_id}/confirm")["status"]
    except LocalstripeError as error:
        if error.status != 402:
            raise
    return _request("GET", f"/v1/payment_intents/{intent_id}")["status"]


def authenticate_intent(intent_id: str, success: bool = True) -> str:
    """Complete (or fail) the 3-D Secure step of a `requires_action` intent; return its status."""
    intent = _request("GET", f"/v1/payment_intents/{intent_id}")
    return _request("POST", f"/v1/payment_intents/{intent_id}/_authenticate", {
        "client_secret": intent["client_secret"],
        "success": "true" if success else "false"})["status"]


def make_provider(webhook_secret: str | None = "whsec_test") -> StripeProvider:
    """A StripeProvider pointed at localstripe."""
    return StripeProvider(SECRET_KEY, webhook_secret, api_base=LOCALSTRIPE_URL)


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header (`t=<ts>,v1=<sig>`) for `payload`, signed now or at `timestamp`."""
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode("utf-8"), secret, timestamp=timestamp)
