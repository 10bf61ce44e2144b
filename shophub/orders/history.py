"""What buyers see of their orders: an account's list, and one order by its token."""

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


def order_by_token(token: str) -> Order | None:
    """The order behind an order-page token, with its items, payments and refunds."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Order).options(selectinload(Order.items), selectinload(Order.payments),
                              selectinload(Order.refunds))
        .where(Order.token == token)
    )
