"""Placing an order from a cart: price it, snapshot it, reserve its stock, all or nothing."""

import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, text, update

from shophub.cart.service import CartLine, CartView, describe, over_limit_message, units_limit
from shophub.checkout import coupons, shipping
from shophub.core.coupons import normalise_code
from shophub.core.pricing import PriceLine, Quote, quote, shipping_price
from shophub.extensions import db
from shophub.models import Coupon, Order, OrderItem, ShippingMethod, Store
from shophub.orders import inventory
from shophub.orders.service import locked, now, stock_lines
from shophub.platform import metrics, store_settings, tenancy

# Draft address keys (as the address form names them) and the order columns they fill.
ADDRESS_COLUMNS = {
    "full_name": "ship_name", "line1": "ship_line1", "line2": "ship_line2", "city": "ship_city",
    "region": "ship_region", "postal_code": "ship_postcode", "country": "ship_country",
    "phone": "ship_phone",
}


class PlacementError(ValueError):
    """The order cannot be placed as it is; `step` is where the buyer can fix it."""

    def __init__(self, message: str, step: str = "cart"):
        super().__init__(message)
        self.step = step


@dataclass
class CheckoutDraft:
    """What the buyer has entered so far, kept in their session between steps."""

    email: str = ""
    address: dict = field(default_factory=dict)
    address_id: int | None = None
    shipping_method_id: int | None = None
    coupon_code: str = ""

    @property
    def has_contact(self) -> bool:
        """Whether step 1 (email and address) is complete."""
        return bool(self.email and self.address.get("line1"))

    @property
    def has_shipping(self) -> bool:
        """Whether step 2 (shipping method) is complete."""
        return self.has_contact and self.shipping_method_id is not None


@dataclass
class Pricing:
    """A priced cart for the checkout: the quote and what it was computed from."""

    quote: Quote
    lines: list[CartLine]
    method: ShippingMethod | None
    coupon: Coupon | None
    coupon_error: str | None = None
    tax_rate_bp: int = 0
    # What each offered shipping method costs with this cart and coupon, by method id.
    shipping_prices: dict[int, int] = field(default_factory=dict)


def price_cart(view: CartView, draft: CheckoutDraft, user_id: int | None) -> Pricing:
    """Price the buyable part of a cart with the draft's method and coupon, and every method."""
    currency = store_settings.currency()
    lines = [line for line in view.lines if line.counted_quantity]
    price_lines = [PriceLine(line.variant_id, line.unit_price_cents, line.counted_quantity)
                   for line in lines]
    subtotal = sum(line.unit_price_cents * line.quantity for line in price_lines)
    method = shipping.find_active(draft.shipping_method_id)
    coupon, terms, error = None, None, None
    if draft.coupon_code:
        try:
            coupon, terms = coupons.check(draft.coupon_code, subtotal_cents=subtotal,
                                          email=draft.email, user_id=user_id,
                                          currency=currency)
        except coupons.CouponError as problem:
            error = str(problem)
    tax_rate_bp = store_settings.current().tax_rate_bp
    result = quote(price_lines, coupon=terms,
                   shipping=shipping.terms_of(method) if method else None,
                   tax_rate_bp=tax_rate_bp)
    goods = result.subtotal_cents - result.discount_cents
    prices = {offered.id: shipping_price(shipping.terms_of(offered), goods, terms)
              for offered in shipping.active_methods()}
    return Pricing(quote=result, lines=lines, method=method, coupon=coupon, coupon_error=error,
                   tax_rate_bp=tax_rate_bp, shipping_prices=prices)


def enter_code(view: CartView, draft: CheckoutDraft, code: str, user_id: int | None,
               client_address: str | None = None) -> None:
    """Put a discount code the buyer typed on the draft (not saved).

    A new code that is refused counts against the client address; after too many, no new code
    is looked at for a growing time (coupons.TooManyGuesses), so codes cannot be guessed.
    """
    if not code or normalise_code(code) == normalise_code(draft.coupon_code):
        draft.coupon_code = code
        return
    coupons.may_try(client_address)
    draft.coupon_code = code
    if price_cart(view, draft, user_id).coupon_error:
        coupons.note_refused(client_address)


def revisable(order: Order | None) -> bool:
    """Whether the buyer's pending order can still be brought up to date (it holds its stock)."""
    return order is not None and order.is_payable and order.stock_state == "reserved"


def held_units(pending: Order | None) -> dict[int, int]:
    """Units per variant that the buyer's own pending order holds (none once it cannot change)."""
    held: dict[int, int] = {}
    if revisable(pending):
        for variant_id, quantity in stock_lines(pending):
            held[variant_id] = held.get(variant_id, 0) + quantity
    return held


def with_held_stock(view: CartView, pending: Order | None) -> CartView:
    """The cart as its buyer can buy it: units their pending order holds count as in stock.

    Revising the order gives those units back before reserving again, so without this a buyer
    who holds the last units would see them as sold out and could not change their order.
    """
    held = held_units(pending)
    if not held:
        return view
    return CartView(lines=[replace(line, stock=line.stock + held.get(line.variant_id, 0))
                           for line in view.lines])


def _check_lines(view: CartView) -> None:
    if view.is_empty:
        raise PlacementError("Your cart is empty.")
    problems = [f"{describe(line.product_name, line.options)}: {line.notice}"
                for line in view.lines if line.notice]
    limit = units_limit()
    problems += [over_limit_message(describe(line.product_name, line.options), limit,
                                    line.quantity)
                 for line in view.lines if line.quantity > limit]
    if problems:
        raise PlacementError("Please update your cart before paying. " + " ".join(problems))


def client_key(address: str | None) -> str | None:
    """The stored form of a client address: a keyed hash, so the address itself is not kept."""
    if not address:
        return None
    key = current_app.secret_key
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, address.encode(), "sha256").hexdigest()


def _check_holding(user_id: int | None, cart_id: int | None, placed_from: str | None) -> None:
    """Refuse a new order while its client (account, cart or address) already holds the
    store's most unpaid orders; unpaid orders whose reservation lapsed hold nothing."""
    who = [column == value for column, value in ((Order.user_id, user_id),
                                                 (Order.cart_id, cart_id),
                                                 (Order.placed_from, placed_from))
           if value is not None]
    if not who:
        return
    if placed_from and db.session.get_bind().dialect.name == "postgresql":
        # Placements from one address wait for each other, so parallel ones cannot all pass.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": int(placed_from[:15], 16)})
    held = db.session.scalar(
        select(func.count()).select_from(Order)
        .where(Order.status == "pending", Order.payment_status != "succeeded",
               Order.stock_state == "reserved", Order.reserved_until > now(), or_(*who)))
    settings = store_settings.current()
    if held >= settings.max_pending_orders:
        db.session.rollback()
        raise PlacementError(
            f"You already have {held} unpaid order{'' if held == 1 else 's'} holding items "
            "(from this browser or this network), the most this shop allows at once. Pay for "
            "one of them, or wait until an unpaid order lapses after "
            f"{settings.reservation_minutes} minutes, before placing another.", step="shipping")


def _priced_for_order(view: CartView, draft: CheckoutDraft, user_id: int | None) -> Pricing:
    _check_lines(view)
    pricing = price_cart(view, draft, user_id)
    if pricing.method is None:
        raise PlacementError("Choose a shipping method.", step="shipping")
    if pricing.coupon_error:
        raise PlacementError(pricing.coupon_error, step="shipping")
    return pricing


def _fill(order: Order, draft: CheckoutDraft, pricing: Pricing) -> None:
    q = pricing.quote
    order.email = draft.email
    for key, column in ADDRESS_COLUMNS.items():
        setattr(order, column, (draft.address.get(key) or "").strip())
    order.currency = store_settings.currency()
    order.subtotal_cents, order.discount_cents = q.subtotal_cents, q.discount_cents
    order.shipping_cents, order.tax_cents, order.total_cents = (
        q.shipping_cents, q.tax_cents, q.total_cents)
    order.tax_rate_bp = pricing.tax_rate_bp
    order.coupon_id = pricing.coupon.id if pricing.coupon else None
    order.coupon_code = pricing.coupon.code if pricing.coupon else None
    order.shipping_method_id = pricing.method.id
    order.shipping_method_name = pricing.method.name
    minutes = store_settings.current().reservation_minutes
    order.reserved_until = now() + timedelta(minutes=minutes)
    by_variant = {line.variant_id: line for line in pricing.lines}
    order.items = [
        OrderItem(variant_id=ql.key, product_name=by_variant[ql.key].product_name,
                  options=by_variant[ql.key].options, sku=by_variant[ql.key].sku,
                  unit_price_cents=ql.unit_price_cents, quantity=ql.quantity,
                  subtotal_cents=ql.subtotal_cents, discount_cents=ql.discount_cents,
                  tax_cents=ql.tax_cents, total_cents=ql.total_cents)
        for ql in q.lines
    ]


def _reserve_or_explain(order: Order, pricing: Pricing) -> None:
    try:
        inventory.reserve(stock_lines(order))
    except inventory.OutOfStock as miss:
        db.session.rollback()
        line = next(line for line in pricing.lines if line.variant_id == miss.variant_id)
        label = describe(line.product_name, line.options)
        raise PlacementError(f"Sorry, {label} just sold out or has fewer left than you "
                             "asked for. Your cart has been checked again; please review it.")\
            from None


def _same_order(order: Order, draft: CheckoutDraft, pricing: Pricing) -> bool:
    current = [(item.variant_id, item.quantity, item.unit_price_cents) for item in order.items]
    wanted = [(line.key, line.quantity, line.unit_price_cents) for line in pricing.quote.lines]
    return (current == wanted and order.total_cents == pricing.quote.total_cents
            and order.shipping_method_id == pricing.method.id
            and order.coupon_code == (pricing.coupon.code if pricing.coupon else None))


def place(view: CartView, draft: CheckoutDraft, user_id: int | None, cart_id: int | None,
          pending: Order | None = None, client_address: str | None = None) -> Order:
    """Place the order, or bring the buyer's pending one up to date; reserve its stock.

    `view` is the cart as loaded; the stock `pending` holds is counted back in here. A new
    order is refused while its client (account, cart or address) holds the store's most
    unpaid orders.
    """
    pricing = _priced_for_order(with_held_stock(view, pending), draft, user_id)
    if revisable(pending):
        return _revise(pending, draft, pricing)
    placed_from = client_key(client_address)
    _check_holding(user_id, cart_id, placed_from)
    order = Order(token=secrets.token_urlsafe(24), user_id=user_id, cart_id=cart_id,
                  placed_from=placed_from)
    _fill(order, draft, pricing)
    db.session.add(order)
    db.session.flush()
    _reserve_or_explain(order, pricing)
    order.number = _next_order_number()
    db.session.commit()
    metrics.order_placed()
    return order


def _next_order_number() -> str:
    # Taken last, after the stock rows are locked: the store's row stays locked only for the
    # instant before the commit, and every placement locks in the same order (no deadlock).
    taken = db.session.execute(
        update(Store).where(Store.id == tenancy.current_store_id())
        .values(next_order_number=Store.next_order_number + 1)
        .returning(Store.order_prefix, Store.next_order_number)).one()
    return f"{taken.order_prefix}-{taken.next_order_number - 1}"


def _revise(order: Order, draft: CheckoutDraft, pricing: Pricing) -> Order:
    order = locked(order.id)
    if not (order.is_payable and order.stock_state == "reserved"):
        db.session.rollback()
        raise PlacementError("This order can no longer be changed.", step="payment")
    if _same_order(order, draft, pricing):
        order.email = draft.email
        for key, column in ADDRESS_COLUMNS.items():
            setattr(order, column, (draft.address.get(key) or "").strip())
        db.session.commit()
        return order
    inventory.release(stock_lines(order))
    db.session.execute(delete(OrderItem).where(OrderItem.order_id == order.id))
    db.session.expire(order, ["items"])
    _fill(order, draft, pricing)
    db.session.flush()
    _reserve_or_explain(order, pricing)
    db.session.commit()
    return order
