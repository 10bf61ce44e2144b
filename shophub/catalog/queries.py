"""Catalog reads: product cards for listings, facets for filters, one product with its parts."""

import math
import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from shophub.catalog.filters import CatalogFilters
from shophub.extensions import db
from shophub.models import Banner, Category, Product, ProductImage, Variant, WishlistItem

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SIZE_ORDER = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL"]


@dataclass(frozen=True)
class ProductCard:
    """What a listing shows of one product."""

    id: int
    name: str
    slug: str
    min_price: int
    max_price: int
    stock: int
    image_file: str | None
    image_alt: str | None

    @property
    def in_stock(self) -> bool:
        """Whether any listed variant can be bought."""
        return self.stock > 0

    @property
    def has_price_range(self) -> bool:
        """Whether its variants differ in price."""
        return self.min_price != self.max_price


@dataclass(frozen=True)
class Facets:
    """The values a shopper can filter the catalog by."""

    categories: list[tuple[str, str]]
    sizes: list[str]
    colours: list[str]

    def category_name(self, slug: str | None) -> str | None:
        """Display name of a category slug, or None when there is no such category."""
        return next((name for s, name in self.categories if s == slug), None)


@dataclass(frozen=True)
class CatalogPage:
    """One page of catalog results."""

    cards: list[ProductCard]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so an empty result still has a page)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def page_numbers(self) -> list[int | None]:
        """Page links to show: first, last and two either side of this one; None marks a gap."""
        near = range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)
        shown = sorted({1, self.pages, *near})
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - numbers[-1] == 2:
                numbers.append(number - 1)  # a gap of one page shows that page instead
            elif numbers and number - numbers[-1] > 2:
                numbers.append(None)
            numbers.append(number)
        return numbers

    @property
    def first_index(self) -> int:
        """1-based position of the first card on this page (0 when empty)."""
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        """1-based position of the last card on this page."""
        return self.first_index + len(self.cards) - 1 if self.cards else 0


def first_image_of_product(column):
    """A correlated subquery: `column` of the product's first picture (None without one)."""
    return (
        select(column)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


def _card_query(filters: CatalogFilters | None = None) -> Select:
    """Select product cards; variant filters decide which variants count for price and stock."""
    variant_conditions = []
    if filters:
        if filters.min_price is not None:
            variant_conditions.append(Variant.price_cents >= filters.min_price)
        if filters.max_price is not None:
            variant_conditions.append(Variant.price_cents <= filters.max_price)
        if filters.in_stock:
            variant_conditions.append(Variant.stock > 0)
        if filters.sizes:
            variant_conditions.append(Variant.size.in_(filters.sizes))
        if filters.colours:
            variant_conditions.append(Variant.colour.in_(filters.colours))
    matching = (
        select(
            Variant.product_id,
            func.min(Variant.price_cents).label("min_price"),
            func.max(Variant.price_cents).label("max_price"),
            func.sum(Variant.stock).label("stock"),
        )
        .where(*variant_conditions)
        .group_by(Variant.product_id)
        .subquery("matching")
    )
    first_image = first_image_of_product(ProductImage.id)
    query = (
        select(
            Product.id, Product.name, Product.slug, matching.c.min_price,
            matching.c.max_price, matching.c.stock, ProductImage.file, ProductImage.alt_text,
        )
        .join(matching, matching.c.product_id == Product.id)
        .outerjoin(ProductImage, ProductImage.id == first_image)
        .where(Product.archived.is_(False))
    )
    if filters:
        if filters.category:
            query = query.join(Category, Category.id == Product.category_id).where(
                Category.slug == filters.category
            )
        for term in filters.q.split():
            query = query.where(
                Product.name.icontains(term, autoescape=True)
                | Product.description.icontains(term, autoescape=True)
            )
    return query


def _ordered(query: Select, sort: str) -> Select:
    # Product.id breaks ties so that pages never repeat or skip a product.
    min_price = query.selected_columns.min_price
    orderings = {
        "newest": (Product.created_at.desc(), Product.id.desc()),
        "price_asc": (min_price.asc(), Product.id.asc()),
        "price_desc": (min_price.desc(), Product.id.desc()),
        "name": (func.lower(Product.name).asc(), Product.id.asc()),
    }
    return query.order_by(*orderings[sort])


def _cards(query: Select) -> list[ProductCard]:
    return [ProductCard(*row) for row in db.session.execute(query)]


def _page_with_total(query: Select, sort: str, page: int, per_page: int):
    # The window count gives the total of all matches alongside the page's rows.
    counted = _ordered(query.add_columns(func.count().over().label("total")), sort)
    rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    total = rows[0].total if rows else None
    return [ProductCard(*row[:-1]) for row in rows], total


def search_products(filters: CatalogFilters) -> CatalogPage:
    """One page of products matching the filters; a page past the end shows the last page."""
    query = _card_query(filters)
    cards, total = _page_with_total(query, filters.sort, filters.page, filters.per_page)
    if total is None:
        # Nothing on the asked page: count the matches and show the last page instead.
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        last_page = max(1, math.ceil(total / filters.per_page))
        if total and filters.page > last_page:
            cards, _ = _page_with_total(query, filters.sort, last_page, filters.per_page)
        return CatalogPage(cards=cards, total=total, page=min(filters.page, last_page),
                           per_page=filters.per_page)
    return CatalogPage(cards=cards, total=total, page=filters.page, per_page=filters.per_page)


def featured_products(limit: int = 10) -> list[ProductCard]:
    """Featured products for the home page, newest first."""
    query = _card_query().where(Product.featured.is_(True))
    return _cards(_ordered(query, "newest").limit(limit))


def cards_saved_by(user_id: int) -> list[ProductCard]:
    """Cards of the listed products a customer saved to the wishlist, newest saved first."""
    query = (
        _card_query()
        .join(WishlistItem, WishlistItem.product_id == Product.id)
        .where(WishlistItem.user_id == user_id)
        .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc())
    )
    return _cards(query)


def _size_key(size: str) -> tuple[int, str]:
    return (SIZE_ORDER.index(size) if size in SIZE_ORDER else len(SIZE_ORDER), size)


@cache
def _facets_statement(in_category: bool):
    # Built once per shape; the category slug is a bound parameter.
    listed = select(Variant.product_id).join(Product).where(Product.archived.is_(False))
    if in_category:
        listed = listed.join(Category, Category.id == Product.category_id).where(
            Category.slug == bindparam("category")
        )
    return union_all(
        select(literal("category"), Category.slug, Category.name, Category.position),
        select(literal("size"), Variant.size, Variant.size, literal(0))
        .where(Variant.size.is_not(None), Variant.product_id.in_(listed))
        .distinct(),
        select(literal("colour"), Variant.colour, Variant.colour, literal(0))
        .where(Variant.colour.is_not(None), Variant.product_id.in_(listed))
        .distinct(),
    )


def load_facets(category: str | None = None) -> Facets:
    """Every category, and the sizes and colours on offer (within `category` if given)."""
    statement = _facets_statement(category is not None)
    rows = db.session.execute(statement, {"category": category} if category else {}).all()
    categories = sorted(
        ((slug, name, position) for kind, slug, name, position in rows if kind == "category"),
        key=lambda c: (c[2], c[1]),
    )
    return Facets(
        categories=[(slug, name) for slug, name, _ in categories],
        sizes=sorted((v for kind, v, _, _ in rows if kind == "size"), key=_size_key),
        colours=sorted(v for kind, v, _, _ in rows if kind == "colour"),
    )


def active_banners() -> list[Banner]:
    """Banners shown on the home page, in order."""
    return list(db.session.scalars(
        select(Banner).where(Banner.active.is_(True)).order_by(Banner.position, Banner.id)
    ))


def get_listed_product(slug: str) -> Product | None:
    """A product that is not archived, with its category, variants and images loaded."""
    if len(slug) > 220 or not SLUG_PATTERN.fullmatch(slug):
        return None
    return db.session.scalar(
        select(Product)
        .where(Product.slug == slug, Product.archived.is_(False))
        .options(
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.images),
        )
    )


def products_by_id(ids: list[int]) -> dict[int, Product]:
    """The products with these ids, with their categories loaded, by id (one statement)."""
    if not ids:
        return {}
    products = db.session.scalars(
        select(Product).where(Product.id.in_(ids)).options(joinedload(Product.category))
    )
    return {product.id: product for product in products}


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every category in order, with how many listed products it holds."""
    listed = _card_query().add_columns(Product.category_id).subquery("listed")
    rows = db.session.execute(
        select(Category, func.count(listed.c.id))
        .outerjoin(listed, listed.c.category_id == Category.id)
        .group_by(Category.id)
        .order_by(Category.position, Category.name, Category.id)
    )
    return [(category, count) for category, count in rows]
