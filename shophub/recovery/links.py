"""The recovery mails' links: back to a held checkout, and the signed "restore my cart" link."""

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shophub.platform import tenancy
from shophub.platform.links import external_url

SALT = "shophub.recovery.restore-cart"
# Longer "links" are not ours; they are refused before the signature is checked.
MAX_LINK_LENGTH = 200


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def restore_link(order_id: int) -> str:
    """The signed part of an order's restore link, valid in the order's store only."""
    return str(_serializer().dumps({"o": order_id, "s": tenancy.current_store_id()}))


def order_of_link(link: str) -> int | None:
    """The order a restore link names in the current store; None if forged, foreign or old."""
    if not link or len(link) > MAX_LINK_LENGTH:
        return None
    max_age = timedelta(days=current_app.config["RECOVERY_RESTORE_LINK_DAYS"])
    try:
        data = _serializer().loads(link, max_age=int(max_age.total_seconds()))
    except BadSignature:  # also an expired one (SignatureExpired)
        return None
    if not isinstance(data, dict) or data.get("s") != tenancy.current_store_id():
        return None
    order_id = data.get("o")
    return order_id if isinstance(order_id, int) and not isinstance(order_id, bool) else None


def restore_url(order_id: int) -> str:
    """The absolute "restore my cart" link of a lapsed order."""
    return external_url("recovery.restore", link=restore_link(order_id))


def resume_url(order_token: str) -> str:
    """The absolute link back to a held order's payment (by its order-page token)."""
    return external_url("recovery.resume", token=order_token)
