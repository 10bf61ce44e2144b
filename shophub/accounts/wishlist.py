"""Wishlists: products a customer saved for later."""

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from shophub.extensions import db
from shophub.models import Product, User, WishlistItem


def saved_product_ids(user: User, product_ids: Iterable[int]) -> set[int]:
    """Which of these products the user has saved (one query)."""
    ids = list(product_ids)
    if not ids or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            select(WishlistItem.product_id).where(
                WishlistItem.user_id == user.id, WishlistItem.product_id.in_(ids)
            )
        )
    )


def listed_product(product_id: int) -> Product | None:
    """A product that can be saved: it exists and is not archived."""
    return db.session.scalar(
        select(Product).where(Product.id == product_id, Product.archived.is_(False))
    )


def set_saved(user: User, product: Product, saved: bool) -> bool:
    """Save or unsave a product for the user; returns whether it is saved now."""
    if saved:
        db.session.add(WishlistItem(user_id=user.id, product_id=product.id))
        try:
            db.session.commit()
        except IntegrityError:  # already saved (a double click): that is the wanted state
            db.session.rollback()
    else:
        db.session.execute(
            delete(WishlistItem).where(
                WishlistItem.user_id == user.id, WishlistItem.product_id == product.id
            )
        )
        db.session.commit()
    return saved
