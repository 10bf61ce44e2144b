"""Stock reservations: every change is one conditional UPDATE, so stock never goes negative."""

from collections.abc import Iterable

from sqlalchemy import CursorResult, update

from shophub.extensions import db
from shophub.models import Variant


class OutOfStock(Exception):
    """A line could not be reserved; `variant_id` names it."""

    def __init__(self, variant_id: int):
        super().__init__(f"variant {variant_id} has too little stock")
        self.variant_id = variant_id


def _merged(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    totals: dict[int, int] = {}
    for variant_id, quantity in lines:
        if quantity <= 0:
            raise ValueError("quantities must be positive")
        totals[variant_id] = totals.get(variant_id, 0) + quantity
    # Lock order: variants are always updated in ascending id order, so two orders that share
    # variants cannot deadlock on PostgreSQL.
    return sorted(totals.items())


def reserve(lines: Iterable[tuple[int, int]]) -> None:
    """Take (variant_id, quantity) lines from stock, all or none (a SAVEPOINT undoes a miss)."""
    merged = _merged(lines)
    with db.session.begin_nested():
        for variant_id, quantity in merged:
            result: CursorResult = db.session.execute(  # type: ignore[assignment]
                update(Variant)
                .where(Variant.id == variant_id, Variant.stock >= quantity)
                .values(stock=Variant.stock - quantity)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise OutOfStock(variant_id)


def release(lines: Iterable[tuple[int, int]]) -> None:
    """Give (variant_id, quantity) lines back to stock; a deleted variant is skipped."""
    for variant_id, quantity in _merged(lines):
        db.session.execute(
            update(Variant)
            .where(Variant.id == variant_id)
            .values(stock=Variant.stock + quantity)
            .execution_options(synchronize_session=False)
        )
