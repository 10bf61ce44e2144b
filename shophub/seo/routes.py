"""GET /sitemap.xml, /robots.txt, /favicon.ico and /apple-touch-icon.png of the request's
store, and the helpers the page layout calls for its head."""

from flask import Blueprint, Response, g, redirect, request, url_for
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Category
from shophub.platform.storage import StorageError, media_storage
from shophub.seo import canonical, favicon, meta, sitemap, structured_data

bp = Blueprint("seo", __name__)

# Search engines fetch these often; an hour keeps them fresh enough and cheap.
CACHE_CONTROL = "public, max-age=3600"
# Where crawlers have nothing to find: private pages, machine endpoints, the JSON API (the
# same catalog as the pages, which are what should be indexed).
DISALLOWED = ("/admin", "/account", "/cart", "/checkout", "/orders", "/invite", "/api/",
              "/webhooks/", "/healthz", "/readyz", "/metrics")


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sitemap.xml")
def sitemap_xml():
    """The store's sitemap: home, categories and listed products, each with lastmod."""
    return _cached(Response(sitemap.sitemap_xml(), content_type="application/xml"))


@bp.get("/robots.txt")
def robots_txt():
    """What crawlers may fetch, and where the sitemap is."""
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {url_for('seo.sitemap_xml', _external=True)}", ""]
    return _cached(Response("\n".join(lines), content_type="text/plain; charset=utf-8"))


def _icon(size: int):
    file = favicon.current_file()
    if not file:
        return None
    try:
        stored = media_storage().get(favicon.icon_key(file, size))
    except StorageError:
        stored = None
    if stored is None:
        return None
    response = Response(stored.chunks, content_type=favicon.CONTENT_TYPE)
    response.call_on_close(stored.close)
    return _cached(response)


@bp.get("/favicon.ico")
def favicon_ico():
    """The store's icon (a PNG, which every browser takes here), else the default one."""
    return _icon(favicon.TAB_SIZE) or redirect(
        url_for("static", filename=favicon.DEFAULT_ICON), code=302)


@bp.get("/apple-touch-icon.png")
def apple_touch_icon():
    """The home-screen icon that phones ask for by name (404 until the store has an icon)."""
    response = _icon(favicon.TOUCH_SIZE)
    if response is None:
        return Response("This store has no icon of its own.", 404, mimetype="text/plain")
    return response


# --- What the layout and pages call -----------------------------------------------------------


def category_of(slug: str | None) -> Category | None:
    """The catalog's category by slug, read once per request (None without a slug)."""
    if not slug:
        return None
    memo = g.setdefault("seo_categories", {})
    if slug not in memo:
        memo[slug] = db.session.scalar(select(Category).where(Category.slug == slug))
    return memo[slug]


def icon_links() -> list[dict[str, str]]:
    """The <link> attributes of the store's icon, or of the default one."""
    file = favicon.current_file()
    if not file:
        return [{"rel": "icon", "href": url_for("static", filename=favicon.DEFAULT_ICON),
                 "type": "image/svg+xml"}]
    return [
        {"rel": "icon", "href": favicon.icon_url(file, favicon.TAB_SIZE), "type": "image/png",
         "sizes": f"{favicon.TAB_SIZE}x{favicon.TAB_SIZE}"},
        {"rel": "icon", "href": favicon.icon_url(file, favicon.LARGE_SIZE), "type": "image/png",
         "sizes": f"{favicon.LARGE_SIZE}x{favicon.LARGE_SIZE}"},
        {"rel": "apple-touch-icon", "href": favicon.icon_url(file, favicon.TOUCH_SIZE),
         "sizes": f"{favicon.TOUCH_SIZE}x{favicon.TOUCH_SIZE}"},
    ]


def logo_url() -> str:
    """The store's largest icon, or the default one, for its Organization data."""
    file = favicon.current_file()
    if file:
        return favicon.icon_url(file, favicon.LARGE_SIZE)
    return url_for("static", filename=favicon.DEFAULT_ICON)


@bp.record_once
def _register_helpers(state) -> None:
    state.app.jinja_env.globals.update(
        canonical_url=canonical.canonical_url, robots_directive=canonical.robots_directive,
        seo_category=category_of, seo_icon_links=icon_links, seo_logo_url=logo_url,
        store_icon_file=favicon.current_file,
        product_title=meta.product_title, product_description=meta.product_description,
        category_title=meta.category_title, category_description=meta.category_description,
        product_json_ld=structured_data.product_json_ld,
        breadcrumbs_json_ld=structured_data.breadcrumbs_json_ld,
        organization_json_ld=structured_data.organization_json_ld,
    )
