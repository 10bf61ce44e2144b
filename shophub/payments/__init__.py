"""Payment providers: Stripe when keys are configured, the offline demo provider otherwise."""

from typing import TYPE_CHECKING

from flask import current_app

from shophub.payments.base import (
    PaymentError,
    PaymentProvider,
    WebhookError,
)

if TYPE_CHECKING:
    from shophub.payments.demo import DemoProvider

__all__ = ["PaymentError", "PaymentProvider", "WebhookError", "demo_provider", "provider",
           "uses_stripe"]


def uses_stripe() -> bool:
    """Whether this store takes real payments through Stripe."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def provider() -> PaymentProvider:
    """The store's payment provider, built once per app."""
    cached = current_app.extensions.get("shophub_payment_provider")
    if cached is not None:
        return cached
    config = current_app.config
    built: PaymentProvider
    if uses_stripe():
        from shophub.payments.stripe import StripeProvider

        built = StripeProvider(config["STRIPE_SECRET_KEY"], config.get("STRIPE_WEBHOOK_SECRET"),
                               api_base=config.get("STRIPE_API_BASE"))
    else:
        from shophub.payments.demo import DemoProvider

        built = DemoProvider()
    current_app.extensions["shophub_payment_provider"] = built
    return built


def demo_provider() -> "DemoProvider":
    """The demo provider, for its test-card steps (confirm, authenticate); only without Stripe."""
    from shophub.payments.demo import DemoProvider

    built = provider()
    if not isinstance(built, DemoProvider):
        raise PaymentError("This store takes real payments; there is no demo card step.")
    return built
