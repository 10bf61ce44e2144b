"""The store's sitemap: its home page, every category and every listed product, with lastmod."""

from datetime import UTC, datetime
from xml.etree import ElementTree

from flask import url_for
from sqlalchemy import exists, func, select

from shophub.extensions import db
from shophub.models import Category, Product, Variant

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The protocol's limit for one file; a store beyond it needs a sitemap index (not yet).
MAX_URLS = 50_000


def w3c_datetime(moment: datetime) -> str:
    """A moment as a W3C datetime in UTC, to the second (2026-12-06T12:00:00+00:00)."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _listed():
    # Listed as the storefront lists: not archived, with at least one variant to buy.
    return (Product.archived.is_(False)) & exists().where(Variant.product_id == Product.id)


def entries() -> list[tuple[str, datetime | None]]:
    """(absolute URL, last change) of every page the sitemap lists, home first."""
    products = db.session.execute(
        select(Product.slug, Product.updated_at).where(_listed())
        .order_by(Product.id).limit(MAX_URLS)).all()
    newest_by_category = dict(db.session.execute(
        select(Product.category_id, func.max(Product.updated_at))
        .where(_listed(), Product.category_id.is_not(None)).group_by(Product.category_id)).all())
    categories = db.session.execute(
        select(Category.id, Category.slug).order_by(Category.position, Category.id)).all()
    newest = max((updated for _slug, updated in products if updated), default=None)
    found: list[tuple[str, datetime | None]] = [(url_for("shop.home", _external=True), newest)]
    found += [(url_for("shop.product_list", category=slug, _external=True),
               newest_by_category.get(category_id)) for category_id, slug in categories]
    found += [(url_for("shop.product_detail", slug=slug, _external=True), updated)
              for slug, updated in products]
    return found[:MAX_URLS]


def sitemap_xml() -> bytes:
    """The sitemap document, UTF-8 XML with the sitemap protocol's namespace."""
    root = ElementTree.Element("urlset", xmlns=NAMESPACE)
    for location, changed in entries():
        url = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(url, "loc").text = location
        if changed is not None:
            ElementTree.SubElement(url, "lastmod").text = w3c_datetime(changed)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
