"""Recovery mails: the rules of each mail, "notify me" requests, and a restored cart.

A reminder goes once to a pending order's buyer RECOVERY_REMINDER_AFTER_MINUTES after the
order was placed, while at least RECOVERY_MIN_HOLD_MINUTES of its hold remain. A "restore my
cart" mail goes once after the hold lapsed (the expiry cancelled the order and gave its stock
back), unless the buyer has bought again (rules._bought_again). A back-in-stock mail goes once
per request, when the variant has stock again, however the stock came back (staff, a
cancellation, a refund, an expiry): the scan (jobs.py) looks at the stock itself. None goes to an
address that unsubscribed from the store, nor while staff have switched that mail off.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from shophub.cart import service as carts
from shophub.core.time import as_utc, utcnow
from shophub.extensions import db
from shophub.models import BackInStockRequest, Cart, Order, Variant
from shophub.orders.service import find_by_token
from shophub.recovery import links, mails, rules

# --- "notify me" ------------------------------------------------------------------------------


def back_in_stock_offered() -> bool:
    """Whether the product page offers "notify me" on sold-out variants in this store."""
    return rules.setting_on(mails.SETTINGS[mails.BACK_IN_STOCK])


def ask_back_in_stock(variant_id: int, email: str) -> None:
    """Note that `email` wants a mail when the variant is back; the same answer in every case.

    Nothing is noted for a variant that is not sold out or not this store's, while the mail is
    switched off, or when the address already waits for it (committed).
    """
    email = email.strip().lower()
    variant = db.session.scalar(select(Variant).options(joinedload(Variant.product))
                                .where(Variant.id == variant_id))
    if (variant is None or variant.stock > 0 or variant.product.archived
            or not back_in_stock_offered()):
        db.session.rollback()
        return
    waiting = db.session.scalar(
        select(BackInStockRequest.id).where(BackInStockRequest.variant_id == variant_id,
                                            BackInStockRequest.email == email,
                                            BackInStockRequest.notified_at.is_(None)))
    if waiting is not None:
        db.session.rollback()
        return
    # A request already answered is asked afresh (the variant sold out again since).
    db.session.execute(delete(BackInStockRequest).where(
        BackInStockRequest.variant_id == variant_id, BackInStockRequest.email == email))
    db.session.add(BackInStockRequest(variant_id=variant_id, email=email))
    try:
        db.session.commit()
    except IntegrityError:  # the same request, sent twice at once
        db.session.rollback()


# --- back to a held checkout, and the restored cart -------------------------------------------


def order_to_resume(token: str) -> Order | None:
    """The order behind a reminder's link (its order-page token)."""
    return find_by_token(token)


def resumable(order: Order) -> bool:
    """Whether the buyer can still pay the order the reminder named (its hold lasts)."""
    return (order.is_payable and order.stock_state == "reserved"
            and as_utc(order.reserved_until) > utcnow())


@dataclass(frozen=True)
class RestoreLine:
    """A line of a lapsed order as it can be bought today: the current price and stock."""

    label: str
    quantity: int
    unit_price_cents: int | None  # None: the variant is gone
    stock: int
    available: bool


def order_of_restore_link(link: str) -> Order | None:
    """The lapsed order a restore link names in this store, or None (forged, old, foreign)."""
    order_id = links.order_of_link(link)
    order = db.session.get(Order, order_id) if order_id is not None else None
    return order if rules.restorable(order) else None


def restore_preview(order: Order) -> list[RestoreLine]:
    """The order's lines at today's prices and stock, from the database."""
    ids = [item.variant_id for item in order.items if item.variant_id is not None]
    variants = {variant.id: variant for variant in db.session.scalars(
        select(Variant).options(joinedload(Variant.product)).where(Variant.id.in_(ids)))}
    lines = []
    for item in order.items:
        variant = variants.get(item.variant_id) if item.variant_id is not None else None
        label = carts.describe(item.product_name, item.options)
        if variant is None:
            lines.append(RestoreLine(label, item.quantity, None, 0, False))
            continue
        lines.append(RestoreLine(label, item.quantity, variant.price_cents, variant.stock,
                                 variant.stock > 0 and not variant.product.archived))
    return lines


class LinkSpent(Exception):
    """The restore link was used already."""


def restore_cart(order: Order, cart_of) -> list[carts.Outcome]:
    """Put a lapsed order's lines in the buyer's cart once, at today's prices and stock.

    `cart_of()` opens the buyer's cart. Lines that sold out or are gone are skipped with a
    message; a line with less stock than ordered is capped, as the cart caps any line. The
    link is spent first (committed), so two clicks cannot fill a cart twice.
    """
    if not rules.claim_cart_restore(order.id, utcnow()):
        db.session.rollback()
        raise LinkSpent("This link has been used already: the items went into a cart then.")
    db.session.commit()
    cart: Cart = cart_of()
    outcomes = []
    for item in order.items:
        if item.variant_id is None:
            outcomes.append(carts.Outcome(
                f"{carts.describe(item.product_name, item.options)} is no longer sold.",
                "notice"))
            continue
        try:
            outcomes.append(carts.add_item(cart, item.variant_id, item.quantity))
        except carts.CartError as error:
            db.session.rollback()
            outcomes.append(carts.Outcome(str(error), "notice"))
    return outcomes
