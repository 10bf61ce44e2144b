"""Rate limits of the checkout, per client address: placing orders and trying discount codes.

Both come on top of the storefront's shared limit on public POSTs (web.limits).
"""

from flask import current_app, request

from shophub.checkout import session_state
from shophub.core.coupons import normalise_code
from shophub.extensions import limiter


def _places_an_order() -> bool:
    return request.form.get("action") == "continue"


def _tries_a_code() -> bool:
    # Only a code that differs from the one already applied is a new try.
    if request.form.get("action") == "remove":
        return False
    code = normalise_code(request.form.get("coupon_code"))
    return bool(code) and code != normalise_code(session_state.load_draft().coupon_code)


def placing_orders():
    """Limit the POSTs that place an order ("continue" to payment) to RATELIMIT_ORDERS."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_ORDERS"], methods=["POST"],
                         exempt_when=lambda: not _places_an_order(), override_defaults=False)


def coupon_attempts():
    """Limit the POSTs that try a new discount code (either checkout form) to RATELIMIT_COUPONS."""
    return limiter.shared_limit(lambda: current_app.config["RATELIMIT_COUPONS"],
                                scope="coupon-attempts", methods=["POST"],
                                exempt_when=lambda: not _tries_a_code(),
                                override_defaults=False)
