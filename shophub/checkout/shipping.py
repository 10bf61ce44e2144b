"""Shipping methods a buyer can choose from."""

from sqlalchemy import select

from shophub.core.pricing import ShippingTerms
from shophub.extensions import db
from shophub.models import ShippingMethod


def active_methods() -> list[ShippingMethod]:
    """The methods offered at checkout, in display order."""
    return list(db.session.scalars(
        select(ShippingMethod).where(ShippingMethod.active.is_(True))
        .order_by(ShippingMethod.position, ShippingMethod.id)
    ))


def find_active(method_id: int | None) -> ShippingMethod | None:
    """An offered method by id, or None."""
    if method_id is None:
        return None
    method = db.session.get(ShippingMethod, method_id)
    return method if method is not None and method.active else None


def terms_of(method: ShippingMethod) -> ShippingTerms:
    """The pure pricing terms of a method."""
    return ShippingTerms(name=method.name, price_cents=method.price_cents,
                         free_over_cents=method.free_over_cents)
