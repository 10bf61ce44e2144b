"""Whose cart a request is about: the logged-in customer's, or a guest's by its signed cookie."""

import secrets

from flask import after_this_request, current_app, g, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from shophub.cart import service as carts

COOKIE_NAME = "shophub_cart"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="shophub-cart")


def guest_token() -> str | None:
    """The guest cart token from the signed cookie (None if absent or tampered with)."""
    if "new_guest_token" in g:
        return g.new_guest_token
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def owner() -> tuple[int | None, str | None]:
    """(user id, None) for a logged-in customer, (None, guest token) for a guest."""
    if current_user.is_authenticated:
        return current_user.id, None
    return None, guest_token()


def new_guest_token() -> str:
    """Make a token for a new guest cart and send it back in the signed cookie."""
    token = secrets.token_urlsafe(32)
    g.new_guest_token = token
    keep_guest_cookie(token)
    return token


def keep_guest_cookie(token: str) -> None:
    """(Re)send the signed cookie, so a cart in use lives CART_COOKIE_DAYS from its last change."""
    config = current_app.config

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            COOKIE_NAME, _serializer().dumps(token),
            max_age=config["CART_COOKIE_DAYS"] * 86400, httponly=True, samesite="Lax",
            secure=config["SESSION_COOKIE_SECURE"],
        )
        return response


def forget_guest_cart() -> None:
    """Drop the guest cart cookie (after the cart was merged into a customer's)."""

    @after_this_request
    def delete_cookie(response):
        response.delete_cookie(COOKIE_NAME)
        return response


def current_badge_count() -> int:
    """Units in the visitor's cart for the header, read once per request."""
    if "cart_badge_count" not in g:
        g.cart_badge_count = carts.badge_count(*owner())
    return g.cart_badge_count


def remember_badge_count(count: int) -> None:
    """Use a count already known (from a cart just loaded) for the header badge."""
    g.cart_badge_count = count
