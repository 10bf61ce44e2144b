"""A short-lived cache of catalog listings and of the HTML that depends only on their filters.

It is shared by every worker when Redis is configured.

Listings may lag a change by at most CATALOG_CACHE_SECONDS (0 turns the cache off); product
pages, the cart and the checkout always read the database. Changes made through the shop's
own services call invalidate() so that they show at once.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app

from shophub.catalog import queries as catalog
from shophub.catalog.filters import CatalogFilters
from shophub.platform import cache, tenancy

T = TypeVar("T")


def _store_key(key: str) -> str:
    # Every store has its own catalog: a key without the store would show one store's
    # listing in another's.
    return f"store:{tenancy.current_store_id()}:{key}"


def _cached(key: str, compute: Callable[[], T]) -> T:
    seconds = current_app.config["CATALOG_CACHE_SECONDS"]
    if seconds <= 0:
        return compute()
    key = _store_key(key)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.put(key, value, seconds)
    return value


def _digest(filters: CatalogFilters, with_page: bool = True) -> str:
    shape = repr((filters.q, filters.category, filters.min_price, filters.max_price,
                  filters.in_stock, filters.options, filters.sort,
                  filters.page if with_page else None, filters.per_page))
    return hashlib.sha256(shape.encode()).hexdigest()


@dataclass(frozen=True)
class FragmentCache:
    """What a template's {% cache %} tag needs to cache a fragment of one listing."""

    key: str
    seconds: int


def fragment(filters: CatalogFilters) -> FragmentCache:
    """Cache settings for HTML that depends only on `filters` (0 seconds: not cached)."""
    return FragmentCache(key=_store_key("catalog:fragment:" + _digest(filters, with_page=False)),
                         seconds=max(0, current_app.config["CATALOG_CACHE_SECONDS"]))


def facets(category: str | None = None) -> catalog.Facets:
    """Categories, and the option lists' values on offer (within `category` if given), cached."""
    key = "catalog:facets:" + hashlib.sha256((category or "").encode()).hexdigest()
    return _cached(key, lambda: catalog.load_facets(category))


def search(filters: CatalogFilters) -> catalog.CatalogPage:
    """One page of catalog results, cached per filter set."""
    return _cached("catalog:search:" + _digest(filters), lambda: catalog.search_products(filters))


def featured() -> list[catalog.ProductCard]:
    """Featured products for the home page, cached."""
    return _cached("catalog:featured", catalog.featured_products)


def billboards(category: str | None = None, featured: bool = False) -> list[catalog.Billboard]:
    """Active billboards (of `category`, featured only if asked), cached."""
    shape = repr((category, featured))
    key = "catalog:billboards:" + hashlib.sha256(shape.encode()).hexdigest()
    return _cached(key, lambda: catalog.active_billboards(category, featured))


def invalidate() -> None:
    """Forget every cached listing (call after a change to products, prices or stock).

    The cache holds only what can be computed again (catalog listings, the store's name and
    currency), so clearing it whole is safe.
    """
    cache.clear()
