"""The store's unsubscribe, which every marketing mail (newsletter, recovery mails) carries.

An address is unsubscribed per store. The link holds the address and the store, signed with
the app's SECRET_KEY (itsdangerous, its own salt) and without expiry: a mail read a year
later must still unsubscribe. The one-click POST of RFC 8058 is authorised by the same
signed token, so it needs no CSRF token.
"""

from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shophub.extensions import db
from shophub.models import Subscriber
from shophub.platform import tenancy
from shophub.platform.links import external_url

SALT = "shophub.newsletter.unsubscribe"
# Longer "tokens" are not ours; they are refused before any checking of the signature.
MAX_TOKEN_LENGTH = 600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _normalised(email: str) -> str:
    # Addresses arrive from our own rows (already normalised) or from a signed token.
    return (email or "").strip().lower()


def token_for(email: str) -> str:
    """The signed token of the unsubscribe link for `email` in the current store."""
    return str(_serializer().dumps({"e": _normalised(email), "s": tenancy.current_store_id()}))


def email_of(token: str) -> str | None:
    """The address a token unsubscribes in the current store; None for a bad or foreign one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != tenancy.current_store_id():
        return None
    email = data.get("e")
    return email if isinstance(email, str) and email else None


def is_unsubscribed(email: str) -> bool:
    """Whether the address unsubscribed from the current store's marketing mail."""
    status = db.session.scalar(select(Subscriber.status)
                               .where(Subscriber.email == _normalised(email)))
    return status == "unsubscribed"


def unsubscribe_url(email: str) -> str:
    """The absolute link, on the store's host, that unsubscribes `email` (no expiry)."""
    return external_url("unsubscribe.page", token=token_for(email))


def list_unsubscribe_headers(email: str) -> dict[str, str]:
    """The List-Unsubscribe headers of a marketing mail to `email` (RFC 2369 and 8058)."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(email)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe(email: str) -> None:
    """Unsubscribe the address from the current store's marketing mail, and commit.

    An address that never subscribed is recorded too, so that recovery mails skip it. Doing
    it twice changes nothing the second time.
    """
    email = _normalised(email)
    now = datetime.now(UTC)
    subscriber = db.session.scalars(select(Subscriber).where(Subscriber.email == email)
                                    ).first()
    if subscriber is not None and subscriber.status == "unsubscribed":
        db.session.rollback()
        return
    if subscriber is None:
        subscriber = Subscriber(email=email, source="unsubscribe")
        db.session.add(subscriber)
    subscriber.status = "unsubscribed"
    subscriber.unsubscribed_at = now
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    try:
        db.session.flush()
    except IntegrityError:  # the same address was added meanwhile: unsubscribe that row
        db.session.rollback()
        unsubscribe(email)
        return
    db.session.commit()
