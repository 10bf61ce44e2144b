"""Schema.org JSON-LD for product, category and home pages, written so it can never end the
script element it sits in."""

import json
from typing import Any, Protocol
from urllib.parse import urljoin

from flask import request, url_for
from markupsafe import Markup

from shophub.core.money import exponent
from shophub.platform.storage import image_url

SCHEMA = "https://schema.org"
IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"
# The largest stored width of a picture, for the images search engines show.
SHARED_IMAGE_WIDTH = 800


class Rating(Protocol):
    """What a rating summary offers: the average of the published ratings and their count."""

    average: Any
    count: int


def decimal_price(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal string (1250 USD -> "12.50", 500 JPY -> "500")."""
    digits = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    if digits == 0:
        return f"{sign}{abs(amount_minor)}"
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}"


def absolute(url: str) -> str:
    """`url` made absolute on the host the request was made to (absolute URLs stay)."""
    return urljoin(request.url_root, url)


def script(data: dict) -> Markup:
    """A JSON-LD script element; `<`, `>` and `&` are escaped so no text can close it."""
    text = (json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    return Markup(f'<script type="application/ld+json">{text}</script>')


def _rating_value(average: Any) -> str:
    return f"{float(average):.2f}".rstrip("0").rstrip(".")


def product_data(product, currency: str, store_name: str, rating: Rating | None = None) -> dict:
    """The Product object: one Offer per variant, and aggregateRating when there are ratings."""
    product_url = url_for("shop.product_detail", slug=product.slug, _external=True)
    data: dict[str, Any] = {
        "@context": SCHEMA, "@type": "Product", "name": product.name, "url": product_url,
        "description": " ".join((product.description or "").split()),
        "brand": {"@type": "Brand", "name": store_name},
    }
    images = [absolute(image_url(image.file, SHARED_IMAGE_WIDTH)) for image in product.images]
    if images:
        data["image"] = images
    if product.variants:
        data["sku"] = product.variants[0].sku
    if product.category is not None:
        data["category"] = product.category.name
    data["offers"] = [{
        "@type": "Offer", "sku": variant.sku,
        "name": variant.option_label or product.name,
        "price": decimal_price(variant.price_cents, currency), "priceCurrency": currency,
        "availability": IN_STOCK if variant.in_stock else OUT_OF_STOCK,
        "url": url_for("shop.product_detail", slug=product.slug, variant=variant.id,
                       _external=True),
        "seller": {"@type": "Organization", "name": store_name},
    } for variant in product.variants]
    if rating is not None and rating.count:
        data["aggregateRating"] = {"@type": "AggregateRating",
                                   "ratingValue": _rating_value(rating.average),
                                   "reviewCount": rating.count, "bestRating": 5,
                                   "worstRating": 1}
    return data


def product_json_ld(product, currency: str, rating: Rating | None = None,
                    store_name: str = "") -> Markup:
    """The product page's Product JSON-LD script."""
    return script(product_data(product, currency, store_name, rating))


def breadcrumb_data(trail: list[tuple[str, str]]) -> dict:
    """A BreadcrumbList of (name, absolute URL) steps, the first one first."""
    return {"@context": SCHEMA, "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": number, "name": name, "item": url}
        for number, (name, url) in enumerate(trail, start=1)]}


def breadcrumbs_json_ld(category=None, product=None) -> Markup:
    """Home › Category › Product (as far as given) as a BreadcrumbList script."""
    trail = [("Home", url_for("shop.home", _external=True))]
    if category is not None:
        trail.append((category.name, url_for("shop.product_list", category=category.slug,
                                             _external=True)))
    if product is not None:
        trail.append((product.name, url_for("shop.product_detail", slug=product.slug,
                                            _external=True)))
    return script(breadcrumb_data(trail))


def organization_json_ld(store_name: str, logo_url: str) -> Markup:
    """The store as an Organization (name, home page, logo) for the home page."""
    return script({"@context": SCHEMA, "@type": "Organization", "name": store_name,
                   "url": url_for("shop.home", _external=True), "logo": absolute(logo_url)})
