"""Home and product pages, the variant picker's fragment, and product 404s."""

import re

import pytest
from sqlalchemy import select

from shophub.catalog import options
from shophub.extensions import db
from shophub.models import OptionList, Product
from tests.catalog_data import add_material_products, product_specs


def test_home_shows_active_banners_featured_products_and_categories(catalog, client):
    html = client.get("/").get_data(as_text=True)
    assert "Spring sale" in html and "Shop the sale" in html
    assert "Hidden banner" not in html
    featured = re.findall(r'class="card-link" href="/products/([^"]+)"', html)
    expected = [s["slug"] for s in sorted(product_specs(), key=lambda s: s["created_at"],
                                          reverse=True) if s["featured"] and not s["archived"]]
    assert featured == expected[:10]
    for slug in ("tops", "shoes", "home"):
        assert f'href="/products?category={slug}"' in html


def test_product_page_shows_breadcrumbs_images_and_default_variant(catalog, client):
    response = client.get("/products/linen-shirt")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="/products?category=tops">Tops</a>' in html
    assert 'alt="Linen Shirt photo"' in html
    assert 'src="/media/products/linen-shirt-1-800.webp"' in html
    # S/Red is sold out, so the first in-stock variant (M/Blue) is preselected.
    assert 'id="price">$10.00<' in html
    assert "Only 4 left" in html
    assert re.search(r'name="size" value="M" checked', html)
    assert re.search(r'name="colour" value="Blue" checked', html)
    assert 'id="add-button">Add to cart' in html


def test_picker_fragment_swaps_price_stock_and_button(catalog, client):
    response = client.get("/products/linen-shirt?size=L&colour=Red",
                          headers={"HX-Request": "true", "HX-Trigger-Name": "size"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="buy-box"')
    assert "<html" not in html and "breadcrumbs" not in html
    assert 'id="price">$13.00<' in html
    assert "Sold out" in html
    assert re.search(r'<button type="submit" id="add-button" disabled>Sold out', html)
    assert "HX-Request" in response.headers["Vary"]


def test_picker_without_javascript_is_a_get_form(catalog, client):
    html = client.get("/products/linen-shirt?variant=2").get_data(as_text=True)
    form = re.search(r'<form class="picker".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'action="/products/linen-shirt"' in form
    assert "<noscript><button" in form


def test_single_variant_product_has_no_picker(catalog, client):
    html = client.get("/products/canvas-sneaker").get_data(as_text=True)
    assert 'class="picker"' not in html
    assert "In stock" in html


def test_out_of_stock_product_cannot_be_added(catalog, client):
    html = client.get("/products/oak-cutting-board").get_data(as_text=True)
    assert "Sold out" in html
    assert re.search(r'id="add-button" disabled', html)


@pytest.mark.parametrize(
    "path",
    ["/products/no-such-product", "/products/archived-hoodie", "/products/UPPER",
     "/products/%00", "/products/" + "a" * 500, "/products/a--b", "/nowhere"],
)
def test_unknown_products_get_the_designed_404(catalog, client, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Browse the catalog" in html


def test_product_without_variants_is_not_shown(catalog, client, app):
    with app.app_context():
        db.session.add(Product(name="Empty", slug="empty"))
        db.session.commit()
    assert client.get("/products/empty").status_code == 404


def test_picker_has_a_radio_group_per_option_list_in_the_stores_order(catalog, client, app):
    with app.app_context():
        add_material_products()
    html = client.get("/products/throw-blanket").get_data(as_text=True)
    form = re.search(r'<form class="picker".*?</form>', html, re.S).group(0)
    assert re.findall(r"<legend>([^:<]+)", form) == ["Size", "Material"]
    assert re.findall(r'name="material" value="([^"]+)"', form) == ["Wool", "Linen"]
    assert re.findall(r'name="size" value="([^"]+)"', form) == ["M"]
    assert 'name="material" value="Wool" checked' in form
    # The swap after choosing Linen: its price, sold out, and Linen chosen.
    response = client.get("/products/throw-blanket?size=M&material=Linen",
                          headers={"HX-Request": "true", "HX-Trigger-Name": "material"})
    fragment = response.get_data(as_text=True)
    assert 'id="price">$45.00<' in fragment and "Sold out" in fragment
    assert 'name="material" value="Linen" checked' in fragment
    # Without JavaScript the same choice is a plain GET of the whole page.
    page = client.get("/products/throw-blanket?size=M&material=Linen").get_data(as_text=True)
    assert page.startswith("<!doctype html>") and 'id="price">$45.00<' in page


def test_picker_follows_the_managed_order_of_values(catalog, client, app):
    with app.app_context():
        colour = db.session.scalar(select(OptionList).where(OptionList.slug == "colour"))
        for value in colour.values:
            value.position = {"Blue": 0, "Red": 1}[value.value]
        db.session.commit()
        options.forget_cached_options()
    html = client.get("/products/linen-shirt").get_data(as_text=True)
    assert re.findall(r'name="colour" value="([^"]+)"', html) == ["Blue", "Red"]
