"""Settings that are unsafe in production: with SHOPHUB_ENV=production the app refuses them."""

import os
from collections.abc import Mapping

PRODUCTION = "production"
# Shorter keys can be guessed offline from one signed session cookie.
MIN_SECRET_KEY_LENGTH = 32


class UnsafeSettings(SystemExit):
    """The app will not start: the message is the one-line reason."""


def is_production(env: Mapping[str, str] | None = None) -> bool:
    """Whether SHOPHUB_ENV names the production mode."""
    return (env if env is not None else os.environ).get("SHOPHUB_ENV", "").lower() == PRODUCTION


def unsafe_settings(config: Mapping, env: Mapping[str, str]) -> list[str]:
    """Each reason the settings are unsafe for a production shop (empty when they are safe)."""
    problems = []
    secret = env.get("SECRET_KEY", "")
    if not secret:
        # The key generated into instance/ differs on every machine: sessions would break.
        problems.append("SECRET_KEY is unset")
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if config.get("DEBUG"):
        problems.append("debug mode is on")
    if not env.get("DATABASE_URL"):
        problems.append("DATABASE_URL is unset (production runs on PostgreSQL)")
    store_url = config.get("STORE_URL") or ""
    if not store_url:
        problems.append("STORE_URL is unset (mails would link to localhost)")
    https = store_url.startswith("https://") or config.get("PREFERRED_URL_SCHEME") == "https"
    if https and not config.get("SESSION_COOKIE_SECURE"):
        problems.append("the shop is served over HTTPS but SESSION_COOKIE_SECURE is not 1")
    if store_url.startswith("http://") and not _is_local(store_url):
        problems.append("STORE_URL is not https")
    if not config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER is unset (mails would only be written to files)")
    if not config.get("REDIS_URL"):
        problems.append("REDIS_URL is unset (rate limits would count per process)")
    if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
        problems.append("STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET")
    if config.get("STRIPE_API_BASE"):
        problems.append("STRIPE_API_BASE is set (it points Stripe calls at a test server)")
    return problems


def _is_local(url: str) -> bool:
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return host in {"localhost", "127.0.0.1"} or host.endswith(".localhost")


def refuse_unsafe_settings(config: Mapping, env: Mapping[str, str] | None = None) -> None:
    """In production mode, stop with a one-line reason when a setting is unsafe."""
    env = env if env is not None else os.environ
    if not is_production(env):
        return
    problems = unsafe_settings(config, env)
    if problems:
        raise UnsafeSettings("ShopHub refuses to start in production: " + "; ".join(problems)
                             + " (see deploy/README.md, 'Settings that are unsafe to leave unset')")
