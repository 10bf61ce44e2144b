"""Storefront routes: parse the request, ask the catalog, render."""

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from shophub.accounts import wishlist
from shophub.catalog import cache as catalog_cache
from shophub.catalog import options
from shophub.catalog import queries as catalog
from shophub.catalog.filters import SORTS, parse_catalog_filters
from shophub.catalog.picker import build_picker, choose_variant, option_slugs_of
from shophub.core.paging import page_number
from shophub.platform import store_settings
from shophub.recovery.service import back_in_stock_offered
from shophub.reviews.service import product_reviews
from shophub.web.htmx import render_page_or_block, wants_fragment

bp = Blueprint("shop", __name__)


@bp.get("/")
def home():
    """Home page: featured billboards, featured products, categories."""
    featured = catalog_cache.featured()
    return render_page_or_block(
        "shop/home.html",
        "content",
        billboards=catalog_cache.billboards(featured=True),
        featured=featured,
        saved_ids=wishlist.saved_product_ids(current_user, [card.id for card in featured]),
        facets=catalog_cache.facets(),
    )


@bp.get("/products")
def product_list():
    """The catalog with search, filters, sort and pagination; HTMX gets the results only."""
    config = current_app.config
    filters = parse_catalog_filters(
        request.args,
        store_settings.currency(),
        config["CATALOG_PAGE_SIZES"],
        config["CATALOG_DEFAULT_PAGE_SIZE"],
        options.option_slugs(),
    )
    facets = catalog_cache.facets(filters.category)
    category_name = facets.category_name(filters.category)
    if filters.category and category_name is None:
        abort(404, description="There is no such category.")
    results = catalog_cache.search(filters)
    notices = list(filters.notices)
    if results.page != filters.page:
        notices.append(f"There are only {results.pages} pages; showing the last one.")
    response = render_page_or_block(
        "shop/catalog.html",
        ("results", "option_filters"),
        filters=filters,
        facets=facets,
        option_groups=facets.option_groups(filters, options.store_options()),
        category_name=category_name,
        billboards=catalog_cache.billboards(filters.category) if filters.category else [],
        results=results,
        saved_ids=wishlist.saved_product_ids(current_user, [card.id for card in results.cards]),
        notices=notices,
        sorts=SORTS,
        page_sizes=config["CATALOG_PAGE_SIZES"],
        listing_cache=catalog_cache.fragment(filters),
    )
    if wants_fragment():
        # Push the tidy URL (no empty fields, corrected values) rather than the raw form query.
        query = filters.query_string(page=results.page)
        response.headers["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
    return response


@bp.get("/products/<slug>")
def product_detail(slug: str):
    """Product page; the variant picker swaps the buy box in place."""
    product = catalog.get_listed_product(slug)
    if product is None or not product.variants:
        abort(404, description="We could not find that product.")
    chosen = choose_variant(
        product.variants,
        variant_id=request.args.get("variant"),
        chosen={slug: request.args.get(slug) for slug in option_slugs_of(product.variants)},
        changed=request.headers.get("HX-Trigger-Name"),
    )
    # The reviews' pager swaps the reviews; every other swap is the picker's.
    block = "reviews" if request.headers.get("HX-Target") == "reviews" else "buy_box"
    response = render_page_or_block(
        "shop/product.html",
        block,
        product=product,
        picker=build_picker(product.variants, chosen),
        saved_ids=wishlist.saved_product_ids(current_user, [product.id]),
        reviews=product_reviews(product.id, page_number(request.args.get("reviews_page"))),
        notify_me=back_in_stock_offered,  # asked only when the variant is sold out
    )
    response.vary.add("HX-Target")
    return response
