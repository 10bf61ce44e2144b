"""What the catalog admin's modules share: their errors, the form parsers, slugs, the commit.

Every catalog change writes its audit entries in the transaction that makes it and ends with
`commit_and_refresh_listings`, so the storefront's cached listings never show a stale catalog.
"""

from collections.abc import Mapping

from slugify import slugify
from sqlalchemy import select

from shophub.catalog import cache as catalog_cache
from shophub.core.money import AmountError
from shophub.core.numbers import parse_whole
from shophub.core.text import clean_text
from shophub.extensions import db
from shophub.models import Product

MAX_STOCK = 1_000_000
MAX_POSITION = 10_000


class CatalogAdminError(ValueError):
    """A catalog change that cannot be made; the message is for the staff member."""


class NotFound(CatalogAdminError):
    """The product, variant, picture, category or banner does not exist (any more)."""


class Invalid(CatalogAdminError):
    """Input that fails validation: `errors` maps field names to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


# ---------------------------------------------------------------------------------------------
# Small parsers shared by the forms


def clean(text, max_length: int, *, multiline: bool = False) -> str:
    """Form text cleaned by core.text, cut well past `max_length` so "too long" can be said."""
    return clean_text(text, max_length * 4, multiline=multiline)


def parse_stock(text) -> int:
    """A stock level typed by staff: a whole number from 0 to MAX_STOCK, or AmountError."""
    value = str(text if text is not None else "").strip().replace(",", "").replace("_", "")
    if value.startswith("-") and value[1:].isdigit():
        raise AmountError("Stock cannot be negative.")
    stock = parse_whole(value, high=MAX_STOCK)
    if stock is None:
        raise AmountError(f"Enter the stock as a whole number from 0 to {MAX_STOCK:,}.")
    return stock


def parse_position(text) -> int:
    """A sort position: a whole number from 0 to MAX_POSITION (blank is 0), or AmountError."""
    value = str(text if text is not None else "").strip()
    if not value:
        return 0
    position = parse_whole(value, high=MAX_POSITION)
    if position is None:
        raise AmountError(f"Enter a whole number from 0 to {MAX_POSITION:,}.")
    return position


def check_length(errors: dict, name: str, value: str, max_length: int, label: str,
                 required: bool = False) -> None:
    """Note in `errors[name]` that `value` is missing (when required) or too long."""
    if required and not value:
        errors.setdefault(name, f"Enter the {label}.")
    elif len(value) > max_length:
        errors.setdefault(name, f"The {label} can be at most {max_length} characters.")


def make_slug(typed: str, fallback: str, max_length: int) -> str:
    """The slug typed by staff, or one made from `fallback` (a name) when none was typed."""
    return slugify(typed or fallback, max_length=max_length, word_boundary=True)


def unique_slug_error(model, slug: str, own_id: int | None, noun: str) -> str | None:
    """The message when another row of `model` already uses `slug`, else None."""
    query = select(model.id).where(model.slug == slug)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if db.session.scalar(query.limit(1)) is not None:
        return f"Another {noun} already uses the slug “{slug}”; choose a different one."
    return None


# ---------------------------------------------------------------------------------------------
# Looking up and committing


def get_product(product_id: int) -> Product:
    """A product with its variants and pictures, or NotFound."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("That product does not exist.")
    return product


def commit_and_refresh_listings() -> None:
    """Commit the catalog change and clear the storefront's cached listings."""
    db.session.commit()
    catalog_cache.invalidate()
