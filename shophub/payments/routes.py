"""POST /webhooks/stripe: verified by signature (not CSRF), recorded once, answered quickly."""

import logging

from flask import Blueprint, current_app, jsonify, request

from shophub.extensions import csrf, limiter
from shophub.payments import WebhookError, stripe_keys, webhook_secret
from shophub.payments import events as webhook_events
from shophub.payments import failures as webhook_failures
from shophub.payments.stripe import StripeProvider
from shophub.platform import metrics

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def _verifier() -> StripeProvider:
    # The store is the one the webhook's host names: its own signing secret checks the event.
    keys, secret = stripe_keys(), webhook_secret()
    verifiers = current_app.extensions.setdefault("shophub_webhook_verifiers", {})
    cached = verifiers.get((keys, secret))
    if cached is None:
        cached = verifiers[(keys, secret)] = StripeProvider(
            keys.secret if keys else "sk_unset", secret,
            api_base=current_app.config.get("STRIPE_API_BASE"))
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
