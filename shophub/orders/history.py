"""A customer's orders, newest first."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shophub.extensions import db
from shophub.models import Order


def orders_of(user_id: int, limit: int = 100) -> list[Order]:
    """The customer's orders with their items, newest first."""
    return list(db.session.scalars(
        select(Order).options(selectinload(Order.items))
        .where(Order.user_id == user_id).order_by(Order.id.desc()).limit(limit)
    ))
