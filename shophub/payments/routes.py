"""POST /webhooks/stripe: verified by signature (not CSRF), recorded once, answered quickly."""

from flask import Blueprint, current_app, jsonify, request

from shophub.extensions import csrf, limiter
from shophub.payments import WebhookError
from shophub.payments import events as webhook_events
from shophub.payments.stripe import StripeProvider

bp = Blueprint("webhooks", __name__)


def _verifier() -> StripeProvider:
    cached = current_app.extensions.get("shophub_webhook_verifier")
    if cached is not None:
        return cached
    config = current_app.config
    cached = StripeProvider(config.get("STRIPE_SECRET_KEY") or "sk_unset",
                            config.get("STRIPE_WEBHOOK_SECRET"),
                            api_base=config.get("STRIPE_API_BASE"))
    current_app.extensions["shophub_webhook_verifier"] = cached
    return cached


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.exempt  # Stripe's retries must never meet a 429; the signature is the gate
def stripe_webhook():
    """Verify, record and apply one Stripe event."""
    payload = request.get_data(cache=False)
    try:
        event = _verifier().parse_webhook(payload, request.headers.get("Stripe-Signature"))
    except WebhookError as error:
        return jsonify(error=str(error)), 400
    outcome = webhook_events.handle(event)
    return jsonify(received=True, outcome=outcome), 200
