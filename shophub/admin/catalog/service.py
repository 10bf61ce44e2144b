"""Catalog administration: products and variants, their pictures, categories and home banners.

Every change writes an audit entry in the same transaction and clears the catalog cache after
the commit. A product that was ever ordered is archived, never deleted. Uploaded pictures are
checked by their content with Pillow and stored at the web sizes, like the demo pictures.
"""

import secrets
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from slugify import slugify
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from shophub.catalog import cache as catalog_cache
from shophub.catalog.pictures import save_web_sizes
from shophub.core.money import AmountError, format_amount, parse_amount
from shophub.core.numbers import MAX_ROW_ID
from shophub.extensions import db
from shophub.models import (
    Banner,
    CartItem,
    Category,
    OrderItem,
    Product,
    ProductImage,
    StoreSettings,
    Variant,
    WishlistItem,
)
from shophub.models.catalog import utcnow
from shophub.platform import audit, store_settings
from shophub.platform.storage import IMAGE_WIDTHS
from shophub.platform.store_settings import DEFAULT_LOW_STOCK_THRESHOLD

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_QUERY_LENGTH = 100
SORT_COLUMNS = {"name": "Name", "category": "Category", "price": "Price", "stock": "Stock",
                "updated": "Updated"}
ARCHIVED_CHOICES = {"all": "All", "no": "Not archived", "yes": "Archived"}
MAX_STOCK = 1_000_000
MAX_VARIANT_ROWS = 50
MAX_BULK_IDS = 500
MAX_POSITION = 10_000

# Uploads: checked here rather than with MAX_CONTENT_LENGTH, so other forms keep their limits.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


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


def clean(text, max_length: int) -> str:
    """Text from a form: stripped, control characters removed, cut at a sane length."""
    value = str(text if text is not None else "")
    value = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable())
    return value.strip()[: max_length * 4]


def parse_stock(text) -> int:
    """A stock level typed by staff: a whole number from 0 to MAX_STOCK, or AmountError."""
    value = str(text if text is not None else "").strip().replace(",", "").replace("_", "")
    if value.startswith("-") and value[1:].isdigit():
        raise AmountError("Stock cannot be negative.")
    if not value or not value.isascii() or not value.isdigit() or len(value) > 7 \
            or int(value) > MAX_STOCK:
        raise AmountError(f"Enter the stock as a whole number from 0 to {MAX_STOCK:,}.")
    return int(value)


def parse_row_id(text) -> int | None:
    """A row id from a form, or None when it is not one."""
    value = str(text if text is not None else "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ROW_ID else None


def parse_position(text) -> int:
    """A sort position: a whole number from 0 to MAX_POSITION (blank is 0), or AmountError."""
    value = str(text if text is not None else "").strip()
    if not value:
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 5 or int(value) > MAX_POSITION:
        raise AmountError(f"Enter a whole number from 0 to {MAX_POSITION:,}.")
    return int(value)


def _check_length(errors: dict, name: str, value: str, max_length: int, label: str,
                  required: bool = False) -> None:
    if required and not value:
        errors.setdefault(name, f"Enter the {label}.")
    elif len(value) > max_length:
        errors.setdefault(name, f"The {label} can be at most {max_length} characters.")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _commit_and_refresh_listings() -> None:
    db.session.commit()
    catalog_cache.invalidate()


# ---------------------------------------------------------------------------------------------
# The product table


@dataclass(frozen=True)
class ProductFilters:
    """What the product table was asked for, already checked; `notices` say what was corrected."""

    q: str = ""
    category: int | None = None
    archived: str = "all"
    low: bool = False
    sort: str = "name"
    direction: str = "asc"
    page: int = 1
    per_page: int = PAGE_SIZE
    notices: tuple[str, ...] = field(default=(), compare=False)

    def query_args(self, **changes) -> dict:
        """The query string for these filters (defaults left out), with `changes` applied."""
        values = replace(self, **changes)
        args = {"q": values.q, "category": values.category or "",
                "archived": "" if values.archived == "all" else values.archived,
                "low": "1" if values.low else "",
                "sort": "" if values.sort == "name" else values.sort,
                "dir": "" if values.direction == "asc" else values.direction,
                "page": "" if values.page == 1 else values.page,
                "per_page": "" if values.per_page == PAGE_SIZE else values.per_page}
        return {key: value for key, value in args.items() if value not in ("", None)}

    def url_query(self, **changes) -> str:
        """`query_args` as an encoded query string (without '?')."""
        return urlencode(self.query_args(**changes))

    def sort_direction_for(self, column: str) -> str:
        """The direction a click on a column heading asks for: the other one when sorted by it."""
        if column == self.sort:
            return "desc" if self.direction == "asc" else "asc"
        return "desc" if column == "updated" else "asc"


def _whole_number(raw: str, label: str, notices: list[str], default: int, low: int,
                  high: int) -> int:
    text = (raw or "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        notices.append(f"“{text[:20]}” is not a {label}; showing {label} {default}.")
        return default
    number = int(text)
    if number < low or number > high:
        notices.append(f"The {label} must be from {low} to {high}; showing {default}.")
        return default
    return number


def parse_product_filters(args: Mapping[str, str]) -> ProductFilters:
    """Read the product table's query string; a bad value is dropped with a notice."""
    notices: list[str] = []
    q = clean(args.get("q"), MAX_QUERY_LENGTH)
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH]
        notices.append(f"The search was cut to {MAX_QUERY_LENGTH} characters.")
    category_text = (args.get("category") or "").strip()
    category = parse_row_id(category_text) if category_text else None
    if category_text and category is None:
        notices.append("That category does not exist; showing every category.")
    archived = (args.get("archived") or "all").strip()
    if archived not in ARCHIVED_CHOICES:
        notices.append("Archived must be all, yes or no; showing all products.")
        archived = "all"
    sort = (args.get("sort") or "name").strip()
    if sort not in SORT_COLUMNS:
        notices.append(f"Products cannot be sorted by “{sort[:30]}”; sorted by name.")
        sort = "name"
    direction = (args.get("dir") or "").strip() or ("desc" if sort == "updated" else "asc")
    if direction not in ("asc", "desc"):
        notices.append("The sort direction must be asc or desc; sorted ascending.")
        direction = "asc"
    page = _whole_number(args.get("page", ""), "page", notices, 1, 1, MAX_PAGE)
    per_page = _whole_number(args.get("per_page", ""), "page size", notices, PAGE_SIZE, 1,
                             MAX_PAGE_SIZE)
    low = (args.get("low") or "").strip().lower() in ("1", "on", "yes", "true")
    return ProductFilters(q=q, category=category, archived=archived, low=low, sort=sort,
                          direction=direction, page=page, per_page=per_page,
                          notices=tuple(notices))


@dataclass
class VariantLine:
    """One variant as a row of the product table (with what was typed and any error)."""

    id: int
    product_id: int
    sku: str
    size: str | None
    colour: str | None
    price_cents: int
    stock: int
    price_text: str
    stock_text: str
    error: str = ""
    saved: str = ""
    invalid: tuple[str, ...] = ()

    @property
    def options(self) -> str:
        """The variant's options, e.g. "M / Blue"."""
        return " / ".join(value for value in (self.size, self.colour) if value)


@dataclass
class ProductRow:
    """One product of the product table, with its variants."""

    id: int
    name: str
    slug: str
    archived: bool
    featured: bool
    updated_at: datetime | None
    category_name: str | None
    min_price_cents: int | None
    max_price_cents: int | None
    total_stock: int
    low_stock: bool
    variants: list[VariantLine] = field(default_factory=list)


@dataclass(frozen=True)
class ProductPage:
    """A page of the product table."""

    rows: list[ProductRow]
    total: int
    page: int
    pages: int
    threshold: int
    filters: ProductFilters
    notices: tuple[str, ...]


def line_of(variant: Variant, currency: str, price_text: str | None = None,
            stock_text: str | None = None, error: str = "", saved: str = "",
            invalid: tuple[str, ...] = ()) -> VariantLine:
    """A variant as a table row; typed texts (when given) replace the stored values."""
    return VariantLine(
        id=variant.id, product_id=variant.product_id, sku=variant.sku, size=variant.size,
        colour=variant.colour, price_cents=variant.price_cents, stock=variant.stock,
        price_text=format_amount(variant.price_cents, currency).replace(",", "")
        if price_text is None else price_text[:40],
        stock_text=str(variant.stock) if stock_text is None else stock_text[:20],
        error=error, saved=saved, invalid=invalid,
    )


def _threshold_expression():
    stored = (select(StoreSettings.low_stock_threshold).where(StoreSettings.id == 1)
              .scalar_subquery())
    return func.coalesce(stored, DEFAULT_LOW_STOCK_THRESHOLD)


def _variant_totals():
    return (
        select(Variant.product_id, func.min(Variant.price_cents).label("min_price"),
               func.max(Variant.price_cents).label("max_price"),
               func.sum(Variant.stock).label("stock"), func.min(Variant.stock).label("min_stock"))
        .group_by(Variant.product_id).subquery()
    )


def _row_query(totals, threshold):
    """Products with their category and variant totals; the last column says "low stock"."""
    return (
        select(Product.id, Product.name, Product.slug, Product.archived, Product.featured,
               Product.updated_at, Category.name, totals.c.min_price, totals.c.max_price,
               totals.c.stock, func.coalesce(totals.c.min_stock <= threshold, False))
        .select_from(Product)
        .outerjoin(Category, Category.id == Product.category_id)
        .outerjoin(totals, totals.c.product_id == Product.id)
    )


def _product_row(r) -> ProductRow:
    return ProductRow(id=r[0], name=r[1], slug=r[2], archived=r[3], featured=r[4],
                      updated_at=r[5], category_name=r[6], min_price_cents=r[7],
                      max_price_cents=r[8], total_stock=int(r[9] or 0), low_stock=bool(r[10]))


def list_products(filters: ProductFilters, currency: str) -> ProductPage:
    """One page of the product table in three statements, whatever the page size."""
    # A count (which also reads the low-stock threshold), the page of products with their
    # variants' price range and stock, and the variants of that page's products (IN).
    totals = _variant_totals()
    threshold = _threshold_expression()
    conditions = []
    if filters.q:
        pattern = _like_pattern(filters.q)
        conditions.append(or_(
            Product.name.ilike(pattern, escape="\\"),
            exists().where(Variant.product_id == Product.id,
                           Variant.sku.ilike(pattern, escape="\\")),
        ))
    if filters.category:
        conditions.append(Product.category_id == filters.category)
    if filters.archived != "all":
        conditions.append(Product.archived.is_(filters.archived == "yes"))
    if filters.low:
        conditions.append(totals.c.min_stock <= threshold)

    count_query = (select(func.count(Product.id), threshold).select_from(Product)
                   .outerjoin(totals, totals.c.product_id == Product.id).where(*conditions))
    total, threshold_value = db.session.execute(count_query).one()
    pages = max((total + filters.per_page - 1) // filters.per_page, 1)
    notices = list(filters.notices)
    page = filters.page
    if page > pages:
        notices.append(f"There are only {pages} page{'s' if pages != 1 else ''}; "
                       f"showing page {pages}.")
        page = pages

    sort_columns = {
        "name": func.lower(Product.name),
        "category": func.lower(func.coalesce(Category.name, "")),
        "price": func.coalesce(totals.c.min_price, 0),
        "stock": func.coalesce(totals.c.stock, 0),
        "updated": Product.updated_at,
    }
    column = sort_columns[filters.sort]
    order = [column.desc() if filters.direction == "desc" else column.asc()]
    order.append(Product.id.desc() if filters.direction == "desc" else Product.id.asc())
    page_query = (_row_query(totals, threshold).where(*conditions).order_by(*order)
                  .offset((page - 1) * filters.per_page).limit(filters.per_page))
    rows = [_product_row(r) for r in db.session.execute(page_query)]
    by_id = {row.id: row for row in rows}
    if by_id:
        variants = db.session.scalars(
            select(Variant).where(Variant.product_id.in_(by_id))
            .order_by(Variant.product_id, Variant.position, Variant.id)
        )
        for variant in variants:
            by_id[variant.product_id].variants.append(line_of(variant, currency))
    return ProductPage(rows=rows, total=total, page=page, pages=pages,
                       threshold=int(threshold_value), filters=replace(filters, page=page),
                       notices=tuple(notices))


def product_summary(product_id: int) -> ProductRow | None:
    """A product's row of the table without its variants (after an inline edit)."""
    totals = _variant_totals()
    row = db.session.execute(
        _row_query(totals, _threshold_expression()).where(Product.id == product_id)).first()
    return _product_row(row) if row else None


def category_choices() -> list[tuple[int, str]]:
    """(id, name) of every category, in shelf order."""
    return [(row.id, row.name) for row in db.session.execute(
        select(Category.id, Category.name).order_by(Category.position, Category.name, Category.id)
    )]


# ---------------------------------------------------------------------------------------------
# Inline edit of a variant's price and stock


def _stock_to_store(current: int, typed: int, shown: int | None) -> int:
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


def _parse_optional_int(text) -> int | None:
    value = str(text if text is not None else "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 7 else None


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
        stock = _stock_to_store(variant.stock, parse_stock(stock_text),
                                _parse_optional_int(stock_shown))
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
    _commit_and_refresh_listings()
    return line_of(variant, currency, saved="Saved.")


def variant_line(variant_id: int, currency: str, **typed) -> VariantLine:
    """The table row of a variant, with what was typed (after a refused change)."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        raise NotFound("That variant does not exist any more.")
    return line_of(variant, currency, **typed)


# ---------------------------------------------------------------------------------------------
# Bulk archive


def parse_ids(values: Iterable[str]) -> list[int]:
    """Row ids from repeated form fields, bad ones and repeats left out, at most MAX_BULK_IDS."""
    ids: list[int] = []
    for value in values:
        number = parse_row_id(value)
        if number is not None and number not in ids:
            ids.append(number)
        if len(ids) >= MAX_BULK_IDS:
            break
    return ids


def set_archived(product_ids: list[int], archived: bool) -> int:
    """Archive or unarchive products; returns how many changed (each change audited)."""
    if not product_ids:
        raise CatalogAdminError("Select at least one product.")
    products = db.session.scalars(
        select(Product).where(Product.id.in_(product_ids), Product.archived.is_not(archived))
        .order_by(Product.id)
    ).all()
    action = "product.archived" if archived else "product.unarchived"
    for product in products:
        product.archived = archived
        audit.record(action, "product", product.id,
                     f"{product.name} {'archived' if archived else 'unarchived'} (bulk)",
                     before={"archived": not archived}, after={"archived": archived})
    _commit_and_refresh_listings()
    return len(products)


# ---------------------------------------------------------------------------------------------
# The product form


@dataclass
class VariantDraft:
    """One variant row of the product form, as typed."""

    id: int | None = None
    sku: str = ""
    size: str = ""
    colour: str = ""
    price: str = ""
    stock: str = ""
    stock_shown: str = ""
    remove: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        """A new row left empty (ignored on save)."""
        return self.id is None and not any(
            (self.sku, self.size, self.colour, self.price, self.stock))


@dataclass
class ProductDraft:
    """The product form as typed: product fields, variant rows and their errors."""

    name: str = ""
    slug: str = ""
    description: str = ""
    category_id: str = ""
    featured: bool = False
    archived: bool = False
    variants: list[VariantDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add_row(self) -> None:
        """Append an empty variant row (up to MAX_VARIANT_ROWS)."""
        if len(self.variants) >= MAX_VARIANT_ROWS:
            self.errors["variants"] = f"A product can have at most {MAX_VARIANT_ROWS} variants."
            return
        self.variants.append(VariantDraft())


def draft_of(product: Product | None, currency: str) -> ProductDraft:
    """The product form filled from a stored product (or empty, with one variant row)."""
    if product is None:
        return ProductDraft(variants=[VariantDraft()])
    return ProductDraft(
        name=product.name, slug=product.slug, description=product.description or "",
        category_id=str(product.category_id or ""), featured=product.featured,
        archived=product.archived,
        variants=[VariantDraft(id=v.id, sku=v.sku, size=v.size or "", colour=v.colour or "",
                               price=format_amount(v.price_cents, currency).replace(",", ""),
                               stock=str(v.stock), stock_shown=str(v.stock))
                  for v in product.variants],
    )


def _snapshot(product: Product, currency: str) -> dict:
    values = {
        "name": product.name, "slug": product.slug, "category_id": product.category_id,
        "featured": bool(product.featured), "archived": bool(product.archived),
        "description": (product.description or "")[:200],
    }
    for v in product.variants:
        options = " / ".join(x for x in (v.size, v.colour) if x) or "-"
        values[f"variant {v.sku}"] = (f"{options}, {format_amount(v.price_cents, currency)}, "
                                      f"stock {v.stock}")
    return values


def _unique_slug_error(model, slug: str, own_id: int | None, noun: str) -> str | None:
    query = select(model.id).where(model.slug == slug)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if db.session.scalar(query.limit(1)) is not None:
        return f"Another {noun} already uses the slug “{slug}”; choose a different one."
    return None


def _make_slug(typed: str, fallback: str, max_length: int) -> str:
    return slugify(typed or fallback, max_length=max_length, word_boundary=True)


def _check_product_fields(draft: ProductDraft, product: Product | None) -> dict:
    errors: dict[str, str] = {}
    draft.name = clean(draft.name, 200)
    draft.slug = clean(draft.slug, 220)
    draft.description = str(draft.description or "").strip()
    _check_length(errors, "name", draft.name, 200, "name", required=True)
    _check_length(errors, "description", draft.description, 20_000, "description")
    slug = _make_slug(draft.slug, draft.name, 200)
    if not slug and "name" not in errors:
        errors["slug"] = "The slug needs at least one letter or digit."
    elif slug:
        draft.slug = slug
        clash = _unique_slug_error(Product, slug, product.id if product else None, "product")
        if clash:
            errors["slug"] = clash
    if draft.category_id:
        category_id = parse_row_id(draft.category_id)
        if category_id is None or db.session.get(Category, category_id) is None:
            errors["category_id"] = "That category does not exist."
    return errors


def _check_variant_rows(draft: ProductDraft, currency: str,
                        stored: dict[int, Variant]) -> list[tuple[VariantDraft, dict]]:
    """Check each kept row; returns (row, values) pairs. Errors go on the rows."""
    checked: list[tuple[VariantDraft, dict]] = []
    seen_skus: dict[str, int] = {}
    for row in draft.variants:
        row.errors = {}
        if row.id is not None and row.id not in stored:
            row.errors["sku"] = "This variant does not belong to the product any more."
            continue
        if row.remove or row.is_blank:
            continue
        values: dict = {"sku": clean(row.sku, 64), "size": clean(row.size, 32) or None,
                        "colour": clean(row.colour, 32) or None}
        row.sku = values["sku"]
        _check_length(row.errors, "sku", values["sku"], 64, "SKU", required=True)
        _check_length(row.errors, "size", values["size"] or "", 32, "size")
        _check_length(row.errors, "colour", values["colour"] or "", 32, "colour")
        try:
            values["price_cents"] = parse_amount(row.price, currency)
        except AmountError as error:
            row.errors["price"] = str(error)
        try:
            typed = parse_stock(row.stock)
            current = stored[row.id].stock if row.id is not None else typed
            values["stock"] = _stock_to_store(current, typed, _parse_optional_int(row.stock_shown)
                                              if row.id is not None else None)
        except AmountError as error:
            row.errors["stock"] = str(error)
        key = values["sku"].lower()
        if key and key in seen_skus:
            row.errors.setdefault("sku", f"SKU “{values['sku']}” is used by another row "
                                         "of this form.")
        seen_skus.setdefault(key, row.id or 0)
        checked.append((row, values))
    skus = [values["sku"].lower() for row, values in checked if values["sku"]]
    if skus:
        taken = db.session.execute(
            select(Variant.id, Variant.sku, Variant.product_id)
            .where(func.lower(Variant.sku).in_(skus))
        ).all()
        own_ids = set(stored)
        for row, values in checked:
            for variant_id, sku, _product_id in taken:
                if sku.lower() != values["sku"].lower() or variant_id == row.id:
                    continue
                # A SKU of this product that this form renames or removes is free again.
                if variant_id in own_ids and _freed(draft, variant_id, sku):
                    continue
                row.errors.setdefault("sku", f"SKU “{sku}” is already used by another "
                                             "variant; SKUs must be unique.")
    return checked


def _freed(draft: ProductDraft, variant_id: int, sku: str) -> bool:
    for row in draft.variants:
        if row.id == variant_id:
            return row.remove or clean(row.sku, 64).lower() != sku.lower()
    return False


def _ordered_variant_ids(variant_ids: Iterable[int]) -> set[int]:
    ids = list(variant_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(OrderItem.variant_id).where(OrderItem.variant_id.in_(ids)).distinct()))


def save_product(product: Product | None, draft: ProductDraft, currency: str) -> Product:
    """Create or update a product and its variants from the form; Invalid saves nothing."""
    # Errors are also left on `draft` (field errors and each row's errors) for the form.
    stored: dict[int, Variant] = {}
    if product is not None:
        stored = {v.id: v for v in db.session.scalars(
            select(Variant).where(Variant.product_id == product.id).with_for_update())}
    draft.errors = _check_product_fields(draft, product)
    if len(draft.variants) > MAX_VARIANT_ROWS:
        draft.errors["variants"] = f"A product can have at most {MAX_VARIANT_ROWS} variants."
    checked = _check_variant_rows(draft, currency, stored)
    if not checked and "variants" not in draft.errors:
        draft.errors["variants"] = "A product needs at least one variant."
    removed = [row.id for row in draft.variants if row.remove and row.id in stored]
    for variant_id in _ordered_variant_ids(removed):
        row = next(r for r in draft.variants if r.id == variant_id)
        row.errors["remove"] = ("This variant has been ordered, so it cannot be removed; "
                                "set its stock to 0 instead.")
    if draft.errors or any(row.errors for row in draft.variants):
        db.session.rollback()
        raise Invalid(draft.errors or {"variants": "Check the variants marked below."})

    before = _snapshot(product, currency) if product is not None else None
    creating = product is None
    if creating:
        product = Product()
        db.session.add(product)
    product.name, product.slug = draft.name, draft.slug
    product.description = draft.description
    product.category_id = parse_row_id(draft.category_id) if draft.category_id else None
    product.featured, product.archived = draft.featured, draft.archived
    if removed:
        db.session.execute(delete(CartItem).where(CartItem.variant_id.in_(removed)))
        for variant_id in removed:
            product.variants.remove(stored[variant_id])
        db.session.flush()
    for position, (row, values) in enumerate(checked):
        variant = stored[row.id] if row.id is not None else Variant()
        for name, value in values.items():
            setattr(variant, name, value)
        variant.position = position
        if row.id is None:
            product.variants.append(variant)
    db.session.flush()
    after = _snapshot(product, currency)
    if creating:
        audit.record("product.created", "product", product.id, f"{product.name} created",
                     after=after)
    elif before != after:
        product.updated_at = utcnow()
        audit.record("product.updated", "product", product.id, f"{product.name} edited",
                     before=before, after=after)
    try:
        _commit_and_refresh_listings()
    except IntegrityError:
        db.session.rollback()
        draft.errors["form"] = ("Another change took that slug or one of these SKUs a moment "
                                "ago; check them and save again.")
        raise Invalid(draft.errors) from None
    return product


def get_product(product_id: int) -> Product:
    """A product with its variants and pictures, or NotFound."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("That product does not exist.")
    return product


@dataclass(frozen=True)
class DeleteOutcome:
    """What deleting a product did: deleted, or archived because it was ordered."""

    message: str
    deleted: bool


def delete_product(product_id: int) -> DeleteOutcome:
    """Delete a product that was never ordered; archive one that was, and say so."""
    product = get_product(product_id)
    variant_ids = [v.id for v in product.variants]
    if _ordered_variant_ids(variant_ids):
        if product.archived:
            return DeleteOutcome(f"{product.name} has been ordered, so it is kept; it is "
                                 "already archived.", deleted=False)
        product.archived = True
        audit.record("product.archived", "product", product.id,
                     f"{product.name} archived instead of deleted: it has been ordered",
                     before={"archived": False}, after={"archived": True})
        _commit_and_refresh_listings()
        return DeleteOutcome(f"{product.name} has been ordered, so it was archived instead "
                             "of deleted. Its order history stays intact.", deleted=False)
    files = [image.file for image in product.images]
    name = product.name
    before = _snapshot(product, store_settings.currency())
    if variant_ids:
        db.session.execute(delete(CartItem).where(CartItem.variant_id.in_(variant_ids)))
    db.session.execute(delete(WishlistItem).where(WishlistItem.product_id == product.id))
    audit.record("product.deleted", "product", product.id, f"{name} deleted", before=before)
    db.session.delete(product)
    _commit_and_refresh_listings()
    for file in files:
        _remove_picture_files(file, ProductImage.file)
    return DeleteOutcome(f"{name} was deleted.", deleted=True)


# ---------------------------------------------------------------------------------------------
# Pictures


def read_picture(upload) -> Image.Image:
    """The uploaded picture, checked by its content, loaded and upright; CatalogAdminError."""
    # Only JPEG, PNG, WebP and GIF content is accepted, whatever the file is called; files over
    # MAX_UPLOAD_BYTES and pictures over MAX_IMAGE_PIXELS are refused before decoding.
    if upload is None or not getattr(upload, "filename", ""):
        raise CatalogAdminError("Choose a picture to upload.")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise CatalogAdminError(f"The picture is larger than {MAX_UPLOAD_BYTES // 2**20} MB; "
                                "upload a smaller file.")
    if not data:
        raise CatalogAdminError("The file is empty.")
    refused = CatalogAdminError("That file is not a JPEG, PNG, WebP or GIF picture.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise CatalogAdminError(
                        f"The picture is {width} × {height} pixels; the most is "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels.")
                probe.verify()
            image = Image.open(BytesIO(data), formats=IMAGE_FORMATS)
            image.load()
            image = ImageOps.exif_transpose(image)
        except CatalogAdminError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise CatalogAdminError("The picture is too large to open.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                IndexError, TypeError):
            raise refused from None
    if image.width < 1 or image.height < 1:
        raise refused
    return _flatten(image)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent parts on white (WebP output is RGB)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _store_picture(image: Image.Image, folder: str, stem: str) -> str:
    base = f"{folder}/{stem[:180]}-{secrets.token_hex(4)}"
    return save_web_sizes(image, base, current_app.config["MEDIA_ROOT"])


def _remove_picture_files(file: str | None, column) -> None:
    """Delete every web size of a stored picture unless another row still shows it."""
    if not file or db.session.scalar(select(func.count()).where(column == file)):
        return
    root = Path(current_app.config["MEDIA_ROOT"]).resolve()
    for width in IMAGE_WIDTHS:
        path = (root / f"{file}-{width}.webp").resolve()
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)


def _check_alt(alt_text, required: bool = True) -> str:
    alt = clean(alt_text, 255)
    errors: dict[str, str] = {}
    _check_length(errors, "alt_text", alt, 255, "alt text", required=required)
    if errors:
        raise Invalid(errors)
    return alt


def _image_of(product_id: int, image_id: int) -> ProductImage:
    image = db.session.scalar(select(ProductImage).where(
        ProductImage.id == image_id, ProductImage.product_id == product_id))
    if image is None:
        raise NotFound("That picture does not exist any more.")
    return image


def add_image(product_id: int, upload, alt_text) -> ProductImage:
    """Check, resize and store an uploaded picture as the product's last one."""
    product = get_product(product_id)
    alt = _check_alt(alt_text)
    image = read_picture(upload)
    file = _store_picture(image, "products", product.slug)
    position = 1 + max((i.position for i in product.images), default=-1)
    picture = ProductImage(file=file, alt_text=alt, position=position)
    product.images.append(picture)
    db.session.flush()
    audit.record("product.image_added", "product", product.id,
                 f"Picture added to {product.name}", after={"file": file, "alt_text": alt})
    try:
        _commit_and_refresh_listings()
    except Exception:
        db.session.rollback()
        _remove_picture_files(file, ProductImage.file)
        raise
    return picture


def update_image_alt(product_id: int, image_id: int, alt_text) -> ProductImage:
    """Change a picture's alt text."""
    image = _image_of(product_id, image_id)
    alt = _check_alt(alt_text)
    if alt != image.alt_text:
        audit.record("product.image_updated", "product", product_id,
                     f"Alt text of a picture of {image.product.name} changed",
                     before={"alt_text": image.alt_text}, after={"alt_text": alt})
        image.alt_text = alt
        _commit_and_refresh_listings()
    return image


def move_image(product_id: int, image_id: int, direction: str) -> None:
    """Move a picture one place up or down; the first picture is the product's main one."""
    if direction not in ("up", "down"):
        raise CatalogAdminError("Move a picture up or down.")
    image = _image_of(product_id, image_id)
    images = list(image.product.images)
    index = images.index(image)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(images):
        return
    before = [i.id for i in images]
    images[index], images[other] = images[other], images[index]
    for position, item in enumerate(images):
        item.position = position
    audit.record("product.images_reordered", "product", product_id,
                 f"Pictures of {image.product.name} reordered",
                 before={"order": before}, after={"order": [i.id for i in images]})
    _commit_and_refresh_listings()


def delete_image(product_id: int, image_id: int) -> None:
    """Remove a picture and its files."""
    image = _image_of(product_id, image_id)
    file, name = image.file, image.product.name
    audit.record("product.image_deleted", "product", product_id, f"Picture of {name} removed",
                 before={"file": file, "alt_text": image.alt_text})
    db.session.delete(image)
    _commit_and_refresh_listings()
    _remove_picture_files(file, ProductImage.file)


# ---------------------------------------------------------------------------------------------
# Categories


@dataclass(frozen=True)
class CategoryRow:
    """A category with how many products it holds."""

    id: int
    name: str
    slug: str
    position: int
    product_count: int


def list_categories() -> list[CategoryRow]:
    """Every category with its product count, in shelf order (one statement)."""
    counts = (select(Product.category_id, func.count(Product.id).label("n"))
              .group_by(Product.category_id).subquery())
    query = (select(Category.id, Category.name, Category.slug, Category.position,
                    func.coalesce(counts.c.n, 0))
             .outerjoin(counts, counts.c.category_id == Category.id)
             .order_by(Category.position, Category.name, Category.id))
    return [CategoryRow(*row) for row in db.session.execute(query)]


def get_category(category_id: int) -> Category:
    """A category, or NotFound."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("That category does not exist.")
    return category


def _category_snapshot(category: Category) -> dict:
    return {"name": category.name, "slug": category.slug, "position": category.position,
            "description": (category.description or "")[:200]}


def save_category(category: Category | None, name, slug, description, position) -> Category:
    """Create or update a category; Invalid saves nothing."""
    errors: dict[str, str] = {}
    name, description = clean(name, 120), str(description or "").strip()
    _check_length(errors, "name", name, 120, "name", required=True)
    _check_length(errors, "description", description, 5000, "description")
    slug = _make_slug(clean(slug, 140), name, 140)
    if not slug:
        errors.setdefault("slug", "The slug needs at least one letter or digit.")
    else:
        clash = _unique_slug_error(Category, slug, category.id if category else None, "category")
        if clash:
            errors["slug"] = clash
    try:
        position_value = parse_position(position)
    except AmountError as error:
        errors["position"] = str(error)
    if errors:
        raise Invalid(errors)
    before = _category_snapshot(category) if category is not None else None
    if category is None:
        category = Category()
        db.session.add(category)
    category.name, category.slug, category.description = name, slug, description
    category.position = position_value
    db.session.flush()
    after = _category_snapshot(category)
    if before is None:
        audit.record("category.created", "category", category.id, f"Category {name} created",
                     after=after)
    elif before != after:
        audit.record("category.updated", "category", category.id, f"Category {name} edited",
                     before=before, after=after)
    try:
        _commit_and_refresh_listings()
    except IntegrityError:
        db.session.rollback()
        raise Invalid({"slug": "Another category took that slug a moment ago."}) from None
    return category


def delete_category(category_id: int) -> str:
    """Delete an empty category; one that holds products is refused with a message."""
    category = get_category(category_id)
    count = db.session.scalar(select(func.count(Product.id))
                              .where(Product.category_id == category.id))
    if count:
        raise CatalogAdminError(
            f"{category.name} holds {count} product{'s' if count != 1 else ''}; move "
            f"{'them' if count != 1 else 'it'} to another category first (archived "
            "products count too).")
    audit.record("category.deleted", "category", category.id, f"Category {category.name} "
                 "deleted", before=_category_snapshot(category))
    name = category.name
    db.session.delete(category)
    _commit_and_refresh_listings()
    return f"Category {name} was deleted."


# ---------------------------------------------------------------------------------------------
# Home banners


def check_link_url(text) -> str:
    """A banner link: a path on this site ('/products') or an http(s) URL; Invalid otherwise."""
    url = clean(text, 500)
    if not url:
        return ""
    bad = Invalid({"link_url": "Use a path on this shop that starts with / (like /products) "
                               "or a full http:// or https:// address."})
    if len(url) > 500:
        raise Invalid({"link_url": "The link can be at most 500 characters."})
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or "\\" in url:
        raise bad
    parts = urlsplit(url)
    if url.startswith("/"):
        if url.startswith("//") or parts.scheme or parts.netloc:
            raise bad
        return url
    if parts.scheme.lower() in ("http", "https") and parts.netloc and "@" not in parts.netloc:
        return url
    raise bad


@dataclass
class BannerDraft:
    """The banner form as typed."""

    title: str = ""
    text: str = ""
    link_url: str = ""
    link_label: str = ""
    image_alt: str = ""
    active: bool = True
    position: str = "0"
    remove_image: bool = False


def list_banners() -> list[Banner]:
    """Every banner, in home page order."""
    return list(db.session.scalars(select(Banner).order_by(Banner.position, Banner.id)))


def get_banner(banner_id: int) -> Banner:
    """A banner, or NotFound."""
    banner = db.session.get(Banner, banner_id)
    if banner is None:
        raise NotFound("That banner does not exist.")
    return banner


def _banner_snapshot(banner: Banner) -> dict:
    return {"title": banner.title, "text": (banner.text or "")[:200], "link_url": banner.link_url,
            "link_label": banner.link_label, "active": bool(banner.active),
            "position": banner.position, "image": banner.image, "image_alt": banner.image_alt}


def save_banner(banner: Banner | None, draft: BannerDraft, upload=None) -> Banner:
    """Create or update a home banner, with an optional new picture; Invalid saves nothing."""
    errors: dict[str, str] = {}
    title, text = clean(draft.title, 160), str(draft.text or "").strip()
    label, alt = clean(draft.link_label, 80), clean(draft.image_alt, 255)
    _check_length(errors, "title", title, 160, "title", required=True)
    _check_length(errors, "text", text, 2000, "text")
    _check_length(errors, "link_label", label, 80, "link label")
    _check_length(errors, "image_alt", alt, 255, "alt text")
    link = ""
    try:
        link = check_link_url(draft.link_url)
    except Invalid as error:
        errors.update(error.errors)
    if label and not link:
        errors.setdefault("link_url", "Give the link an address, or leave its label empty.")
    try:
        position = parse_position(draft.position)
    except AmountError as error:
        errors["position"] = str(error)
    image = None
    if upload is not None and getattr(upload, "filename", ""):
        try:
            image = read_picture(upload)
        except CatalogAdminError as error:
            errors["image"] = str(error)
    if errors:
        raise Invalid(errors)
    before = _banner_snapshot(banner) if banner is not None else None
    if banner is None:
        banner = Banner()
        db.session.add(banner)
    old_image = banner.image
    new_file = _store_picture(image, "banners", slugify(title, max_length=60) or "banner") \
        if image is not None else None
    if new_file:
        banner.image = new_file
    elif draft.remove_image:
        banner.image = None
    banner.title, banner.text, banner.link_url, banner.link_label = title, text, link, label
    banner.image_alt, banner.active, banner.position = alt, draft.active, position
    db.session.flush()
    after = _banner_snapshot(banner)
    if before is None:
        audit.record("banner.created", "banner", banner.id, f"Banner “{title}” created",
                     after=after)
    elif before != after:
        audit.record("banner.updated", "banner", banner.id, f"Banner “{title}” edited",
                     before=before, after=after)
    try:
        _commit_and_refresh_listings()
    except Exception:
        db.session.rollback()
        if new_file:
            _remove_picture_files(new_file, Banner.image)
        raise
    if old_image and old_image != banner.image:
        _remove_picture_files(old_image, Banner.image)
    return banner


def delete_banner(banner_id: int) -> str:
    """Delete a banner and its picture."""
    banner = get_banner(banner_id)
    title, image = banner.title, banner.image
    audit.record("banner.deleted", "banner", banner.id, f"Banner “{title}” deleted",
                 before=_banner_snapshot(banner))
    db.session.delete(banner)
    _commit_and_refresh_listings()
    _remove_picture_files(image, Banner.image)
    return f"Banner “{title}” was deleted."
