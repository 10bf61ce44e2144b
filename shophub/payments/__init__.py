"""Payment providers: Stripe when the store has keys, the offline demo provider otherwise."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from shophub.payments.base import (
    PaymentError,
    PaymentProvider,
    WebhookError,
)
from shophub.platform import tenancy

if TYPE_CHECKING:
    from shophub.payments.demo import DemoProvider

__all__ = ["PaymentError", "PaymentProvider", "StripeKeys", "WebhookError", "demo_provider",
           "provider", "stripe_keys", "uses_stripe", "webhook_secret"]


@dataclass(frozen=True)
class StripeKeys:
    """A Stripe account's keys, as one store uses them."""

    secret: str
    publishable: str | None
    webhook_secret: str | None


def stripe_keys() -> StripeKeys | None:
    """The current store's Stripe keys: its own, else (the default store only) the
    environment's; None when it takes demo payments."""
    store = tenancy.current_store()
    if store.stripe_secret_key:
        return StripeKeys(store.stripe_secret_key, store.stripe_publishable_key,
                          store.stripe_webhook_secret)
    config = current_app.config
    if store.is_default and config.get("STRIPE_SECRET_KEY"):
        return StripeKeys(config["STRIPE_SECRET_KEY"], config.get("STRIPE_PUBLISHABLE_KEY"),
                          config.get("STRIPE_WEBHOOK_SECRET"))
    return None


def webhook_secret() -> str | None:
    """The signing secret that Stripe events sent to the current store's host must carry."""
    keys = stripe_keys()
    if keys is not None:
        return keys.webhook_secret
    store = tenancy.current_store()
    return current_app.config.get("STRIPE_WEBHOOK_SECRET") if store.is_default else None


def uses_stripe() -> bool:
    """Whether the current store takes real payments through Stripe."""
    return stripe_keys() is not None


def provider() -> PaymentProvider:
    """The current store's payment provider, built once per app and set of keys."""
    keys = stripe_keys()
    built_per_keys = current_app.extensions.setdefault("shophub_payment_providers", {})
    cached = built_per_keys.get(keys)
    if cached is not None:
        return cached
    built: PaymentProvider
    if keys is not None:
        from shophub.payments.stripe import StripeProvider

        built = StripeProvider(keys.secret, keys.webhook_secret,
                               api_base=current_app.config.get("STRIPE_API_BASE"))
    else:
        from shophub.payments.demo import DemoProvider

        built = DemoProvider()
    built_per_keys[keys] = built
    return built


def demo_provider() -> "DemoProvider":
    """The demo provider, for its test-card steps (confirm, authenticate); only without Stripe."""
    from shophub.payments.demo import DemoProvider

    built = provider()
    if not isinstance(built, DemoProvider):
        raise PaymentError("This store takes real payments; there is no demo card step.")
    return built
