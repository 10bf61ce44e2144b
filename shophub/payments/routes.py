"""POST /webhooks/stripe: verified by signature (not CSRF), recorded once, answered quickly."""

import logging

from flask import Blueprint, current_app, jsonify, request

from shophub.extensions import csrf, limiter
from shophub.payments import WebhookError
from shophub.payments import events as webhook_events
from shophub.payments import failures as webhook_failures
from shophub.payments.stripe import StripeProvider
from shophub.platform import metrics

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


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
        metrics.webhook_event(webhook_events.PROVIDER, "bad_signature")
        log.warning("Stripe webhook refused from %s: %s", request.remote_addr, error)
        webhook_failures.record_refused(webhook_events.PROVIDER, str(error))
        return jsonify(error=str(error)), 400
    try:
        outcome = webhook_events.handle(event)
    except Exception:
        metrics.webhook_event(webhook_events.PROVIDER, "error")
        raise
    metrics.webhook_event(webhook_events.PROVIDER, outcome)
    return jsonify(received=True, outcome=outcome), 200
