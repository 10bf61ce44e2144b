"""Payment providers: Stripe when keys are configured, the offline demo provider otherwise."""

from flask import current_app

from shophub.payments.base import (
    PaymentError,
    PaymentProvider,
    WebhookError,
)

__all__ = ["PaymentError", "PaymentProvider", "WebhookError", "provider", "uses_stripe"]


def uses_stripe() -> bool:
    """Whether this store takes real payments through Stripe."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def provider() -> PaymentProvider:
    """The store's payment provider, built once per app."""
    cached = current_app.extensions.get("shophub_payment_provider")
    if cached is not None:
        return cached
    config = current_app.config
    if uses_stripe():
        from shophub.payments.stripe import StripeProvider

        built = StripeProvider(config["STRIPE_SECRET_KEY"], config.get("STRIPE_WEBHOOK_SECRET"),
                               api_base=config.get("STRIPE_API_BASE"))
    else:
        from shophub.payments.demo import DemoProvider

        built = DemoProvider()
    current_app.extensions["shophub_payment_provider"] = built
    return built
