"""The buyer's checkout draft and pending order, kept in their (signed) session."""

from dataclasses import asdict

from flask import session

from shophub.cart import service as carts
from shophub.cart.service import CartView
from shophub.checkout import placement as order_placement
from shophub.checkout.placement import CheckoutDraft
from shophub.models import Order
from shophub.orders.service import find_by_token

DRAFT_KEY = "checkout"
ORDER_KEY = "checkout_order"
LAST_ORDER_KEY = "last_order"


def load_draft() -> CheckoutDraft:
    """The draft so far, or an empty one."""
    data = session.get(DRAFT_KEY) or {}
    try:
        return CheckoutDraft(**data)
    except TypeError:  # a session written by an older version of the draft
        return CheckoutDraft()


def save_draft(draft: CheckoutDraft) -> None:
    """Keep the draft for the next step."""
    session[DRAFT_KEY] = asdict(draft)


def pending_order() -> Order | None:
    """The order this session placed and has not finished paying, if any."""
    token = session.get(ORDER_KEY)
    return find_by_token(token) if token else None


def held_units() -> dict[int, int]:
    """Units per variant that this session's pending order holds; they count as its stock."""
    return order_placement.held_units(pending_order())


def buyable_view(user_id: int | None, token: str | None) -> CartView:
    """The cart, with the units this session's pending order holds counted as in stock."""
    return order_placement.with_held_stock(carts.load_view(user_id, token), pending_order())


def remember_order(order: Order) -> None:
    """Remember the placed order, so that returning to payment reuses it."""
    session[ORDER_KEY] = order.token


def forget_order() -> None:
    """The order is paid: the next checkout starts afresh (the address is kept)."""
    token = session.pop(ORDER_KEY, None)
    if token:
        session[LAST_ORDER_KEY] = token
    draft = load_draft()
    draft.coupon_code = ""
    save_draft(draft)


def placed_here(order: Order) -> bool:
    """Whether this session placed the order (it is pending here, or was just paid here)."""
    return order.token in (session.get(ORDER_KEY), session.get(LAST_ORDER_KEY))
