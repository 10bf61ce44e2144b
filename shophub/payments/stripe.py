"""The Stripe payment provider, on the official SDK's StripeClient."""

import json
import logging
from typing import Any

import stripe

from shophub.payments.base import (
    IntentView,
    PaymentError,
    RefundView,
    WebhookError,
    WebhookEvent,
    intent_from_dict,
)

logger = logging.getLogger(__name__)

# The API version stripe==16.1.0 is generated for (stripe._ApiVersion.CURRENT); bump with the SDK.
STRIPE_API_VERSION = "2026-10-28.endive"
NETWORK_TIMEOUT_SECONDS = 10
MAX_NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE_SECONDS = 300
# The processed_event column holds event ids up to this length.
MAX_EVENT_ID_LENGTH = 120

UNREACHABLE_MESSAGE = "The payment service could not be reached. Please try again."
DECLINED_MESSAGE = "Your card was declined."
GENERIC_MESSAGE = "The payment could not be processed. Please try again or contact us."

_UNREACHABLE_ERRORS = (
    stripe.APIConnectionError,
    stripe.AuthenticationError,
    stripe.PermissionError,
    stripe.RateLimitError,
    stripe.APIError,
)


def _safe_message(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.CardError):
        return error.user_message or DECLINED_MESSAGE
    if isinstance(error, _UNREACHABLE_ERRORS):
        return UNREACHABLE_MESSAGE
    return GENERIC_MESSAGE


def _intent_view(intent: stripe.PaymentIntent) -> IntentView:
    return intent_from_dict(intent.to_dict())


def _refund_view(refund: stripe.Refund) -> RefundView:
    data = refund.to_dict()
    status = data.get("status") or "pending"
    if status == "requires_action":
        status = "pending"
    return RefundView(id=data["id"], amount=int(data["amount"]), status=status)


class StripeProvider:
    """Payments through Stripe's API, or through localstripe when `api_base` is set."""

    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str | None,
                 api_base: str | None = None):
        if not secret_key:
            raise ValueError("StripeProvider needs a secret key")
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/") if api_base else None
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": self.api_base} if self.api_base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=NETWORK_TIMEOUT_SECONDS),
        )

    def _call(self, operation: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except stripe.StripeError as error:
            level = logging.INFO if isinstance(error, stripe.CardError) else logging.WARNING
            logger.log(level, "Stripe %s failed: %r (code=%s)", operation, error,
                       getattr(error, "code", None))
            raise PaymentError(_safe_message(error)) from error

    def create_intent(self, *, amount: int, currency: str, order_id: int, order_number: str,
                      idempotency_key: str) -> IntentView:
        """Create a payment intent for an order."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": {"order_id": str(order_id), "order_number": order_number},
        }
        if self.api_base is None:
            params["description"] = f"Order {order_number}"
            params["automatic_payment_methods"] = {"enabled": True}
        else:
            # localstripe answers 400 to description and automatic_payment_methods.
            params["payment_method_types"] = ["card"]
        intent = self._call("create_intent", self._client.v1.payment_intents.create,
                            params, {"idempotency_key": idempotency_key})
        return _intent_view(intent)

    def update_amount(self, intent_id: str, amount: int) -> IntentView:
        """Change the amount of an intent that has not been paid."""
        intent = self._call("update_amount", self._client.v1.payment_intents.update,
                            intent_id, {"amount": amount})
        return _intent_view(intent)

    def retrieve_intent(self, intent_id: str) -> IntentView:
        """Read an intent's current state from the provider."""
        intent = self._call("retrieve_intent", self._client.v1.payment_intents.retrieve,
                            intent_id)
        return _intent_view(intent)

    def cancel_intent(self, intent_id: str) -> IntentView:
        """Cancel an intent that will not be paid."""
        intent = self._call("cancel_intent", self._client.v1.payment_intents.cancel, intent_id)
        return _intent_view(intent)

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundView:
        """Refund `amount` of a succeeded intent."""
        refund = self._call("refund", self._client.v1.refunds.create,
                            {"payment_intent": intent_id, "amount": amount},
                            {"idempotency_key": idempotency_key})
        return _refund_view(refund)

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """Verify a webhook's signature and return its event, or raise WebhookError."""
        if not self.webhook_secret:
            raise WebhookError("No Stripe webhook secret is configured.")
        if not signature:
            raise WebhookError("The Stripe-Signature header is missing.")
        # Verify the signature over the raw bytes, then read the JSON ourselves: the same check
        # as construct_event without building (and flattening again) a StripeObject tree.
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature, self.webhook_secret,
                                                  tolerance=WEBHOOK_TOLERANCE_SECONDS)
            data = json.loads(text)
        except stripe.SignatureVerificationError as error:
            raise WebhookError(f"Bad webhook signature: {error.user_message}") from error
        except ValueError as error:  # not UTF-8, or not JSON
            raise WebhookError("The webhook body is not a Stripe event.") from error
        if not isinstance(data, dict):
            raise WebhookError("The webhook body is not a Stripe event.")
        envelope = data.get("data")
        obj = envelope.get("object") if isinstance(envelope, dict) else None
        event_id, event_type, created = data.get("id"), data.get("type"), data.get("created", 0)
        # An envelope we cannot name (no usable id, type or time) is refused with a 400, like an
        # unsigned one: there is no event id to acknowledge. A named event whose object does not
        # parse is acknowledged instead (events.MALFORMED).
        if (not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID_LENGTH
                or not isinstance(event_type, str) or not 0 < len(event_type) <= 80
                or not isinstance(obj, dict)
                or (not isinstance(created, int) or isinstance(created, bool))):
            raise WebhookError("The webhook body is not a Stripe event.")
        return WebhookEvent(id=event_id, type=event_type, object=obj, created=created)
