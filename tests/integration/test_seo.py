"""Being found: the sitemap, robots.txt, canonical links, JSON-LD, titles and descriptions that
staff edit, the store's icon, and one h1 on every storefront page."""

import json
import re
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from PIL import Image
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import AuditEntry, Category, Product, Store, StoreSettings, Variant
from shophub.platform import tenancy
from shophub.seo import meta
from shophub.seo.structured_data import decimal_price, product_data
from tests.catalog_data import product_specs
from tests.checkout_data import make_method, place_from_cart
from tests.shop_data import log_in, make_user, make_variant

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
CORNER_HOST = "corner.example.com"
CORNER = {"Host": CORNER_HOST}


def _json_ld(html: str) -> list[dict]:
    return [json.loads(text) for text in
            re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def _of_type(html: str, kind: str) -> dict:
    (found,) = [data for data in _json_ld(html) if data["@type"] == kind]
    return found


def _canonicals(html: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]*)">', html)


def _head(html: str, pattern: str) -> str:
    return re.search(pattern, html).group(1)


@pytest.fixture
def corner(app):
    """A second store answering to corner.example.com, with one product of its own."""
    result = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "corner", "--name", "Corner Shop", "--domain", CORNER_HOST,
        "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        with tenancy.use_store(store_id):
            make_variant("Corner Teapot", price=2500, slug="corner-teapot")
    return store_id


def _admin(app, client, role: str = "admin"):
    with app.app_context():
        make_user(f"{role}@example.com", role=role)
    assert log_in(client, f"{role}@example.com").status_code in (302, 303)
    return client


def _png(size=(600, 400), colour=(200, 40, 40)) -> bytes:
    encoded = BytesIO()
    Image.new("RGB", size, colour).save(encoded, "PNG")
    return encoded.getvalue()


# --- sitemap.xml and robots.txt ---------------------------------------------------------------


def test_sitemap_lists_every_visible_product_and_category_and_nothing_else(app, catalog,
                                                                          client, corner):
    with app.app_context():
        db.session.add(Product(name="No Variants Yet", slug="no-variants-yet"))
        db.session.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "public" in response.headers["Cache-Control"]
    root = ElementTree.fromstring(response.data)
    entries = {url.find(f"{SITEMAP}loc").text: url.find(f"{SITEMAP}lastmod")
               for url in root.findall(f"{SITEMAP}url")}
    products = {loc.removeprefix("http://localhost/products/") for loc in entries
                if loc.startswith("http://localhost/products/")}
    assert products == {spec["slug"] for spec in product_specs() if not spec["archived"]}
    assert "archived-hoodie" not in products and "no-variants-yet" not in products
    assert "corner-teapot" not in products
    for slug in ("tops", "shoes", "home"):
        assert f"http://localhost/products?category={slug}" in entries
    assert "http://localhost/" in entries
    assert all(loc.startswith("http://localhost/") for loc in entries)
    for lastmod in entries.values():
        assert lastmod is not None and W3C_DATETIME.match(lastmod.text), lastmod
    shirt = entries["http://localhost/products/linen-shirt"].text
    assert shirt == "2026-01-01T00:00:00+00:00"


def test_each_store_has_its_own_sitemap_on_its_own_host(app, catalog, client, corner):
    root = ElementTree.fromstring(client.get("/sitemap.xml", headers=CORNER).data)
    locations = [url.find(f"{SITEMAP}loc").text for url in root.findall(f"{SITEMAP}url")]
    assert locations == [f"http://{CORNER_HOST}/", f"http://{CORNER_HOST}/products/corner-teapot"]


def test_an_archived_product_leaves_the_sitemap(app, catalog, client):
    with app.app_context():
        db.session.scalar(select(Product).where(Product.slug == "linen-shirt")).archived = True
        db.session.commit()
    assert b"/products/linen-shirt<" not in client.get("/sitemap.xml").data


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    for path in ("/admin", "/account", "/cart", "/checkout", "/orders", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Allow: /" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Sitemap: http://corner.example.com/sitemap.xml" in client.get(
        "/robots.txt", headers=CORNER).get_data(as_text=True)


# --- canonical links --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "canonical"), [
    ("/", "http://localhost/"),
    ("/?utm_source=mail", "http://localhost/"),
    ("/products/linen-shirt?variant=2&size=M", "http://localhost/products/linen-shirt"),
    ("/products", "http://localhost/products"),
    ("/products?page=1", "http://localhost/products"),
    ("/products?page=2", "http://localhost/products?page=2"),
    ("/products?category=tops", "http://localhost/products?category=tops"),
    ("/products?category=tops&sort=price_asc&per_page=48&min_price=5&in_stock=1&size=M",
     "http://localhost/products?category=tops"),
    # A sorted or filtered view's page 2 is not the listing's page 2.
    ("/products?sort=name&page=2", "http://localhost/products"),
    ("/products?q=shirt&sort=name", "http://localhost/products?q=shirt"),
    ("/cart?from=header", "http://localhost/cart"),
    ("/account/login?next=/account", "http://localhost/account/login"),
])
def test_each_page_has_one_canonical_link_without_sort_or_filters(catalog, client, path,
                                                                  canonical):
    html = client.get(path).get_data(as_text=True)
    assert _canonicals(html) == [canonical]


def test_search_results_ask_not_to_be_indexed_and_listings_do_not(catalog, client):
    search = client.get("/products?q=shirt").get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in search
    for path in ("/products", "/products?category=tops&sort=name", "/products/linen-shirt", "/"):
        assert 'name="robots"' not in client.get(path).get_data(as_text=True)


def test_canonical_links_are_on_the_host_of_the_store(catalog, client, corner):
    html = client.get("/products/corner-teapot", headers=CORNER).get_data(as_text=True)
    assert _canonicals(html) == [f"http://{CORNER_HOST}/products/corner-teapot"]


def test_every_storefront_page_has_one_h1_and_one_canonical_link(app, catalog, client):
    with app.app_context():
        method_id = make_method()
        variant_id = db.session.scalar(select(Variant.id).where(Variant.sku == "LINEN-SHIRT-1"))
        token = place_from_cart([(variant_id, 1)], method_id).token
    shopper = app.test_client()
    assert shopper.post("/cart/items", data={"variant_id": variant_id, "quantity": "1"}
                        ).status_code in (200, 303)
    pages = {"/": client, "/products": client, "/products?category=tops": client,
             "/products/linen-shirt": client, "/cart": shopper, "/checkout": shopper,
             "/account/login": client, f"/orders/{token}": client}
    for path, visitor in pages.items():
        response = visitor.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert len(re.findall(r"<h1[\s>]", html)) == 1, path
        assert len(_canonicals(html)) == 1, path


def test_catalog_headings_skip_no_level(catalog, client):
    for path in ("/", "/products", "/products?category=tops"):
        html = client.get(path).get_data(as_text=True)
        levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
        assert levels[0] == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)


def test_the_filter_panel_is_closed_in_the_page_itself(catalog, client):
    html = client.get("/products").get_data(as_text=True)
    assert re.search(r'<details class="filters-panel">', html)


# --- JSON-LD ----------------------------------------------------------------------------------


def test_product_json_ld_parses_and_its_price_is_the_price_on_the_page(catalog, client):
    html = client.get("/products/linen-shirt").get_data(as_text=True)
    product = _of_type(html, "Product")
    shown_price = _head(html, r'id="price">\$([\d.,]+)<')
    shown_sku = _head(html, r'<p class="sku">SKU ([^<]+)</p>')
    (offer,) = [offer for offer in product["offers"] if offer["sku"] == shown_sku]
    assert offer["price"] == shown_price == "10.00"
    assert offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert [o["availability"].rsplit("/", 1)[1] for o in product["offers"]] == [
        "OutOfStock", "InStock", "OutOfStock"]
    assert [o["price"] for o in product["offers"]] == ["10.00", "10.00", "13.00"]
    assert product["name"] == "Linen Shirt"
    assert product["image"] == ["http://localhost/media/products/linen-shirt-1-800.webp"]
    assert product["brand"]["name"] and product["url"] == "http://localhost/products/linen-shirt"
    assert "aggregateRating" not in product
    picked = client.get("/products/linen-shirt?size=L&colour=Red").get_data(as_text=True)
    assert _head(picked, r'id="price">\$([\d.,]+)<') == "13.00"


def test_prices_in_json_ld_follow_the_currency_exponent(catalog, client, corner):
    html = client.get("/products/corner-teapot", headers=CORNER).get_data(as_text=True)
    (offer,) = _of_type(html, "Product")["offers"]
    assert (offer["price"], offer["priceCurrency"]) == ("25.00", "EUR")
    assert decimal_price(500, "JPY") == "500"
    assert decimal_price(1234, "KWD") == "1.234"
    assert decimal_price(5, "USD") == "0.05"


def test_json_ld_text_cannot_close_its_script(app, client):
    name = "Tea </script><script>alert(1)</script> & <b>cups</b>"
    with app.app_context():
        variant_id = make_variant(name, slug="tricky")
        db.session.get(Variant, variant_id).product.description = "</SCRIPT> too."
        db.session.commit()
    html = client.get("/products/tricky").get_data(as_text=True)
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert scripts and all("<" not in text for text in scripts)
    assert _of_type(html, "Product")["name"] == name
    assert "<script>alert(1)" not in html


def test_aggregate_rating_is_given_only_when_there_are_ratings(app, catalog):
    with app.test_request_context("/"):
        product = db.session.scalar(select(Product).where(Product.slug == "linen-shirt"))
        rated = product_data(product, "USD", "Shop", SimpleNamespace(average=Decimal("4.50"),
                                                                      count=2))
        unrated = product_data(product, "USD", "Shop", SimpleNamespace(average=None, count=0))
    assert rated["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": "4.5",
                                        "reviewCount": 2, "bestRating": 5, "worstRating": 1}
    assert "aggregateRating" not in unrated


def test_breadcrumbs_and_organization_json_ld(catalog, client):
    product = _of_type(client.get("/products/linen-shirt").get_data(as_text=True),
                       "BreadcrumbList")
    assert [(step["position"], step["name"], step["item"]) for step in
            product["itemListElement"]] == [
        (1, "Home", "http://localhost/"), (2, "Tops", "http://localhost/products?category=tops"),
        (3, "Linen Shirt", "http://localhost/products/linen-shirt")]
    category = _of_type(client.get("/products?category=shoes").get_data(as_text=True),
                        "BreadcrumbList")
    assert [step["name"] for step in category["itemListElement"]] == ["Home", "Shoes"]
    home = client.get("/").get_data(as_text=True)
    organization = _of_type(home, "Organization")
    assert organization["url"] == "http://localhost/"
    assert organization["logo"].startswith("http://localhost/static/favicon")
    assert organization["name"] in _head(home, r"<h1[^>]*>([^<]+)</h1>")


# --- titles and descriptions ------------------------------------------------------------------


def test_titles_and_descriptions_default_to_name_and_first_sentence(catalog, client):
    html = client.get("/products/linen-shirt").get_data(as_text=True)
    store = _head(client.get("/").get_data(as_text=True), r"<title>([^<]+)</title>")
    assert _head(html, r"<title>([^<]+)</title>") == f"Linen Shirt · {store}"
    assert _head(html, r'<meta name="description" content="([^"]*)">') == (
        "A linen shirt made to last.")
    category = client.get("/products?category=tops").get_data(as_text=True)
    assert _head(category, r"<title>([^<]+)</title>") == f"Tops · {store}"
    assert meta.first_sentence("One. Two.") == "One."
    assert meta.first_sentence("word " * 60).endswith("…")
    assert len(meta.first_sentence("word " * 60)) <= meta.DESCRIPTION_MAX


def _product_form(product_id: int, **changes) -> dict:
    product = db.session.get(Product, product_id)
    form = {"name": product.name, "slug": product.slug, "description": product.description,
            "category_id": ""}
    for number, variant in enumerate(product.variants):
        form.update({f"variants-{number}-id": variant.id, f"variants-{number}-sku": variant.sku,
                     f"variants-{number}-price": "12.50",
                     f"variants-{number}-stock": variant.stock,
                     f"variants-{number}-stock_shown": variant.stock})
    form.update(changes)
    return form


def test_staff_set_a_product_title_and_description_shown_in_the_head(app, client):
    with app.app_context():
        product_id = db.session.get(Variant, make_variant("Teapot", slug="teapot")).product_id
        form = _product_form(product_id, meta_title="The best teapot in town",
                             meta_description="Brews four cups & keeps them warm.")
    admin = _admin(app, client)
    response = admin.post(f"/admin/products/{product_id}", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    html = client.get("/products/teapot").get_data(as_text=True)
    assert "<title>The best teapot in town</title>" in html
    assert '<meta name="description" content="Brews four cups &amp; keeps them warm.">' in html
    edit = admin.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert 'value="The best teapot in town"' in edit


def test_a_too_long_product_title_is_refused_and_nothing_is_saved(app, client):
    with app.app_context():
        product_id = db.session.get(Variant, make_variant("Teapot", slug="teapot")).product_id
        form = _product_form(product_id, name="Renamed", meta_title="x" * 71)
    response = _admin(app, client).post(f"/admin/products/{product_id}", data=form)
    assert response.status_code == 422
    assert "The search title can be at most 70 characters." in response.get_data(as_text=True)
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.name, product.meta_title) == ("Teapot", None)


def test_staff_set_a_category_title_and_description(app, catalog, client):
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "tops"))
    admin = _admin(app, client)
    too_long = admin.post(f"/admin/categories/{category_id}", data={
        "name": "Tops", "slug": "tops", "position": "1", "description": "",
        "meta_title": "", "meta_description": "y" * 161})
    assert too_long.status_code == 422
    assert "at most 160 characters" in too_long.get_data(as_text=True)
    saved = admin.post(f"/admin/categories/{category_id}", data={
        "name": "Tops", "slug": "tops", "position": "1", "description": "",
        "meta_title": "Shirts and tops", "meta_description": "Linen, cotton and wool."})
    assert saved.status_code in (302, 303)
    html = client.get("/products?category=tops").get_data(as_text=True)
    assert "<title>Shirts and tops</title>" in html
    assert '<meta name="description" content="Linen, cotton and wool.">' in html


# --- the store's icon -------------------------------------------------------------------------


def test_favicon_is_the_default_until_staff_set_one(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert re.search(r"/static/favicon(\.\w+)?\.svg$", response.headers["Location"])
    assert client.get("/apple-touch-icon.png").status_code == 404


def test_an_admin_sets_the_icon_and_every_size_is_served(app, client, corner):
    admin = _admin(app, client)
    response = admin.post("/admin/settings/favicon",
                          data={"favicon": (BytesIO(_png()), "logo.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/png"
    assert Image.open(BytesIO(icon.data)).size == (32, 32)
    touch = client.get("/apple-touch-icon.png")
    assert Image.open(BytesIO(touch.data)).size == (180, 180)
    html = client.get("/").get_data(as_text=True)
    touch_link = re.search(r'<link rel="apple-touch-icon" href="([^"]+-180\.png)"', html).group(1)
    large = re.search(r'<link rel="icon" href="([^"]+-512\.png)"', html).group(1)
    assert Image.open(BytesIO(client.get(large).data)).size == (512, 512)
    assert Image.open(BytesIO(client.get(touch_link).data)).size == (180, 180)
    assert _of_type(html, "Organization")["logo"] == f"http://localhost{large}"
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "settings.favicon_changed")) == 1
    # The other store keeps the default icon.
    assert client.get("/favicon.ico", headers=CORNER).status_code == 302
    removed = admin.post("/admin/settings/favicon/remove")
    assert removed.status_code == 303
    assert client.get("/favicon.ico").status_code == 302


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script></svg>')


@pytest.mark.parametrize(("data", "name"), [(SVG, "logo.svg"), (b"", "empty.png"),
                                            (b"not a picture", "logo.png")])
def test_an_icon_that_is_not_a_picture_is_refused_with_a_reason(app, client, data, name):
    response = _admin(app, client).post("/admin/settings/favicon",
                                        data={"favicon": (BytesIO(data), name)},
                                        content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="favicon-error"' in html
    with app.app_context():
        assert db.session.scalar(select(StoreSettings.favicon)) is None
    assert client.get("/favicon.ico").status_code == 302


def test_staff_below_admin_cannot_change_the_icon(app, client):
    response = _admin(app, client, role="staff").post(
        "/admin/settings/favicon", data={"favicon": (BytesIO(_png()), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get("/favicon.ico").status_code == 302


def test_aggregate_rating_matches_the_published_reviews_on_the_page(app, catalog, client):
    from shophub.models import Review

    with app.app_context():
        method_id = make_method()
        variant_id = db.session.scalar(select(Variant.id).where(Variant.sku == "LINEN-SHIRT-1"))
        product_id = db.session.get(Variant, variant_id).product_id
        for rating, status in ((5, "published"), (4, "published"), (1, "hidden")):
            order = place_from_cart([(variant_id, 1)], method_id)
            db.session.add(Review(order_item_id=order.items[0].id, order_id=order.id,
                                  product_id=product_id, rating=rating, title="Fine",
                                  author_name="Ann", status=status))
        db.session.commit()
    html = client.get("/products/linen-shirt").get_data(as_text=True)
    rating = _of_type(html, "Product")["aggregateRating"]
    assert (rating["ratingValue"], rating["reviewCount"]) == ("4.5", 2)
