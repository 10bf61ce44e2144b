"""Catalog reads: product cards for listings, facets for filters, one product with its parts."""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from shophub.catalog.filters import CatalogFilters
from shophub.catalog.options import StoreOption
from shophub.core.ratings import average_rating
from shophub.extensions import db
from shophub.models import (
    Banner,
    Category,
    OptionList,
    OptionValue,
    Product,
    ProductImage,
    Variant,
    VariantOption,
    WishlistItem,
)

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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
    # The product's published reviews: how many, and their stars added up.
    rating_count: int = 0
    rating_sum: int = 0

    @property
    def rating_average(self) -> float | None:
        """The average of its published reviews' stars (one decimal), None without any."""
        return average_rating(self.rating_count, self.rating_sum)

    @property
    def in_stock(self) -> bool:
        """Whether any listed variant can be bought."""
        return self.stock > 0

    @property
    def has_price_range(self) -> bool:
        """Whether its variants differ in price."""
        return self.min_price != self.max_price


@dataclass(frozen=True)
class OptionFacet:
    """One option list as the filters offer it: the values listed products have, in order."""

    slug: str
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Facets:
    """The values a shopper can filter the catalog by."""

    categories: list[tuple[str, str]]
    # The store's lists that listed products have values of, in the store's order.
    options: list[OptionFacet]

    def category_name(self, slug: str | None) -> str | None:
        """Display name of a category slug, or None when there is no such category."""
        return next((name for s, name in self.categories if s == slug), None)

    def option(self, slug: str) -> OptionFacet | None:
        """The option list with this slug, if listed products have values of it."""
        return next((option for option in self.options if option.slug == slug), None)

    def option_groups(self, filters: CatalogFilters,
                      lists: Sequence[StoreOption]) -> list[OptionFacet]:
        """The option filters to show: values on offer, then chosen ones not on offer.

        `lists` are the store's lists in order: a value chosen in the query string that no
        listed product has still shows, so that it can be unchosen.
        """
        groups = []
        for option in lists:
            offered = self.option(option.slug)
            values = offered.values if offered else ()
            extra = tuple(value for value in filters.chosen(option.slug) if value not in values)
            if values or extra:
                groups.append(OptionFacet(slug=option.slug, name=option.name,
                                          values=values + extra))
        return groups


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
        # One of the chosen values of every list chosen, on the same variant.
        # Driven from the chosen values, so that only their variants are read.
        for slug, values in filters.options:
            chosen_values = (
                select(OptionValue.id)
                .join(OptionList, OptionList.id == OptionValue.option_list_id)
                .where(OptionList.slug == slug, OptionValue.value.in_(values))
            )
            variant_conditions.append(Variant.id.in_(
                select(VariantOption.variant_id)
                .where(VariantOption.option_value_id.in_(chosen_values))
            ))
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
            Product.rating_count, Product.rating_sum,
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


@cache
def _facets_statement(in_category: bool):
    # Built once per shape; the category slug is a bound parameter. Rows are (kind, slug,
    # name, position, id, value, value position, value id); a category has no value.
    listed = select(Variant.id).join(Product).where(Product.archived.is_(False))
    if in_category:
        listed = listed.join(Category, Category.id == Product.category_id).where(
            Category.slug == bindparam("category")
        )
    return union_all(
        select(literal("category"), Category.slug, Category.name, Category.position,
               Category.id, cast(null(), String), literal(0), literal(0)),
        select(literal("option"), OptionList.slug, OptionList.name, OptionList.position,
               OptionList.id, OptionValue.value, OptionValue.position, OptionValue.id)
        .select_from(VariantOption)
        .join(OptionValue, OptionValue.id == VariantOption.option_value_id)
        .join(OptionList, OptionList.id == VariantOption.option_list_id)
        .where(VariantOption.variant_id.in_(listed))
        .distinct(),
    )


def load_facets(category: str | None = None) -> Facets:
    """Every category, and the option values on offer (within `category` if given).

    Lists come in the store's order and their values in the list's order.
    """
    statement = _facets_statement(category is not None)
    rows = db.session.execute(statement, {"category": category} if category else {}).all()
    categories = sorted((row for row in rows if row[0] == "category"),
                        key=lambda row: (row[3], row[2]))
    values = sorted((row for row in rows if row[0] == "option"),
                    key=lambda row: (row[3], row[4], row[6], row[7]))
    names: dict[str, str] = {}
    by_list: dict[str, list[str]] = {}
    for _, slug, name, _, _, value, _, _ in values:
        names[slug] = name
        by_list.setdefault(slug, []).append(value)
    return Facets(
        categories=[(row[1], row[2]) for row in categories],
        options=[OptionFacet(slug=slug, name=names[slug], values=tuple(found))
                 for slug, found in by_list.items()],
    )


@dataclass(frozen=True)
class Billboard:
    """What the storefront and the API show of one billboard."""

    id: int
    title: str
    text: str
    image: str | None
    image_alt: str
    link_url: str
    link_label: str
    position: int
    featured: bool
    category_slug: str | None
    category_name: str | None


def active_billboards(category: str | None = None, featured: bool = False) -> list[Billboard]:
    """Active billboards in order: of the category with slug `category`, featured ones only."""
    query = (
        select(Banner.id, Banner.title, Banner.text, Banner.image, Banner.image_alt,
               Banner.link_url, Banner.link_label, Banner.position, Banner.featured,
               Category.slug, Category.name)
        .outerjoin(Category, Category.id == Banner.category_id)
        .where(Banner.active.is_(True))
        .order_by(Banner.position, Banner.id)
    )
    if category is not None:
        query = query.where(Category.slug == category)
    if featured:
        query = query.where(Banner.featured.is_(True))
    return [Billboard(*row) for row in db.session.execute(query)]


def get_listed_product(slug: str) -> Product | None:
    """A product that is not archived, with its category, variants and images loaded."""
    if len(slug) > 220 or not SLUG_PATTERN.fullmatch(slug):
        return None
    return db.session.scalar(
        select(Product)
        .where(Product.slug == slug, Product.archived.is_(False))
        .options(
            joinedload(Product.category),
            # Each variant's values (with their lists) come in the variants' own statement.
            selectinload(Product.variants).joinedload(Variant.options),
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
