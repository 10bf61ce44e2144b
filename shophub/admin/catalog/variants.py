"""Variant rows of the product table: each variant's line, and the inline price and stock edit.

Stock moves while staff edit (orders take it), so a save keeps the current stock unless staff
retyped it, and refuses a retyped stock that changed meanwhile (`stock_to_store`). The product
form's variant rows follow the same rule.
"""

from dataclasses import dataclass

from sqlalchemy import select

from shophub.admin.catalog.common import (
    Invalid,
    NotFound,
    commit_and_refresh_listings,
    parse_stock,
)
from shophub.core.money import AmountError, format_amount, parse_amount
from shophub.core.numbers import parse_whole
from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models import Variant
from shophub.platform import audit


@dataclass
class VariantLine:
    """One variant as a row of the product table (with what was typed and any error)."""

    id: int
    product_id: int
    sku: str
    # The variant's option values as shoppers read them, e.g. "M / Blue".
    options: str
    price_cents: int
    stock: int
    price_text: str
    stock_text: str
    error: str = ""
    saved: str = ""
    invalid: tuple[str, ...] = ()


def line_of(variant: Variant, currency: str, price_text: str | None = None,
            stock_text: str | None = None, error: str = "", saved: str = "",
            invalid: tuple[str, ...] = ()) -> VariantLine:
    """A variant as a table row; typed texts (when given) replace the stored values."""
    return VariantLine(
        id=variant.id, product_id=variant.product_id, sku=variant.sku,
        options=variant.option_label, price_cents=variant.price_cents, stock=variant.stock,
        price_text=format_amount(variant.price_cents, currency).replace(",", "")
        if price_text is None else price_text[:40],
        stock_text=str(variant.stock) if stock_text is None else stock_text[:20],
        error=error, saved=saved, invalid=invalid,
    )


# ---------------------------------------------------------------------------------------------
# Inline edit of a variant's price and stock


def stock_to_store(current: int, typed: int, shown: int | None) -> int:
    """Stock to save, or AmountError when it changed since the page was shown and was retyped.

    Orders take stock between the page load and the save; stock that staff did not touch keeps
    its current value rather than the one the page showed.
    """
    if shown is None or shown == current:
        return typed
    if typed == shown:
        return current
    raise AmountError(f"The stock changed to {current} while you were editing; "
                      "check it and save again.")


def parse_shown_stock(text) -> int | None:
    """The stock a page showed (a hidden field), or None when it is not a whole number."""
    return parse_whole(text, high=9_999_999)


def update_variant(variant_id: int, price_text, stock_text, currency: str,
                   stock_shown=None) -> VariantLine:
    """Set a variant's price (major units) and stock; Invalid saves nothing."""
    # `stock_shown` is the stock the page showed, so that a sale in between is not overwritten.
    variant = db.session.scalar(select(Variant).where(Variant.id == variant_id).with_for_update())
    if variant is None:
        raise NotFound("That variant does not exist any more.")
    errors: dict[str, str] = {}
    price = stock = None
    try:
        price = parse_amount(str(price_text if price_text is not None else ""), currency)
    except AmountError as error:
        errors["price"] = f"Price: {error}"
    try:
        stock = stock_to_store(variant.stock, parse_stock(stock_text),
                               parse_shown_stock(stock_shown))
    except AmountError as error:
        errors["stock"] = str(error)
    if errors:
        db.session.rollback()
        raise Invalid(errors)
    before = {"price_cents": variant.price_cents, "stock": variant.stock}
    after = {"price_cents": price, "stock": stock}
    if before == after:
        db.session.rollback()
        return line_of(variant, currency, saved="No change.")
    variant.price_cents, variant.stock = price, stock
    variant.product.updated_at = utcnow()
    audit.record("variant.updated", "variant", variant.id,
                 f"{variant.sku}: price and stock edited in the product table",
                 before=before, after=after)
    commit_and_refresh_listings()
    return line_of(variant, currency, saved="Saved.")


def variant_line(variant_id: int, currency: str, **typed) -> VariantLine:
    """The table row of a variant, with what was typed (after a refused change)."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        raise NotFound("That variant does not exist any more.")
    return line_of(variant, currency, **typed)
