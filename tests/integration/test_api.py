"""The catalog API: JSON shapes, the catalog's filters, refusals with reasons, caching, CORS and
stores that each see only their own catalog."""

from collections import Counter

import pytest
from sqlalchemy import select, update

from shophub.extensions import db
from shophub.models import (
    Banner,
    Category,
    Product,
    ProductImage,
    Store,
    Variant,
    VariantOption,
)
from shophub.platform import tenancy
from tests.catalog_data import add_material_products, expected_slugs, give_options, product_specs

CORNER = {"HTTP_HOST": "corner.localhost"}
PRODUCT_KEYS = {"id", "slug", "name", "description", "category", "price_min", "price_max",
                "currency", "in_stock", "images", "url"}
VARIANT_KEYS = {"id", "sku", "options", "price", "in_stock", "available", "low_stock"}


@pytest.fixture
def app(sqlite_app):
    """These tests do not depend on the database: SQLite only."""
    return sqlite_app


def _get(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.headers["Content-Type"] == "application/json", path
    return response


def _all_slugs(client, query: str = "") -> list[str]:
    """Every product of the listing, page after page by the `next` links."""
    slugs, url = [], f"/api/v1/products{query}"
    while url:
        body = _get(client, url).get_json()
        slugs += [item["slug"] for item in body["data"]]
        url = body["links"]["next"]
    return slugs


def test_the_products_list_has_its_documented_shape(catalog, client):
    response = _get(client, "/api/v1/products")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"data", "page", "per_page", "total", "pages", "links"}
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 24, 29, 2)
    assert body["links"] == {"self": "http://localhost/api/v1/products",
                             "next": "http://localhost/api/v1/products?page=2", "prev": None}
    assert [item["slug"] for item in body["data"]] == expected_slugs()[:24]
    assert all(set(item) == PRODUCT_KEYS for item in body["data"])
    (shirt,) = _get(client, "/api/v1/products?q=linen+shirt").get_json()["data"]
    assert shirt == {
        "id": shirt["id"], "slug": "linen-shirt", "name": "Linen Shirt",
        "description": "A linen shirt made to last. Washable.",
        "category": {"slug": "tops", "name": "Tops"},
        "price_min": 1000, "price_max": 1300, "currency": "USD", "in_stock": True,
        "images": [{"alt": "Linen Shirt photo", "sources": [
            {"width": 400, "url": "http://localhost/media/products/linen-shirt-1-400.webp"},
            {"width": 800, "url": "http://localhost/media/products/linen-shirt-1-800.webp"},
        ]}],
        "url": "http://localhost/products/linen-shirt",
    }


def test_next_and_prev_links_walk_every_listed_product_once(catalog, client):
    assert _all_slugs(client, "?per_page=12&sort=name") == expected_slugs(sort="name")
    last = _get(client, "/api/v1/products?per_page=12&sort=name&page=3").get_json()
    assert last["links"]["next"] is None
    assert last["links"]["prev"] == "http://localhost/api/v1/products?sort=name&per_page=12&page=2"
    second = _get(client, last["links"]["prev"]).get_json()
    assert second["links"]["prev"] == "http://localhost/api/v1/products?sort=name&per_page=12"


def test_a_page_past_the_end_answers_with_the_last_page(catalog, client):
    body = _get(client, "/api/v1/products?page=50").get_json()
    assert (body["page"], body["pages"], len(body["data"])) == (2, 2, 5)


@pytest.mark.parametrize(("query", "expected"), [
    ("?q=linen", {"q": "linen"}),
    ("?q=LINEN+shirt", {"q": "linen shirt"}),
    ("?category=shoes&sort=price_asc", {"category": "shoes", "sort": "price_asc"}),
    ("?min_price=20&max_price=45.50", {"min_price": 2000, "max_price": 4550}),
    ("?in_stock=1&sort=price_desc", {"in_stock": True, "sort": "price_desc"}),
    ("?size=M&colour=Blue", {"sizes": ("M",), "colours": ("Blue",)}),
    ("?q=100%25", {"q": "100%"}),
])
def test_filters_and_sorts_list_what_the_catalog_page_lists(catalog, client, query, expected):
    assert _all_slugs(client, query) == expected_slugs(**expected)


def test_price_and_stock_of_a_card_count_only_the_matching_variants(catalog, client):
    (shirt,) = [item for item in _get(client, "/api/v1/products?q=linen+shirt&size=L")
                .get_json()["data"]]
    assert (shirt["price_min"], shirt["price_max"], shirt["in_stock"]) == (1300, 1300, False)


@pytest.mark.parametrize(("query", "reason"), [
    ("page=²", "page must be a whole number from 1 to 10000"),
    ("page=0", "page must be a whole number"),
    ("page=١٢", "page must be a whole number"),
    ("page=" + "9" * 40, "page must be a whole number"),
    ("page=2147483648", "page must be a whole number"),
    ("per_page=-1", "per_page must be one of 12, 24, 48"),
    ("per_page=1000000", "per_page must be one of 12, 24, 48"),
    ("min_price=" + "9" * 40, "min_price: The amount is too large."),
    ("max_price=1e400", "max_price: The amount is too large."),
    ("min_price=-5", "min_price: The amount cannot be negative."),
    ("max_price=NaN", "max_price: “NaN” is not an amount."),
    ("min_price=50&max_price=10", "min_price is above max_price"),
    ("sort=bogus", "sort must be one of newest, price_asc, price_desc, name"),
    ("page=%00", "Parameters must not contain NUL."),
    ("page=1%002", "Parameters must not contain NUL."),
    ("q=a%00b", "Parameters must not contain NUL."),
    ("page=0&sort=x", "sort must be one of"),
])
def test_a_bad_parameter_is_refused_with_a_400_and_its_reason(catalog, client, query, reason):
    response = _get(client, f"/api/v1/products?{query}")
    assert response.status_code == 400
    assert set(response.get_json()) == {"error"}
    assert reason in response.get_json()["error"]
    assert "Cache-Control" not in response.headers


def test_an_unknown_category_is_404(catalog, client):
    response = _get(client, "/api/v1/products?category=garden")
    assert response.status_code == 404
    assert response.get_json() == {"error": "There is no such category."}


def test_a_product_has_its_variants_and_pictures(catalog, client):
    body = _get(client, "/api/v1/products/linen-shirt").get_json()
    product = body["data"]
    assert set(product) == PRODUCT_KEYS | {"variants"}
    assert (product["price_min"], product["price_max"], product["in_stock"]) == (1000, 1300, True)
    assert product["images"][0]["sources"][1]["url"] == (
        "http://localhost/media/products/linen-shirt-1-800.webp")
    assert [{key: v[key] for key in ("sku", "options", "price", "in_stock", "available",
                                     "low_stock")} for v in product["variants"]] == [
        {"sku": "LINEN-SHIRT-0", "options": {"size": "S", "colour": "Red"}, "price": 1000,
         "in_stock": False, "available": 0, "low_stock": False},
        {"sku": "LINEN-SHIRT-1", "options": {"size": "M", "colour": "Blue"}, "price": 1000,
         "in_stock": True, "available": 4, "low_stock": True},
        {"sku": "LINEN-SHIRT-2", "options": {"size": "L", "colour": "Red"}, "price": 1300,
         "in_stock": False, "available": 0, "low_stock": False},
    ]
    assert all(set(v) == VARIANT_KEYS for v in product["variants"])


def test_a_variant_with_plenty_in_stock_does_not_tell_how_much(app, catalog, client):
    with app.app_context():
        db.session.execute(update(Variant).values(stock=9999))
        db.session.commit()
    (variant,) = _get(client, "/api/v1/products/ceramic-mug").get_json()["data"]["variants"]
    assert (variant["in_stock"], variant["available"], variant["low_stock"]) == (True, 5, False)
    assert variant["options"] == {}


@pytest.mark.parametrize("slug", ["archived-hoodie", "no-such-thing", "Linen-Shirt", "x" * 300])
def test_an_archived_or_unknown_product_is_a_json_404(catalog, client, slug):
    response = _get(client, f"/api/v1/products/{slug}")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_categories_count_their_listed_products(catalog, client):
    listed = Counter(spec["category"] for spec in product_specs() if not spec["archived"])
    body = _get(client, "/api/v1/categories").get_json()
    assert body["data"] == [
        {"slug": slug, "name": name, "description": f"All {name.lower()}",
         "product_count": listed[slug], "url": f"http://localhost/products?category={slug}"}
        for name, slug in (("Tops", "tops"), ("Shoes", "shoes"), ("Home", "home"))
    ]


def test_billboards_are_the_active_banners(app, catalog, client):
    with app.app_context():
        db.session.add(Banner(title="Autumn", image="banners/autumn-1", image_alt="Leaves",
                              position=2))
        db.session.commit()
    body = _get(client, "/api/v1/billboards").get_json()
    assert [(b["title"], b["position"]) for b in body["data"]] == [("Spring sale", 0),
                                                                   ("Autumn", 2)]
    sale, autumn = body["data"]
    assert {key: sale[key] for key in ("text", "image", "link_url", "link_label")} == {
        "text": "Up to 30% off", "image": None, "link_url": "/products",
        "link_label": "Shop the sale"}
    assert autumn["image"] == {"alt": "Leaves", "sources": [
        {"width": 400, "url": "http://localhost/media/banners/autumn-1-400.webp"},
        {"width": 800, "url": "http://localhost/media/banners/autumn-1-800.webp"}]}


def test_options_are_the_stores_lists_with_every_value_in_order(app, catalog, client):
    assert _get(client, "/api/v1/options").get_json() == {"data": [
        {"name": "Size", "slug": "size", "values": ["S", "M", "L"]},
        {"name": "Colour", "slug": "colour", "values": ["Red", "Blue"]},
    ]}
    with app.app_context():
        add_material_products()
    # Every managed value, Silk too, which no product has.
    assert _get(client, "/api/v1/options").get_json()["data"][2] == {
        "name": "Material", "slug": "material", "values": ["Wool", "Linen", "Cotton", "Silk"]}
    slugs = [item["slug"] for item in
             _get(client, "/api/v1/products?material=Linen&material=Cotton").get_json()["data"]]
    assert slugs == ["plain-tee", "throw-blanket"]
    # A name that is no list of the store filters nothing, as on the page.
    assert _get(client, "/api/v1/products?grind=Filter").get_json()["total"] == len(
        expected_slugs()) + 2


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/products/linen-shirt",
                                  "/api/v1/categories", "/api/v1/billboards", "/api/v1/options"])
def test_answers_are_cacheable_and_a_matching_etag_gets_304(catalog, client, path):
    first = _get(client, path)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag)
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert "Set-Cookie" not in first.headers


def test_a_change_to_the_catalog_changes_the_etag(app, catalog, client):
    etag = client.get("/api/v1/products").headers["ETag"]
    with app.app_context():
        db.session.execute(update(Variant).values(price_cents=Variant.price_cents + 1))
        db.session.commit()
    changed = client.get("/api/v1/products", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_cache_lifetime_is_a_setting(sqlite_database_url, tmp_path):
    from tests.conftest import make_app

    short = make_app(sqlite_database_url, tmp_path, API_CACHE_SECONDS=5)
    assert short.test_client().get("/api/v1/options").headers["Cache-Control"] == (
        "public, max-age=5")


def test_unknown_api_paths_and_methods_get_json_errors(catalog, client):
    for path in ("/api/v1/nothing", "/api/v1/products/linen-shirt/reviews", "/api/v1/",
                 "/api/v2/products", "/api/v1/products/a%00b"):
        response = _get(client, path)
        assert response.status_code == 404, path
        assert set(response.get_json()) == {"error"}
        assert "v2" in path or response.headers["Access-Control-Allow-Origin"] == "*"
    refused = client.post("/api/v1/products")
    assert (refused.status_code, refused.headers["Content-Type"]) == (405, "application/json")
    assert "GET" in refused.headers["Allow"] and "error" in refused.get_json()
    assert client.get("/nothing").headers["Content-Type"].startswith("text/html")


def test_any_origin_may_read_the_api_without_credentials(catalog, client):
    response = client.get("/api/v1/products", headers={"Origin": "https://headless.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/products", headers={
        "Origin": "https://headless.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"
    assert "Access-Control-Allow-Origin" not in client.get("/products").headers


@pytest.fixture
def corner(app):
    """A second store, `corner` (EUR), with a category, two products and a banner."""
    result = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "corner", "--name", "Corner Shop", "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        with tenancy.use_store(store_id):
            kettles = Category(name="Kettles", slug="kettles", description="Boil water")
            for name, colour in (("Copper Kettle", "Copper"), ("Steel Kettle", "Steel")):
                product = Product(name=name, slug=name.lower().replace(" ", "-"),
                                  category=kettles)
                db.session.add(product)
                variant = Variant(sku=name.upper(), price_cents=4500, stock=3)
                product.variants.append(variant)
                give_options(variant, Finish=colour)
            db.session.add(Banner(title="Corner opening"))
            db.session.commit()
    return store_id


@pytest.mark.parametrize("app_config", [{}, {"CATALOG_CACHE_SECONDS": 60}],
                         ids=["uncached", "cached"])
def test_each_store_sees_only_its_own_catalog(catalog, corner, client):
    # Both hosts are asked twice, so that with the listing cache on a leak would show.
    for _ in range(2):
        for host, products, categories, banners, lists in [
            ({}, set(expected_slugs()), ["tops", "shoes", "home"], ["Spring sale"],
             [("size", ["S", "M", "L"]), ("colour", ["Red", "Blue"])]),
            (CORNER, {"copper-kettle", "steel-kettle"}, ["kettles"], ["Corner opening"],
             [("finish", ["Copper", "Steel"])]),
        ]:
            listing = _get(client, "/api/v1/products?per_page=48",
                           environ_overrides=host).get_json()
            assert {item["slug"] for item in listing["data"]} == products
            assert listing["total"] == len(products)
            assert [c["slug"] for c in _get(client, "/api/v1/categories",
                                            environ_overrides=host).get_json()["data"]] == (
                categories)
            assert [b["title"] for b in _get(client, "/api/v1/billboards",
                                             environ_overrides=host).get_json()["data"]] == (
                banners)
            assert [(option["slug"], option["values"]) for option in _get(
                client, "/api/v1/options", environ_overrides=host).get_json()["data"]] == lists
    kettles = _get(client, "/api/v1/products", environ_overrides=CORNER).get_json()
    assert {item["currency"] for item in kettles["data"]} == {"EUR"}
    assert kettles["data"][0]["url"].startswith("http://corner.localhost/products/")
    assert kettles["links"]["self"] == "http://corner.localhost/api/v1/products"
    assert _get(client, "/api/v1/products/linen-shirt",
                environ_overrides=CORNER).status_code == 404
    assert _get(client, "/api/v1/products/copper-kettle").status_code == 404
    assert _get(client, "/api/v1/products?category=tops",
                environ_overrides=CORNER).status_code == 404
    # Statements that name no entity at their top (the facets' UNION, the count of a page past
    # the end) are scoped too.
    past_the_end = _get(client, "/api/v1/products?page=9", environ_overrides=CORNER).get_json()
    assert (past_the_end["page"], past_the_end["total"], len(past_the_end["data"])) == (1, 2, 2)
    page = client.get("/products", environ_overrides=CORNER).get_data(as_text=True)
    assert "Kettles" in page and "Tops" not in page


def _fill(count: int) -> None:
    """`count` products in three categories, each with two variants and two pictures."""
    shelves = [Category(name=f"Shelf {i}", slug=f"shelf-{i}", position=i) for i in range(3)]
    for i in range(count):
        product = Product(name=f"Thing {i}", slug=f"thing-{i}", category=shelves[i % 3])
        db.session.add(product)
        for size in ("S", "M"):
            variant = Variant(sku=f"T{i}{size}", price_cents=1000 + i, stock=i % 7)
            product.variants.append(variant)
            give_options(variant, Size=size, Colour="Grey")
        product.images = [ProductImage(file=f"products/thing-{i}-{n}", position=n)
                          for n in range(2)]
        db.session.add(product)
    db.session.add_all([Banner(title=f"Banner {i}", image=f"banners/b-{i}", position=i)
                        for i in range(count // 5)])
    db.session.commit()


@pytest.mark.parametrize("path", ["/api/v1/products?per_page=48", "/api/v1/products/thing-1",
                                  "/api/v1/categories", "/api/v1/billboards",
                                  "/api/v1/options", "/api/v1/products?category=shelf-1"])
def test_statements_do_not_grow_with_the_catalog(app, client, count_statements, path):
    counts = []
    for size in (5, 30):
        with app.app_context():
            for model in (VariantOption, Variant, ProductImage, Product, Category, Banner):
                db.session.execute(db.delete(model))
            db.session.commit()
            _fill(size)
        with count_statements() as counter:
            assert client.get(path).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 3, counts
