"""The cart service: lines and quantities checked against the catalog, priced at read time."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from shophub.catalog.queries import first_image_of_product
from shophub.core.numbers import parse_row_id
from shophub.extensions import db
from shophub.models import Cart, CartItem, Product, ProductImage, Variant
from shophub.platform import store_settings, tenancy

# The largest quantity the cart forms take; the store's own limit (units_limit) is lower.
MAX_LINE_QUANTITY = 99

NOTHING_HELD: Mapping[int, int] = MappingProxyType({})


class CartError(ValueError):
    """A cart change that cannot be made; the message is for the shopper."""


@dataclass(frozen=True)
class Outcome:
    """What a cart change did, for the shopper: `level` is "success", or "notice" when capped."""

    message: str
    level: str = "success"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CartLine:
    """One line of a cart as the shopper sees it, priced from the database."""

    item_id: int
    variant_id: int
    product_name: str
    product_slug: str
    options: str  # the variant's option values, e.g. "M / Blue" (empty without options)
    sku: str
    unit_price_cents: int
    quantity: int
    stock: int
    archived: bool
    image_file: str | None

    @property
    def available(self) -> bool:
        """Whether the line can be bought at all."""
        return not self.archived and self.stock > 0

    @property
    def counted_quantity(self) -> int:
        """How many units count towards the total: none if unavailable, at most the stock."""
        return min(self.quantity, self.stock) if self.available else 0

    @property
    def total_cents(self) -> int:
        """The line's amount in minor units."""
        return self.unit_price_cents * self.counted_quantity

    @property
    def notice(self) -> str | None:
        """Why the line is not counted in full, if it is not."""
        if self.archived:
            return "No longer available; it is not included in your total."
        if self.stock <= 0:
            return "Sold out; it is not included in your total."
        if self.quantity > self.stock:
            return f"Only {self.stock} left; {self.stock} of your {self.quantity} are counted."
        return None


@dataclass(frozen=True)
class CartView:
    """A whole cart for display: lines, subtotal and the badge count."""

    lines: list[CartLine]

    @property
    def subtotal_cents(self) -> int:
        """Sum of the lines that can be bought."""
        return sum(line.total_cents for line in self.lines)

    @property
    def item_count(self) -> int:
        """Units in the cart, as the header badge shows them."""
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """Whether the cart has no lines."""
        return not self.lines

    @property
    def can_check_out(self) -> bool:
        """Whether at least one line can be bought."""
        return any(line.counted_quantity for line in self.lines)


def units_limit() -> int:
    """The most units of one variant a cart may hold (the store's setting)."""
    return min(store_settings.current().max_units_per_variant, MAX_LINE_QUANTITY)


def over_limit_message(label: str, limit: int, quantity: int) -> str:
    """What a shopper is told when a line would go over the store's limit."""
    return f"A cart can hold at most {limit} of {label}; it has {quantity}."


def describe(name: str, option_label: str) -> str:
    """A variant's name for messages, e.g. "Linen Shirt (M / Blue)"."""
    return f"{name} ({option_label})" if option_label else name


def parse_quantity(raw, allow_zero: bool) -> int:
    """A quantity typed by a shopper, or CartError saying what is wrong with it."""
    text = str(raw if raw is not None else "").strip()
    lowest = 0 if allow_zero else 1
    if not text.isascii() or not text.isdigit():
        if text.startswith("-") and text[1:].isdigit():
            raise CartError("The quantity cannot be negative.")
        raise CartError(f"Enter the quantity as a whole number from {lowest} to "
                        f"{MAX_LINE_QUANTITY}.")
    quantity = int(text[:6]) if len(text) <= 6 else MAX_LINE_QUANTITY + 1
    if quantity < lowest or quantity > MAX_LINE_QUANTITY:
        raise CartError(f"Enter a quantity from {lowest} to {MAX_LINE_QUANTITY}.")
    return quantity


def parse_id(raw) -> int:
    """A row id from a form or URL, or CartError."""
    text = str(raw if raw is not None else "").strip()
    row_id = parse_row_id(text)
    if row_id is None:
        raise CartError("That product option does not exist.")
    return row_id


def _owner_condition(user_id: int | None, token: str | None):
    if user_id is not None:
        return Cart.user_id == user_id
    return Cart.token == token


def load_view(user_id: int | None, token: str | None) -> CartView:
    """The cart of a customer (by user id) or a guest (by token), in one query."""
    if user_id is None and not token:
        return CartView(lines=[])
    first_image = first_image_of_product(ProductImage.file)
    query = (
        select(
            CartItem.id, Variant.id, Product.name, Product.slug, Variant.option_label,
            Variant.sku, Variant.price_cents, CartItem.quantity, Variant.stock,
            Product.archived, first_image,
        )
        .join(Cart, Cart.id == CartItem.cart_id)
        .join(Variant, Variant.id == CartItem.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(_owner_condition(user_id, token))
        .order_by(CartItem.id)
    )
    return CartView(lines=[CartLine(*row) for row in db.session.execute(query)])


def badge_count(user_id: int | None, token: str | None) -> int:
    """Units in the cart, for the header badge (one query, none for a visitor with no cart)."""
    if user_id is None and not token:
        return 0
    query = (
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(_owner_condition(user_id, token))
    )
    return int(db.session.scalar(query) or 0)


def find_cart(user_id: int | None, token: str | None) -> Cart | None:
    """The customer's or guest's cart, if there is one."""
    if user_id is None and not token:
        return None
    return db.session.scalar(select(Cart).where(_owner_condition(user_id, token)))


def open_cart(user_id: int | None, new_token) -> Cart:
    """The customer's cart, created when missing; a guest gets a new cart with `new_token()`."""
    if user_id is not None:
        cart = find_cart(user_id, None)
        if cart is not None:
            return cart
        cart = Cart(user_id=user_id)
    else:
        cart = Cart(token=new_token())
    db.session.add(cart)
    try:
        db.session.commit()
    except IntegrityError:  # the customer's cart was just created by a parallel request
        db.session.rollback()
        cart = find_cart(user_id, None)
        if cart is None:
            raise
    return cart


def _buyable_variant(variant_id: int, held: Mapping[int, int]) -> tuple[Variant, str, int]:
    variant = db.session.scalar(
        select(Variant).options(joinedload(Variant.product)).where(Variant.id == variant_id)
    )
    if variant is None:
        raise CartError("That product option does not exist.")
    product = variant.product
    label = describe(product.name, variant.option_label)
    if product.archived:
        raise CartError(f"{label} is no longer available.")
    stock = variant.stock + held.get(variant.id, 0)
    if stock <= 0:
        raise CartError(f"{label} is sold out.")
    return variant, label, stock


def _line(cart: Cart, variant_id: int) -> CartItem | None:
    return db.session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)
    )


def _touch(cart: Cart) -> None:
    # Keeps a cart in use from looking abandoned to purge_guest_carts().
    cart.updated_at = datetime.now(UTC)


def add_item(cart: Cart, variant_id: int, quantity: int,
             held: Mapping[int, int] = NOTHING_HELD) -> Outcome:
    """Add units of a variant (on top of any already in the cart), capped by its stock and the
    store's limit of units per variant.

    `held` maps variant ids to the units the buyer's own pending order holds: they count as
    in stock for this buyer, because revising the order gives them back first.
    """
    variant, label, stock = _buyable_variant(variant_id, held)
    limit = units_limit()
    for attempt in range(2):
        line = _line(cart, variant.id)
        wanted = quantity + (line.quantity if line else 0)
        allowed = min(wanted, stock, limit)
        if line is None:
            db.session.add(CartItem(cart_id=cart.id, variant_id=variant.id, quantity=allowed))
        else:
            line.quantity = allowed
        _touch(cart)
        try:
            db.session.commit()
            break
        except IntegrityError:  # the same line was added by a parallel request: add to it
            db.session.rollback()
            if attempt:
                raise
    if allowed < wanted:
        return _capped(label, allowed, stock, limit)
    return Outcome(f"Added {quantity} × {label} to your cart.")


def _capped(label: str, allowed: int, stock: int, limit: int) -> Outcome:
    if allowed == limit and stock > limit:
        return Outcome(over_limit_message(label, limit, allowed), "notice")
    return Outcome(f"Only {stock} of {label} in stock, so your cart has {allowed}.", "notice")


def _owned_line(cart: Cart | None, item_id: int) -> CartItem:
    line = None
    if cart is not None:
        line = db.session.scalar(
            select(CartItem)
            .options(joinedload(CartItem.variant).joinedload(Variant.product))
            .where(CartItem.id == item_id, CartItem.cart_id == cart.id)
        )
    if line is None:
        raise CartError("That item is no longer in your cart.")
    return line


def update_item(cart: Cart | None, item_id: int, quantity: int,
                held: Mapping[int, int] = NOTHING_HELD) -> Outcome:
    """Set a line's quantity (0 removes it), capped by the stock and the store's limit (`held`:
    see add_item)."""
    line = _owned_line(cart, item_id)
    if quantity == 0:
        return remove_item(cart, item_id)
    variant = line.variant
    label = describe(variant.product.name, variant.option_label)
    if variant.product.archived:
        raise CartError(f"{label} is no longer available; you can only remove it.")
    stock = variant.stock + held.get(variant.id, 0)
    if stock <= 0:
        raise CartError(f"{label} is sold out; you can only remove it.")
    limit = units_limit()
    allowed = min(quantity, stock, limit)
    line.quantity = allowed
    _touch(cart)
    db.session.commit()
    if allowed < quantity:
        return _capped(label, allowed, stock, limit)
    return Outcome(f"{label}: quantity set to {allowed}.")


def remove_item(cart: Cart | None, item_id: int) -> Outcome:
    """Remove a line from the cart."""
    line = _owned_line(cart, item_id)
    variant = line.variant
    label = describe(variant.product.name, variant.option_label)
    db.session.delete(line)
    _touch(cart)
    db.session.commit()
    return Outcome(f"Removed {label} from your cart.")


def empty_cart(cart: Cart | None) -> Outcome:
    """Remove every line."""
    if cart is not None:
        db.session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
        db.session.commit()
    return Outcome("Your cart is empty now.")


def merge_guest_cart(token: str | None, user_id: int) -> None:
    """Move a guest cart into the customer's at login: quantities added, capped by stock and
    the store's limit."""
    guest = find_cart(None, token) if token else None
    if guest is None:
        return
    target = open_cart(user_id, new_token=None)
    limit = units_limit()
    existing = {line.variant_id: line for line in target.items}
    for line in guest.items:
        stock = line.variant.stock
        mine = existing.get(line.variant_id)
        combined = line.quantity + (mine.quantity if mine else 0)
        if stock > 0:
            combined = min(combined, stock)
        else:  # sold out: keep the line so the shopper sees it, with the larger of the two
            combined = max(line.quantity, mine.quantity if mine else 0)
        combined = min(combined, limit)
        if mine is None:
            target.items.append(CartItem(variant_id=line.variant_id, quantity=combined))
        else:
            mine.quantity = combined
    db.session.delete(guest)
    db.session.commit()


def product_slug_of(raw_variant_id) -> str | None:
    """The slug of a listed product a variant id belongs to, to send the shopper back to it."""
    try:
        variant_id = parse_id(raw_variant_id)
    except CartError:
        return None
    return db.session.scalar(
        select(Product.slug)
        .join(Variant, Variant.product_id == Product.id)
        .where(Variant.id == variant_id, Product.archived.is_(False))
    )


def purge_guest_carts(older_than_days: int) -> int:
    """Delete guest carts untouched for that many days (their cookie has expired).

    Returns how many were deleted.
    """
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    # Every store's: the cookie's lifetime is the same in all of them.
    stale = select(Cart.id).where(Cart.user_id.is_(None), Cart.updated_at < cutoff)
    ids = list(db.session.scalars(tenancy.across_stores(stale)))
    if ids:
        db.session.execute(delete(CartItem).where(CartItem.cart_id.in_(ids)))
        db.session.execute(tenancy.across_stores(delete(Cart).where(Cart.id.in_(ids))))
    db.session.commit()
    return len(ids)
