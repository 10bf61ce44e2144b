"""Rate limits on the account forms attackers like: per client IP and per account email."""

from flask import current_app, request

from shophub.extensions import limiter


def _account_key() -> str:
    # The typed email, roughly normalised: enough to group the attempts on one account.
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def per_ip():
    """Limit POSTs from one client address (RATELIMIT_LOGIN)."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])


def per_account():
    """Limit POSTs naming one account email (RATELIMIT_ACCOUNT)."""
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_ACCOUNT"], methods=["POST"],
        key_func=_account_key,
    )
