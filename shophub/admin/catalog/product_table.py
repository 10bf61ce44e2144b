"""The admin's product table: its filters read from the query string, and its pages.

A page of the table is read in three statements whatever its size: the count (which also reads
the low-stock threshold), the page of products with their variants' price range and stock, and
the variants of that page's products. A bad filter value is dropped with a notice saying so.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from shophub.admin.catalog.common import clean
from shophub.admin.catalog.variants import VariantLine, line_of
from shophub.core.numbers import parse_row_id, parse_whole
from shophub.core.paging import Page, page_at
from shophub.extensions import db
from shophub.models import Category, Product, StoreSettings, Variant
from shophub.platform.store_settings import DEFAULT_LOW_STOCK_THRESHOLD

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_QUERY_LENGTH = 100
SORT_COLUMNS = {"name": "Name", "category": "Category", "price": "Price", "stock": "Stock",
                "updated": "Updated"}
ARCHIVED_CHOICES = {"all": "All", "no": "Not archived", "yes": "Archived"}


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
    number = parse_whole(text, high=9_999_999)
    if number is None:
        notices.append(f"“{text[:20]}” is not a {label}; showing {label} {default}.")
        return default
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


@dataclass(frozen=True, kw_only=True)
class ProductPage(Page):
    """A page of the product table."""

    rows: list[ProductRow]
    threshold: int
    filters: ProductFilters
    notices: tuple[str, ...]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
    window = page_at(filters.page, total, filters.per_page)
    notices = list(filters.notices)
    if window.page < filters.page:
        pages = window.pages
        notices.append(f"There are only {pages} page{'s' if pages != 1 else ''}; "
                       f"showing page {pages}.")

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
                  .offset(window.offset).limit(window.limit))
    rows = [_product_row(r) for r in db.session.execute(page_query)]
    by_id = {row.id: row for row in rows}
    if by_id:
        variants = db.session.scalars(
            select(Variant).where(Variant.product_id.in_(by_id))
            .order_by(Variant.product_id, Variant.position, Variant.id)
        )
        for variant in variants:
            by_id[variant.product_id].variants.append(line_of(variant, currency))
    return ProductPage.of(window, rows=rows, threshold=int(threshold_value),
                          filters=replace(filters, page=window.page), notices=tuple(notices))


def product_summary(product_id: int) -> ProductRow | None:
    """A product's row of the table without its variants (after an inline edit)."""
    totals = _variant_totals()
    row = db.session.execute(
        _row_query(totals, _threshold_expression()).where(Product.id == product_id)).first()
    return _product_row(row) if row else None
