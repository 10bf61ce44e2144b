"""The offline demo provider: test card numbers decide the outcome; no money moves.

Its intents live in the store's database and follow Stripe's statuses, so the checkout and the
order service treat them exactly like Stripe's.
"""

import secrets

from shophub.extensions import db
from shophub.models import DemoIntent
from shophub.payments.base import (
    CANCELED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    IntentView,
    PaymentError,
    RefundView,
    WebhookError,
)

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
NEEDS_CONFIRMATION = "4000002500003155"
DECLINE_MESSAGE = "Your card was declined."
UNKNOWN_CARD_MESSAGE = ("This demo store accepts only its test cards: 4242 4242 4242 4242, "
                        "4000 0000 0000 0002 or 4000 0025 0000 3155.")


def _view(intent: DemoIntent) -> IntentView:
    return IntentView(
        id=intent.id, status=intent.status, amount=intent.amount, currency=intent.currency,
        client_secret=intent.client_secret, latest_charge=intent.charge_id,
        failure_message=intent.failure_message,
        created=int(intent.created_at.timestamp()) if intent.created_at else 0,
    )


def card_digits(text: str) -> str:
    """A card number as typed, without spaces and dashes."""
    return "".join(ch for ch in (text or "") if ch not in " -")


class DemoProvider:
    """A PaymentProvider that keeps its intents in the `demo_intent` table."""

    name = "demo"

    def _load(self, intent_id: str) -> DemoIntent:
        intent = db.session.get(DemoIntent, intent_id)
        if intent is None:
            raise PaymentError("That payment does not exist.")
        return intent

    def create_intent(self, *, amount, currency, order_id, order_number, idempotency_key):
        """Create a demo intent waiting for a card."""
        intent = DemoIntent(
            id="demo_pi_" + secrets.token_hex(12), order_id=order_id, amount=amount,
            currency=currency.upper(), status=REQUIRES_PAYMENT_METHOD,
            client_secret="demo_secret_" + secrets.token_hex(16),
        )
        db.session.add(intent)
        db.session.flush()
        return _view(intent)

    def update_amount(self, intent_id, amount):
        """Change the amount of an unpaid intent."""
        intent = self._load(intent_id)
        if intent.status in (SUCCEEDED, PROCESSING, CANCELED):
            raise PaymentError("This payment can no longer be changed.")
        intent.amount = amount
        db.session.flush()
        return _view(intent)

    def retrieve_intent(self, intent_id):
        """Read an intent."""
        return _view(self._load(intent_id))

    def cancel_intent(self, intent_id):
        """Cancel an unpaid intent; a paid one is returned unchanged."""
        intent = self._load(intent_id)
        if intent.status not in (SUCCEEDED, PROCESSING):
            intent.status = CANCELED
            db.session.flush()
        return _view(intent)

    def refund(self, *, intent_id, amount, idempotency_key):
        """Refund part or all of a paid intent."""
        intent = self._load(intent_id)
        if intent.status != SUCCEEDED:
            raise PaymentError("Only a completed payment can be refunded.")
        if amount <= 0 or amount > intent.amount - intent.amount_refunded:
            raise PaymentError("The refund is larger than what is left to refund.")
        intent.amount_refunded += amount
        db.session.flush()
        return RefundView(id="demo_re_" + secrets.token_hex(12), amount=amount,
                          status="succeeded")

    def parse_webhook(self, payload, signature):
        """The demo provider sends no webhooks."""
        raise WebhookError("The demo payment provider sends no webhooks.")

    def confirm(self, intent_id: str, card_number: str) -> IntentView:
        """Pay an intent with a test card: succeed, decline or ask for a confirmation step."""
        intent = self._load(intent_id)
        if intent.status not in (REQUIRES_PAYMENT_METHOD, REQUIRES_ACTION):
            return _view(intent)
        digits = card_digits(card_number)
        if digits == SUCCEEDS:
            self._succeed(intent)
        elif digits == NEEDS_CONFIRMATION:
            intent.status, intent.failure_message = REQUIRES_ACTION, None
        elif digits == DECLINED:
            intent.status, intent.failure_message = REQUIRES_PAYMENT_METHOD, DECLINE_MESSAGE
        else:
            raise PaymentError(UNKNOWN_CARD_MESSAGE)
        db.session.flush()
        return _view(intent)

    def authenticate(self, intent_id: str, approve: bool) -> IntentView:
        """Finish the confirmation step of a card that asked for one."""
        intent = self._load(intent_id)
        if intent.status == REQUIRES_ACTION:
            if approve:
                self._succeed(intent)
            else:
                intent.status = REQUIRES_PAYMENT_METHOD
                intent.failure_message = "The card's confirmation step was not completed."
            db.session.flush()
        return _view(intent)

    @staticmethod
    def _succeed(intent: DemoIntent) -> None:
        intent.status, intent.failure_message = SUCCEEDED, None
        intent.charge_id = "demo_ch_" + secrets.token_hex(12)
