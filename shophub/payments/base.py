"""The payment provider protocol and the plain values it returns."""

from dataclasses import dataclass, field
from typing import Protocol

# Stripe's PaymentIntent statuses, which the demo provider speaks too.
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_CONFIRMATION = "requires_confirmation"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
CANCELED = "canceled"


class PaymentError(Exception):
    """The provider refused or could not be reached; the message is safe to show a buyer."""


class WebhookError(ValueError):
    """A webhook payload whose signature, timestamp or shape is not acceptable."""


@dataclass(frozen=True)
class IntentView:
    """A payment intent as the provider reports it."""

    id: str
    status: str
    amount: int  # minor units
    currency: str  # upper-case ISO code
    client_secret: str | None = None
    latest_charge: str | None = None
    failure_message: str | None = None
    metadata: dict = field(default_factory=dict)
    created: int = 0  # unix seconds


@dataclass(frozen=True)
class RefundView:
    """A refund as the provider reports it."""

    id: str
    amount: int
    status: str  # pending | succeeded | failed | canceled


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event: its id, type and the object it is about, as a plain dict."""

    id: str
    type: str
    object: dict
    created: int = 0


class PaymentProvider(Protocol):
    """What the order service needs from a payment provider."""

    name: str  # "stripe" or "demo"

    def create_intent(self, *, amount: int, currency: str, order_id: int, order_number: str,
                      idempotency_key: str) -> IntentView:
        """Create a payment intent for an order."""

    def update_amount(self, intent_id: str, amount: int) -> IntentView:
        """Change the amount of an intent that has not been paid."""

    def retrieve_intent(self, intent_id: str) -> IntentView:
        """Read an intent's current state from the provider."""

    def cancel_intent(self, intent_id: str) -> IntentView:
        """Cancel an intent that will not be paid."""

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundView:
        """Refund `amount` of a succeeded intent."""

    def parse_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """Verify a webhook's signature and return its event, or raise WebhookError."""


def _latest_charge_id(data: dict) -> str | None:
    charge = data.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id")
    if charge:
        return charge
    # API versions before 2022-11-15 only list the charges (localstripe sends both).
    charges = (data.get("charges") or {}).get("data") or []
    return charges[0].get("id") if charges else None


def intent_from_dict(data: dict) -> IntentView:
    """An IntentView from a PaymentIntent as plain JSON: an API answer or a webhook's object."""
    error = data.get("last_payment_error") or {}
    return IntentView(
        # localstripe echoes an updated amount back as the string it was sent.
        id=data["id"], status=data.get("status", ""), amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or "").upper(),
        client_secret=data.get("client_secret"), latest_charge=_latest_charge_id(data),
        failure_message=error.get("message") if isinstance(error, dict) else None,
        metadata=dict(data.get("metadata") or {}), created=int(data.get("created") or 0),
    )
