"""The catalog API: the current store's catalog as read-only JSON, for headless storefronts.

The store is the one of the request's Host, as for the pages. Every answer is public and
cacheable (Cache-Control, a strong ETag computed from the body, 304 on If-None-Match) and
readable from any origin; errors under /api/ are JSON too (web.errors). Prices are integers
in the currency's minor unit.
"""

from urllib.parse import urljoin

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for

from shophub.catalog import cache as catalog_cache
from shophub.catalog import options as option_lists
from shophub.catalog import queries as catalog
from shophub.catalog.filters import CatalogFilters, parse_catalog_filters
from shophub.catalog.picker import is_low_stock, shown_quantity
from shophub.models import Category, Product, Variant
from shophub.platform import storage, store_settings

URL_PREFIX = "/api/v1"
# What a yes/no parameter takes as yes, as the catalog's in_stock does.
TRUE_VALUES = frozenset({"1", "on", "true", "yes"})

bp = Blueprint("api", __name__, url_prefix=URL_PREFIX)


@bp.before_request
def refuse_nul():
    """Refuse a query string holding NUL, which the app would otherwise drop silently."""
    raw = request.query_string.lower()
    if b"%00" in raw or b"\x00" in raw:
        abort(400, description="Parameters must not contain NUL.")


@bp.after_app_request
def allow_any_origin(response: Response) -> Response:
    """Let any origin read the API (public data, no credentials), errors included."""
    if request.path.startswith(URL_PREFIX + "/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.get("/products")
def products():
    """One page of listed products, searched, filtered and sorted as the catalog page is."""
    filters = _filters()
    facets = catalog_cache.facets(filters.category) if filters.category else None
    if facets and facets.category_name(filters.category) is None:
        abort(404, description="There is no such category.")
    results = catalog_cache.search(filters)
    details = catalog.products_by_id([card.id for card in results.cards])
    currency = store_settings.currency()
    return _cacheable({
        # A product deleted since the listing was cached is left out.
        "data": [_card(card, details[card.id], currency) for card in results.cards
                 if card.id in details],
        "page": results.page,
        "per_page": results.per_page,
        "total": results.total,
        "pages": results.pages,
        "links": {
            "self": _page_link(filters, results.page),
            "next": _page_link(filters, results.page + 1) if results.page < results.pages
            else None,
            "prev": _page_link(filters, results.page - 1) if results.page > 1 else None,
        },
    })


@bp.get("/products/<slug>")
def product(slug: str):
    """One listed product with its variants and every picture; archived ones are 404."""
    found = catalog.get_listed_product(slug)
    if found is None or not found.variants:
        abort(404, description="There is no such product.")
    return _cacheable({"data": _product(found, store_settings.currency())})


@bp.get("/categories")
def categories():
    """Every category, in the shop's order, with how many listed products it holds."""
    return _cacheable({"data": [_category(category, count)
                                for category, count in catalog.categories_with_counts()]})


@bp.get("/billboards")
def billboards():
    """Active billboards in order; `category` (a slug) and `featured=1` narrow them."""
    category = request.args.get("category") or None
    if category is not None and catalog_cache.facets().category_name(category) is None:
        abort(404, description="There is no such category.")
    featured = request.args.get("featured", "") in TRUE_VALUES
    return _cacheable({"data": [_billboard(billboard)
                                for billboard in catalog_cache.billboards(category, featured)]})


@bp.get("/options")
def options():
    """The store's option lists in order, each with every value it manages, in order.

    A list's slug is its parameter of /products (`?size=M&size=L`); its values are all the
    store offers, whether or not a listed product has them now.
    """
    return _cacheable({"data": [{"name": option.name, "slug": option.slug,
                                 "values": list(option.values)}
                                for option in option_lists.store_options()]})


def _filters() -> CatalogFilters:
    config = current_app.config
    filters = parse_catalog_filters(request.args, store_settings.currency(),
                                    config["CATALOG_PAGE_SIZES"],
                                    config["CATALOG_DEFAULT_PAGE_SIZE"],
                                    option_lists.option_slugs())
    if filters.problems:
        # The page corrects bad values with a notice; an API client is told instead.
        abort(400, description="; ".join(filters.problems))
    return filters


def _cacheable(body: dict) -> Response:
    response = jsonify(body)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_CACHE_SECONDS"]
    response.add_etag()
    return response.make_conditional(request)


def _page_link(filters: CatalogFilters, page: int) -> str:
    return url_for("api.products", _external=True, **filters.query_args(page=page))


def _absolute(url: str) -> str:
    # Pictures are linked from MEDIA_URL (already absolute) or from this host's /media.
    return urljoin(request.host_url, url)


def _image(file: str, alt: str) -> dict:
    return {"alt": alt,
            "sources": [{"width": width, "url": _absolute(storage.image_url(file, width))}
                        for width in storage.IMAGE_WIDTHS]}


def _category_ref(category: Category | None) -> dict | None:
    return None if category is None else {"slug": category.slug, "name": category.name}


def _product_fields(product: Product, currency: str, price_min: int, price_max: int,
                    in_stock: bool, images: list[dict]) -> dict:
    """The fields a product has in the list and on its own: one shape for both."""
    return {
        "id": product.id,
        "slug": product.slug,
        "name": product.name,
        "description": product.description,
        "category": _category_ref(product.category),
        "price_min": price_min,
        "price_max": price_max,
        "currency": currency,
        "in_stock": in_stock,
        "images": images,
        "url": url_for("shop.product_detail", slug=product.slug, _external=True),
    }


def _card(card: catalog.ProductCard, product: Product, currency: str) -> dict:
    # The listing's own figures (prices and stock of the matching variants, first picture).
    images = [_image(card.image_file, card.image_alt or card.name)] if card.image_file else []
    return _product_fields(product, currency, card.min_price, card.max_price, card.in_stock,
                           images)


def _variant(variant: Variant) -> dict:
    return {
        "id": variant.id,
        "sku": variant.sku,
        # The variant's value of each option list it has, by the list's slug.
        "options": variant.option_values,
        "price": variant.price_cents,
        "in_stock": variant.in_stock,
        # As much as the product page tells: the count while it is low, else "5 or more".
        "available": shown_quantity(variant.stock),
        "low_stock": is_low_stock(variant.stock),
    }


def _product(product: Product, currency: str) -> dict:
    prices = [variant.price_cents for variant in product.variants]
    fields = _product_fields(
        product, currency, min(prices), max(prices),
        any(variant.in_stock for variant in product.variants),
        [_image(image.file, image.alt_text or product.name) for image in product.images])
    return {**fields, "variants": [_variant(variant) for variant in product.variants]}


def _category(category: Category, count: int) -> dict:
    return {
        "slug": category.slug,
        "name": category.name,
        "description": category.description,
        "product_count": count,
        "url": url_for("shop.product_list", category=category.slug, _external=True),
    }


def _billboard(billboard: catalog.Billboard) -> dict:
    return {
        "id": billboard.id,
        "title": billboard.title,
        "text": billboard.text,
        "image": _image(billboard.image, billboard.image_alt or billboard.title)
        if billboard.image else None,
        "link_url": billboard.link_url,
        "link_label": billboard.link_label,
        "position": billboard.position,
        "category": billboard.category_slug,
        "featured": billboard.featured,
    }
