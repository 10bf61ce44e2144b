"""Logging in and out, and role checks on the server."""

from urllib.parse import urlsplit

from flask import Flask, session
from flask_login import current_user, login_user, logout_user

from shophub.accounts import users
from shophub.cart import service as carts
from shophub.cart.identity import forget_guest_cart, guest_token
from shophub.extensions import db, login_manager
from shophub.models import User


def init_app(app: Flask) -> None:
    """Set up Flask-Login."""
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "notice"
    login_manager.session_protection = "basic"
    login_manager.user_loader(users.load_session_user)


def safe_next_url(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def start_session(user: User, remember: bool) -> None:
    """Log `user` in on a fresh session and move the guest's cart into theirs."""
    token = guest_token()
    # A fresh session at login, so a session id planted before login is worthless.
    session.clear()
    login_user(user, remember=remember, fresh=True)
    users.record_login(user)
    db.session.commit()
    if token:
        carts.merge_guest_cart(token, user.id)
        forget_guest_cart()


def end_session() -> None:
    """Log out on every device: the account's session token changes, so a copied session or
    remember-me cookie opens nothing any more; then forget everything in this session."""
    if current_user.is_authenticated:
        users.end_every_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
