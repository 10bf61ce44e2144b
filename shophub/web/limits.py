"""The storefront's shared rate limit: every public POST, per client address, one budget.

Forms with limits of their own (log in, register, reset: accounts.limits; placing orders and
trying discount codes: checkout.limits) keep theirs; the rest of a blueprint's POSTs (the cart,
the wishlist, the checkout steps) share RATELIMIT_POSTS.
"""

from flask import Blueprint, current_app

from shophub.extensions import limiter

SCOPE = "public-posts"


def limit_public_posts(blueprint: Blueprint) -> None:
    """Count every POST to this blueprint's routes against the client's RATELIMIT_POSTS."""
    limiter.shared_limit(lambda: current_app.config["RATELIMIT_POSTS"], scope=SCOPE,
                         methods=["POST"])(blueprint)
