"""Share images and the Open Graph and Twitter tags of the home, category and product pages."""

import re
from dataclasses import replace
from html.parser import HTMLParser
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from shophub.catalog.pictures import save_web_sizes
from shophub.extensions import db
from shophub.models import Category, Product, ProductImage, Store, Variant
from shophub.platform import store_settings, tenancy
from shophub.platform.storage import LONG_CACHE_CONTROL, media_storage
from shophub.seo import share_images
from shophub.seo.share_routes import SHORT_CACHE_CONTROL
from shophub.seo.social_tags import decimal_amount

CORNER = {"HTTP_HOST": "corner.localhost"}


@pytest.fixture
def app(sqlite_app):
    """These tests need no particular database: SQLite only."""
    return sqlite_app


@pytest.fixture
def draws(monkeypatch):
    """Every card the drawer is asked to draw, with whether it was given a picture."""
    drawn: list[tuple[share_images.ShareCard, Image.Image | None]] = []
    original = share_images.draw

    def counting(card, picture):
        drawn.append((card, picture))
        return original(card, picture)

    monkeypatch.setattr(share_images, "draw", counting)
    return drawn


class _Head(HTMLParser):
    """The <meta> tags and the canonical link of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.canonical: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "meta" and (values.get("property") or values.get("name")):
            name = values.get("property") or values.get("name")
            self.meta.setdefault(name, []).append(values.get("content") or "")
        if tag == "link" and values.get("rel") == "canonical":
            self.canonical = values.get("href")


def _head(response) -> _Head:
    parsed = _Head()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _og_image(client, path: str, **kwargs) -> str:
    (image,) = _head(client.get(path, **kwargs)).meta["og:image"]
    return image


def _local(url: str) -> str:
    return url.removeprefix("http://localhost").removeprefix("http://corner.localhost")


def _png(response) -> Image.Image:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    image = Image.open(BytesIO(response.data))
    image.load()
    return image


def _commit(app, change) -> None:
    with app.app_context():
        change()
        db.session.commit()


def _product(slug: str) -> Product:
    return db.session.scalar(select(Product).where(Product.slug == slug))


# --- the images -------------------------------------------------------------------------------


def test_a_product_share_image_is_a_1200_by_630_png_at_the_address_its_page_names(
        catalog, client):
    url = _og_image(client, "/products/linen-shirt")
    assert re.fullmatch(r"http://localhost/products/linen-shirt/share\.png\?v=[0-9a-f]{20}", url)
    image = _png(client.get(_local(url)))
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_category_and_store_share_images_are_pngs_too(catalog, client):
    for page in ("/products?category=shoes", "/"):
        image = _png(client.get(_local(_og_image(client, page))))
        assert image.size == (1200, 630)


def test_the_drawer_gets_the_lowest_price_with_from_when_variants_differ(catalog, client,
                                                                          draws):
    # Linen Shirt: 10.00, 10.00 and 13.00; Canvas Sneaker: one price, 12.50.
    client.get("/products/linen-shirt/share.png")
    client.get("/products/canvas-sneaker/share.png")
    client.get("/share/categories/shoes.png")
    client.get("/share/store.png")
    shown = {card.kind + ":" + card.slug: card.price_text for card, _ in draws}
    assert shown == {"product:linen-shirt": "from $10.00", "product:canvas-sneaker": "$12.50",
                     "category:shoes": "from $12.50", "store:home": ""}
    assert {card.title for card, _ in draws} == {
        "Linen Shirt", "Canvas Sneaker", "Shoes", "ShopHub Demo Store"}


def test_prices_are_shown_in_the_store_currency_and_its_minor_units():
    assert share_images.price_text(1290, 1290, "EUR") == "€12.90"
    assert share_images.price_text(1290, 2000, "EUR") == "from €12.90"
    assert share_images.price_text(1290, None, "EUR") == "from €12.90"
    assert share_images.price_text(1290, 1290, "JPY") == "¥1,290"
    assert share_images.price_text(None, None, "USD") == ""
    assert decimal_amount(1290, "EUR") == "12.90"
    assert decimal_amount(1290, "JPY") == "1290"
    assert decimal_amount(12345, "KWD") == "12.345"


def test_the_drawer_gets_the_store_currency_and_name(catalog, client, app, draws):
    _commit(app, lambda: store_settings.save(store_name="Kettle & Co", currency="EUR"))
    client.get("/products/canvas-sneaker/share.png")
    ((card, _),) = draws
    assert (card.price_text, card.store_name, card.currency) == ("€12.50", "Kettle & Co", "EUR")


def test_an_unchanged_item_is_drawn_once_and_read_back_after(catalog, client, draws):
    url = _local(_og_image(client, "/products/linen-shirt"))
    first = client.get(url)
    again = client.get(url)
    without_digest = client.get("/products/linen-shirt/share.png")
    assert len(draws) == 1
    assert first.data == again.data == without_digest.data
    # Pages that name the image never draw it.
    client.get("/products/linen-shirt")
    assert len(draws) == 1


def _draws_after(client, draws, path: str, change, app) -> tuple[str, str]:
    """The og:image before and after `change`, with the image fetched each time."""
    before = _og_image(client, path)
    client.get(_local(before))
    _commit(app, change)
    after = _og_image(client, path)
    client.get(_local(after))
    return before, after


def _rename():
    _product("linen-shirt").name = "Linen Overshirt"


def _reprice():
    _product("linen-shirt").variants[0].price_cents = 900


def _new_picture():
    file = save_web_sizes(Image.new("RGB", (800, 800), (200, 30, 30)), "products/red-shirt",
                          media_storage())
    product = _product("linen-shirt")
    product.images.insert(0, ProductImage(file=file, alt_text="Red", position=-1))


def _store_name():
    store_settings.save(store_name="Renamed Shop")


@pytest.mark.parametrize("change", [_rename, _reprice, _new_picture, _store_name],
                         ids=["name", "price", "picture", "store name"])
def test_a_change_to_what_is_drawn_makes_a_new_image_and_the_old_one_is_not_served(
        catalog, client, app, draws, change):
    before, after = _draws_after(client, draws, "/products/linen-shirt", change, app)
    assert before != after
    assert len(draws) == 2
    old_address = client.get(_local(before))
    new_address = client.get(_local(after))
    assert len(draws) == 2
    assert old_address.data == new_address.data
    assert old_address.headers["ETag"] == new_address.headers["ETag"] == (
        f'"{after.rsplit("=", 1)[1]}"')
    assert old_address.headers["Cache-Control"] == SHORT_CACHE_CONTROL
    assert new_address.headers["Cache-Control"] == LONG_CACHE_CONTROL


def test_a_category_image_changes_with_its_first_product_and_lowest_price(catalog, client, app,
                                                                          draws):
    def cheaper():
        _product("canvas-sneaker").variants[0].price_cents = 500

    before, after = _draws_after(client, draws, "/products?category=shoes", cheaper, app)
    assert before != after
    assert [card.price_text for card, _ in draws] == ["from $12.50", "from $5.00"]


def test_the_product_picture_is_drawn_and_a_missing_one_gives_a_plain_panel(catalog, client,
                                                                            app, draws):
    client.get("/products/linen-shirt/share.png")  # its picture was never stored
    _commit(app, _new_picture)
    red = _png(client.get("/products/linen-shirt/share.png"))
    (_, missing), (_, given) = draws
    assert missing is None and given is not None
    assert red.getpixel((300, 300))[:3] == pytest.approx((200, 30, 30), abs=12)


def test_a_held_image_is_answered_304_by_its_etag(catalog, client):
    url = _local(_og_image(client, "/products/linen-shirt"))
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == LONG_CACHE_CONTROL


def test_the_image_is_kept_in_the_media_storage_under_its_digest(catalog, client, app):
    url = _og_image(client, "/products/linen-shirt")
    client.get(_local(url))
    digest = url.rsplit("=", 1)[1]
    with app.app_context():
        assert media_storage().exists(f"share/1/product/linen-shirt-{digest}.png")


@pytest.mark.parametrize("path", [
    "/products/archived-hoodie/share.png", "/products/no-such-thing/share.png",
    "/products/Linen-Shirt/share.png", "/products/linen_shirt/share.png",
    "/share/categories/no-such-shelf.png", "/share/categories/Shoes.png",
    "/share/categories/" + "a" * 200 + ".png",
])
def test_archived_unknown_and_malformed_items_have_no_share_image(catalog, client, draws, path):
    response = client.get(path)
    assert response.status_code == 404
    assert draws == []


def test_a_product_without_variants_has_no_share_image(catalog, client, app):
    _commit(app, lambda: db.session.add(Product(name="Bare", slug="bare")))
    assert client.get("/products/bare/share.png").status_code == 404


def test_an_empty_category_has_a_share_image_without_a_price(catalog, client, app, draws):
    _commit(app, lambda: db.session.add(Category(name="Empty Shelf", slug="empty-shelf")))
    _png(client.get("/share/categories/empty-shelf.png"))
    ((card, picture),) = draws
    assert (card.price_text, picture) == ("", None)


# --- stores -----------------------------------------------------------------------------------


@pytest.fixture
def corner(app, catalog):
    """A second store at corner.localhost with a product and a category of its own."""
    result = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "corner", "--name", "Corner Shop", "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        with tenancy.use_store(store_id):
            shelf = Category(name="Corner Shelf", slug="corner-shelf")
            product = Product(name="Corner Kettle", slug="corner-kettle", category=shelf)
            product.variants.append(Variant(sku="CK-1", price_cents=3000, stock=2))
            db.session.add_all([shelf, product])
            db.session.commit()
    return store_id


def test_another_stores_product_and_category_are_404_on_this_host(corner, client, draws):
    assert client.get("/products/corner-kettle/share.png").status_code == 404
    assert client.get("/share/categories/corner-shelf.png").status_code == 404
    assert client.get("/products/linen-shirt/share.png",
                      environ_overrides=CORNER).status_code == 404
    assert client.get("/share/categories/shoes.png", environ_overrides=CORNER).status_code == 404
    assert draws == []


def test_each_store_draws_its_own_name_and_currency_and_keeps_its_own_key(corner, client,
                                                                          draws):
    url = _og_image(client, "/products/corner-kettle", environ_overrides=CORNER)
    assert url.startswith("http://corner.localhost/products/corner-kettle/share.png?v=")
    _png(client.get(_local(url), environ_overrides=CORNER))
    ((card, _),) = draws
    assert (card.store_name, card.price_text, card.store_id) == (
        "Corner Shop", "€30.00", corner)
    assert card.key.startswith(f"share/{corner}/product/corner-kettle-")


def test_the_store_image_of_each_host_is_its_own_stores(corner, client, draws):
    _png(client.get("/share/store.png", environ_overrides=CORNER))
    _png(client.get("/share/store.png"))
    assert [(card.store_id, card.title) for card, _ in draws] == [
        (corner, "Corner Shop"), (1, "ShopHub Demo Store")]


# --- the tags ---------------------------------------------------------------------------------

COMMON = ("og:type", "og:title", "og:description", "og:url", "og:image", "og:image:width",
          "og:image:height", "og:site_name", "twitter:card", "twitter:title",
          "twitter:description", "twitter:image")


@pytest.mark.parametrize(("path", "kind"), [
    ("/", "website"), ("/products?category=shoes&sort=price_asc&page=1", "website"),
    ("/products/linen-shirt?variant=1", "product"),
])
def test_the_three_page_kinds_carry_absolute_social_tags(catalog, client, path, kind):
    head = _head(client.get(path))
    for name in COMMON:
        assert len(head.meta.get(name, [])) == 1, name
    tags = {name: values[0] for name, values in head.meta.items()}
    assert tags["og:type"] == kind
    assert tags["og:url"] == head.canonical and tags["og:url"].startswith("http://localhost/")
    assert tags["og:image"] == tags["twitter:image"]
    assert tags["og:image"].startswith("http://localhost/")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:site_name"] == "ShopHub Demo Store"
    assert all(tags[name].strip() for name in COMMON)
    assert client.get(_local(tags["og:image"])).status_code == 200


def test_a_product_page_names_its_lowest_price_and_currency(catalog, client):
    tags = {name: values[0] for name, values in _head(client.get("/products/linen-shirt"))
            .meta.items()}
    assert tags["product:price:amount"] == "10.00"
    assert tags["product:price:currency"] == "USD"
    assert tags["og:title"] == tags["twitter:title"]
    assert "Linen Shirt" in tags["og:title"]
    assert tags["og:description"] == "A linen shirt made to last."


def test_a_category_page_names_its_canonical_address_without_filters(catalog, client):
    tags = _head(client.get("/products?category=shoes&sort=price_asc&in_stock=1")).meta
    assert tags["og:url"] == ["http://localhost/products?category=shoes"]
    assert tags["og:image"][0].startswith("http://localhost/share/categories/shoes.png?v=")
    assert "Shoes" in tags["og:title"][0]


def test_the_catalog_without_a_category_has_no_social_tags(catalog, client):
    for path in ("/products", "/products?q=shirt", "/products?category=no-such-shelf"):
        assert "og:image" not in _head(client.get(path)).meta, path


def test_an_htmx_catalog_swap_asks_nothing_for_the_tags(catalog, client, monkeypatch):
    asked = []
    original = share_images.category_share
    monkeypatch.setattr(share_images, "category_share",
                        lambda slug: asked.append(slug) or original(slug))
    client.get("/products?category=shoes", headers={"HX-Request": "true"})
    assert asked == []
    client.get("/products?category=shoes")
    assert asked == ["shoes"]


def test_tag_text_is_escaped(catalog, client, app):
    def hostile():
        _product("linen-shirt").name = 'Shirt "><script>alert(1)</script>'

    _commit(app, hostile)
    page = client.get("/products/linen-shirt").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    tags = _head(client.get("/products/linen-shirt")).meta
    assert tags["og:image:alt"][0].startswith('Shirt "><script>')


def test_without_the_debian_fonts_the_image_is_drawn_with_pillows_own(catalog, app, monkeypatch):
    monkeypatch.setattr(share_images, "FONT_FILES", {True: "/nowhere/a.ttf",
                                                    False: "/nowhere/b.ttf"})
    share_images._font.cache_clear()
    try:
        with app.test_request_context():
            card = share_images.listed_product_card("linen-shirt")
            image = Image.open(BytesIO(share_images.draw(card, None)))
            font = share_images._font(True, 48)
            euro = replace(card, price_text="from €12.90", currency="EUR")
            dollar = share_images._price_line(card, font)
            assert share_images._price_line(euro, font) == "from 12.90 EUR"
        assert image.size == (1200, 630)
        assert dollar == "from $10.00"
    finally:
        share_images._font.cache_clear()
