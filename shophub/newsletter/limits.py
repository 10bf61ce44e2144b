"""The rate limit of newsletter sign-ups, per client address, on top of the public-POST one."""

from flask import current_app

from shophub.extensions import limiter


def signups():
    """Limit sign-up POSTs from one client address to RATELIMIT_NEWSLETTER."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_NEWSLETTER"], methods=["POST"],
                         override_defaults=False)
